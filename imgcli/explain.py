"""Library failures → one line that says what to fix.

keystoneauth's and requests' messages are written for developers and nest reprs three deep;
here each becomes one imgcli error (imgcli.errors) naming the URL, the OS's own words and the
setting to change. The one place that reads the text of an OS-level cause.

Imports: imgcli.errors and imgcli.connection (its retry count); requests and keystoneauth1
inside explain(), which runs only after a failure.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from imgcli.connection import RETRIES
from imgcli.errors import ApiError, AuthError, ConfigError

if TYPE_CHECKING:
    from imgcli.config import Settings


def causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps: keystoneauth hides a refused connection inside
    a DiscoveryFailure, and the refused connection is what the user must fix."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def explain(exc: BaseException, settings: Settings | None = None) -> Exception | None:
    """Turn a keystoneauth or requests failure into one line that says what to fix."""
    import requests
    from keystoneauth1 import exceptions as ks_exc

    chain = causes(exc)
    if any(isinstance(c, requests.exceptions.ChunkedEncodingError) for c in chain):
        return ApiError(f"the reply from {target(exc)} broke off before its end "
                        f"({reason(exc)}); retry, or check the server and any proxy")
    for cause in chain:
        if isinstance(cause, ks_exc.SSLError):
            return ConfigError(f"TLS certificate verification failed for {target(cause)}: "
                               f"{reason(cause)}; pass the CA bundle with --os-cacert "
                               "(OS_CACERT), or --insecure to skip the check")
        if isinstance(cause, ks_exc.ConnectTimeout):
            timeout = settings.api_timeout if settings else "?"
            return ApiError(f"no answer from {target(cause)} within {timeout} s, "
                            f"{RETRIES + 1} tries (raise --timeout, or check the server)")
        if isinstance(cause, ks_exc.ConnectFailure | ks_exc.UnknownConnectionError):
            url = target(cause)
            return ApiError(f"cannot connect to {url}: {reason(cause)}; "
                            f"{connect_hint(url, settings)}")
    if isinstance(exc, ks_exc.Unauthorized):
        return AuthError(f"authentication failed ({short(exc)}): check the user name, "
                         "password or credential, and the project and domains")
    if isinstance(exc, ks_exc.DiscoveryFailure):
        return ApiError(f"could not find Identity v3 at the auth URL: {short(exc)}; "
                        "check --os-auth-url (OS_AUTH_URL)")
    if isinstance(exc, ks_exc.HttpError):
        method = exc.method or "request"
        return ApiError(f"{method} {exc.url} failed: {exc.http_status} {short(exc)}",
                        status=exc.http_status, method=method, url=exc.url, detail=short(exc))
    if isinstance(exc, ks_exc.EndpointNotFound):
        return ConfigError(f"{short(exc)} (set --os-region-name / --os-interface)")
    return None


def connect_hint(url: str, settings: Settings | None) -> str:
    """What to check for an unreachable URL: the option it came from, or the catalog.
    Only a URL the user did not give can have come from the catalog or the cache."""
    given = {"--os-endpoint (OS_ENDPOINT)": settings.endpoint if settings else None,
             "--os-auth-url (OS_AUTH_URL)": settings.auth_url if settings else None}
    for option, value in given.items():
        if value and url.startswith(value.rstrip("/")):
            return f"check {option} and that the cloud is reachable"
    if url == UNKNOWN_TARGET or settings is None:
        return "check --os-auth-url (OS_AUTH_URL) and that the cloud is reachable"
    return ("the endpoint came from the catalog or the cache: check that the cloud is "
            "reachable, or run `imgcli cache clear` if it moved")


UNKNOWN_TARGET = "the server"


def target(exc: BaseException) -> str:
    found = re.search(r"https?://[^\s'\"]+", str(exc))
    return found.group(0).rstrip(":,.)") if found else UNKNOWN_TARGET


def reason(exc: BaseException) -> str:
    """requests' messages nest reprs three deep; the OS's own words are what help."""
    text = str(exc)
    found = re.search(r"\[Errno -?\d+\] ([^\"')\]]+)", text) or re.search(
        r"certificate verify failed: ([^\"')(]+)", text)
    return found.group(1).strip() if found else short(exc)


def short(exc: BaseException) -> str:
    """keystoneauth messages can embed the underlying repr; keep the first line."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
