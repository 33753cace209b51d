"""The keystoneauth side: auth plugin, Session, and the image endpoint (seed steps 1-6).

keystoneauth does the work: the generic password plugin's version discovery is seed
messages (1)-(2), its token request (3)-(4), and Adapter.get_endpoint_data() with a v2
minimum is Glance's version negotiation (5)-(6). This module only chooses the plugin,
feeds it settings, and wires the token cache around it.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from imgcli import __version__
from imgcli.errors import ApiError, AuthError, ConfigError

if TYPE_CHECKING:
    from keystoneauth1.adapter import Adapter
    from keystoneauth1.plugin import BaseAuthPlugin
    from keystoneauth1.session import Session

    from imgcli.cache import TokenCache
    from imgcli.config import Settings
    from imgcli.trace import Recorder

PASSWORD_TYPES = ("password", "v3password")
TOKEN_TYPES = ("token", "v3token")
APPCRED_TYPES = ("v3applicationcredential", "applicationcredential")
ENDPOINT_TYPES = ("token_endpoint", "admin_token", "none")
AUTH_TYPES = PASSWORD_TYPES + TOKEN_TYPES + APPCRED_TYPES + ENDPOINT_TYPES
# Retried by keystoneauth with exponential backoff: the list calls are idempotent GETs.
RETRIES = 2
RETRIABLE_STATUSES = [429, 502, 503, 504]
# Retry-After is capped by imgcli.transport.cap_retry_after, with the redirect and
# error-body guards.


def require(settings: Settings, *names: str, prompt: str | None = None) -> None:
    """Fail before any request when none of `names` is set; name the flags and variables.

    With `prompt`, a missing secret is asked for (no echo) when stdin is a terminal, as
    openstackclient does; never otherwise, so a script gets the one-line error instead of
    hanging. A secret's error names its variable and secure.yaml first: on the command line
    it is visible to every user of the machine (ps, /proc/PID/cmdline)."""
    from imgcli.config import BY_NAME

    if any(settings.values.get(name) for name in names):
        return
    first = BY_NAME[names[0]]
    what = first.name.replace("_", " ")
    asked = False
    if prompt is not None:
        from imgcli import terminal

        asked = terminal.is_terminal(sys.stdin)
        answer = terminal.ask_secret(prompt) if asked else None
        if answer:
            settings.values[first.name] = answer
            settings.origins[first.name] = "prompt"
            return
    if first.secret:
        missing = f"no {what} entered" if asked else f"missing {what}"
        raise ConfigError(f"{missing}: set {first.env[0]}, or auth.{first.name} in secure.yaml "
                          f"or clouds.yaml (with --os-cloud); {first.flags[0]} works too, but "
                          "other users of this machine can see it in ps")
    hints = " or ".join(f"{BY_NAME[n].flags[0]} ({BY_NAME[n].env[0]})" for n in names)
    raise ConfigError(f"missing {what}: set {hints}, "
                      "or choose a cloud from clouds.yaml with --os-cloud")


def v3_url(auth_url: str) -> str:
    """The v3-only plugins post to `{auth_url}/auth/tokens`: give them the v3 root."""
    url = auth_url.rstrip("/")
    return url if url.endswith("/v3") else url + "/v3"


def domain_defaults(settings: Settings) -> dict[str, str | None]:
    """openstackclient's rule: with no user or project domain, use --os-default-domain."""
    s, default = settings, settings.default_domain
    scoped_by_name = bool(s.project_name)
    return {
        "user_domain_name": s.user_domain_name,
        "user_domain_id": s.user_domain_id or (
            None if s.user_domain_name or s.user_id else default),
        "project_domain_name": s.project_domain_name,
        "project_domain_id": s.project_domain_id or (
            None if s.project_domain_name or not scoped_by_name else default),
    }


def build_auth(settings: Settings) -> BaseAuthPlugin:
    """The keystoneauth plugin for --os-auth-type; nothing is sent yet."""
    auth_type = settings.auth_type.lower()
    if auth_type not in AUTH_TYPES:
        raise ConfigError(f"unknown auth type {settings.auth_type!r}: use one of "
                          "password, v3password, v3applicationcredential, token, v3token")
    if settings.token and settings.endpoint and auth_type not in APPCRED_TYPES:
        auth_type = "token_endpoint"  # openstackclient's rule: token + endpoint skip Keystone
    if auth_type in ENDPOINT_TYPES:
        from keystoneauth1 import token_endpoint

        require(settings, "token")
        require(settings, "endpoint")
        return token_endpoint.Token(settings.endpoint, settings.token)

    require(settings, "auth_url")
    project = {"project_id": settings.project_id, "project_name": settings.project_name}
    if auth_type in APPCRED_TYPES:
        from keystoneauth1.identity import v3

        # Everything else first: a prompt must not be followed by another missing setting.
        require(settings, "application_credential_id", "application_credential_name")
        if not settings.application_credential_id:
            require(settings, "username", "user_id")
        credential = settings.application_credential_name or settings.application_credential_id
        require(settings, "application_credential_secret",
                prompt=f"Application credential secret for {credential}@{settings.auth_url}: ")
        return v3.ApplicationCredential(
            v3_url(settings.auth_url),
            application_credential_id=settings.application_credential_id,
            application_credential_name=settings.application_credential_name,
            application_credential_secret=settings.application_credential_secret,
            username=settings.username, user_id=settings.user_id,
            user_domain_name=settings.user_domain_name,
            user_domain_id=settings.user_domain_id or (
                None if settings.user_domain_name or settings.user_id
                else settings.default_domain))
    domains = domain_defaults(settings)
    if auth_type in TOKEN_TYPES:
        require(settings, "token")
        if auth_type == "v3token":
            from keystoneauth1.identity import v3

            return v3.Token(v3_url(settings.auth_url), settings.token, **project,
                            project_domain_id=domains["project_domain_id"],
                            project_domain_name=domains["project_domain_name"])
        from keystoneauth1.identity import generic

        return generic.Token(settings.auth_url, settings.token, **project,
                             project_domain_id=domains["project_domain_id"],
                             project_domain_name=domains["project_domain_name"])
    require(settings, "username", "user_id")
    require(settings, "password",
            prompt=f"Password for {settings.username or settings.user_id}@{settings.auth_url}: ")
    credentials: dict[str, Any] = {"username": settings.username, "user_id": settings.user_id,
                                   "password": settings.password, **project, **domains}
    if auth_type == "v3password":
        from keystoneauth1.identity import v3

        return v3.Password(v3_url(settings.auth_url), **credentials)
    from keystoneauth1.identity import generic

    return generic.Password(settings.auth_url, **credentials)


def build_session(settings: Settings, auth: BaseAuthPlugin,
                  recorder: Recorder | None = None) -> Session:
    import requests
    from keystoneauth1 import session as ks_session

    from imgcli import transport as guards

    transport = requests.Session()
    # Before the recorder's hook (attached below): every response, keystoneauth's own
    # included, passes the redirect and error-body guards first.
    guards.install(transport, {"--os-auth-url (OS_AUTH_URL)": settings.auth_url,
                               "--os-endpoint (OS_ENDPOINT)": settings.endpoint})
    if settings.verify is False:
        # urllib3 warns (two lines, with its source) on every request; one line is enough.
        import logging
        import warnings

        from urllib3.exceptions import InsecureRequestWarning

        warnings.simplefilter("ignore", InsecureRequestWarning)
        logging.getLogger(__name__).warning(
            "TLS certificates are not verified (--insecure / OS_INSECURE)")
    if recorder is not None:
        recorder.attach(transport)
    cert: str | tuple[str, str] | None = settings.cert
    if settings.cert and settings.key:
        cert = (settings.cert, settings.key)
    return ks_session.Session(
        auth=auth, session=transport, verify=settings.verify, cert=cert,
        timeout=settings.api_timeout, app_name="imgcli", app_version=__version__,
        connect_retries=RETRIES)


def image_adapter(settings: Settings, session: Session) -> Adapter:
    """Glance's side of the session. Page URLs are absolute, so once the root is known
    (from discovery or the cache) the adapter adds only its retry policy."""
    from keystoneauth1.adapter import Adapter

    return Adapter(
        session, service_type="image", interface=settings.interface,
        region_name=settings.region_name, min_version="2.0", max_version="2.latest",
        connect_retries=RETRIES, status_code_retries=RETRIES,
        retriable_status_codes=RETRIABLE_STATUSES, raise_exc=False)


@dataclass
class Connection:
    """What a command needs: a Session, and the Image API v2 root it talks to.

    The root is found on first use, not at connect time: `token issue` needs only the
    token, and discovering Glance's versions would cost it a request (seed 5-6)."""

    session: Session
    adapter: Adapter
    root: str | None  # e.g. http://host/image/v2/; None until discovered
    cache: TokenCache | None = None
    cache_key: str | None = None
    cached_state: str | None = None
    cached_root: str | None = None

    @property
    def image_root(self) -> str:
        if self.root is None:
            self.root = discover_image_root(self.adapter, self.session)
            self.save()  # now, not at exit: an interrupted first run still leaves its token
        return self.root

    def save(self) -> None:
        """Store a new or renewed token (or a newly found root) for the next run; a no-op
        when nothing changed."""
        if self.cache is None or self.cache_key is None:
            return
        state = self.session.auth.get_auth_state() if self.session.auth else None
        if state and (state != self.cached_state or self.root != self.cached_root):
            # "" marks a root not found yet: the cache's format keeps it a string.
            self.cache.save(self.cache_key, {"auth": state, "image_root": self.root or ""})
            self.cached_state, self.cached_root = state, self.root


def connect(settings: Settings, cache: TokenCache | None = None,
            recorder: Recorder | None = None) -> Connection:
    """A connection that sends nothing yet. With a live cached token and root, seed steps
    (1)-(6) never happen; otherwise the first request that needs them makes them."""
    auth = build_auth(settings)
    session = build_session(settings, auth, recorder)
    adapter = image_adapter(settings, session)
    if settings.endpoint:
        from imgcli.images import versioned_root

        return Connection(session, adapter, versioned_root(settings.endpoint))

    key = cache.key(auth, settings) if cache else None
    entry = cache.load(key) if cache and key else None
    if entry:
        auth.set_auth_state(entry["auth"])
        if auth.auth_ref is not None and not auth.auth_ref.will_expire_soon(
                auth.MIN_TOKEN_LIFE_SECONDS):
            root = entry["image_root"] or None
            return Connection(session, adapter, root, cache, key, entry["auth"], root)
        auth.invalidate()
    return Connection(session, adapter, None, cache, key)


def discover_image_root(adapter: Adapter, session: Session) -> str:
    """Seed (1)-(6): token and catalog through the plugin, then Glance's version document."""
    from keystoneauth1 import exceptions as ks_exc

    try:
        data = adapter.get_endpoint_data()
    except ks_exc.EndpointNotFound:
        data = None
    if data is None or not data.url:
        raise ConfigError(no_endpoint_message(adapter, session))
    return data.url if data.url.endswith("/") else data.url + "/"


def no_endpoint_message(adapter: Adapter, session: Session) -> str:
    """Say what the catalog does offer, so the user can pick a region or interface."""
    offered: list[str] = []
    auth_ref = session.auth.get_access(session) if session.auth else None
    catalog = auth_ref.service_catalog.catalog if auth_ref and auth_ref.has_service_catalog() \
        else []
    for service in catalog:
        if service.get("type") != "image":
            continue
        for ep in service.get("endpoints", []):
            region = ep.get("region_id") or ep.get("region") or "?"
            offered.append(f"{ep.get('interface')} in {region}")
    where = f"interface {adapter.interface!r}"
    if adapter.region_name:
        where += f" in region {adapter.region_name!r}"
    if offered:
        have = "; it has: " + ", ".join(sorted(set(offered)))
    elif catalog:
        types = sorted({str(service.get("type")) for service in catalog})
        have = "; it has no image endpoint at all, only: " + ", ".join(types)
    else:
        have = "; the catalog is empty"
    return (f"the catalog has no image endpoint for {where}{have} "
            "(set --os-region-name / --os-interface)")


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
        return ApiError(f"{exc.method or 'request'} {exc.url} failed: "
                        f"{exc.http_status} {short(exc)}")
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
