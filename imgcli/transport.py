"""What imgcli trusts on the wire: hooks on the requests.Session under keystoneauth.

requests runs a session's response hooks on every response, before keystoneauth sees it
and before requests reads a body it was not told to stream. keystoneauth sends with
allow_redirects=False and then follows Location itself, resending the headers (the
token) and the body (the password of a token request) to wherever it points. So every
request is covered here, keystoneauth's own discovery and token requests included:

- a redirect is followed only to the scheme, host and port that answered it; any other
  target ends the command before a byte goes there (`guard_redirects`);
- an error body (status >= 400, or a redirect's) is read up to ERROR_BODY_LIMIT bytes and
  the connection dropped, so an endless error page costs neither memory nor time, in
  --debug output either (`bound_body`);
- Retry-After is capped, so one server cannot stall a listing (`cap_retry_after`).

Imports: the standard library, requests and urllib3, and imgcli.errors; nothing else of
imgcli, so session.build_session can wire it in without an import cycle. It is imported
only when a session is built: `imgcli --version` loads no HTTP stack.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urljoin

import requests
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util import parse_url

from imgcli.errors import RedirectRefused

ERROR_BODY_LIMIT = 64 << 10  # bytes: imgcli shows 300 characters of an error page
REDIRECTS = frozenset({301, 302, 303, 305, 307, 308})  # keystoneauth's _REDIRECT_STATUSES
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_RETRY_AFTER = 5  # seconds: keystoneauth would sleep for whatever Retry-After says

Hook = Callable[..., None]
Origin = tuple[str, str, int | None]


def install(session: requests.Session, named: Mapping[str, str | None]) -> None:
    """Put the guards first among the session's response hooks: a trace recorder attached
    later then records the bounded body, and a refused redirect is never read at all.
    `named` maps a setting's flag to the URL it holds, to say which one to fix.

    A request sent with its own `hooks=` would replace these (requests' merge_hooks):
    neither imgcli nor keystoneauth passes any, and nothing may."""
    hooks: list[Hook] = session.hooks.setdefault("response", [])
    hooks[:0] = [guard_redirects(named), bound_body, cap_retry_after]


# -- redirects ---------------------------------------------------------------------------------

def guard_redirects(named: Mapping[str, str | None]) -> Hook:
    """The response hook that refuses a redirect to another origin (see the docstring)."""

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        location = response.headers.get("Location")
        if response.status_code not in REDIRECTS or not location:
            return
        # keystoneauth requests the Location verbatim, and requests cannot send to a
        # relative one: make it absolute, so a same-host redirect like /v2/ works.
        target = urljoin(response.url, location)
        response.headers["Location"] = target
        source = origin(response.url)
        if source is not None and origin(target) == source:
            return
        response.close()  # unread: the connection is dropped, not reused
        raise RedirectRefused(refusal(response, target, named))

    return hook


def refusal(response: requests.Response, target: str, named: Mapping[str, str | None]) -> str:
    """The one line: where from, where to, what the other server would get, what to do."""
    source, dest = origin(response.url), origin(target)
    carried = at_stake(response.request)
    if source is not None and source[0] == "https" and (dest is None or dest[0] != "https"):
        why = f"it leaves https for plain http, where anyone on the way could {carried}"
        fix = "imgcli never leaves https by itself (give an http URL only if you mean it)"
    else:
        whom = "another port or scheme of the same host" if source and dest and \
            source[1] == dest[1] else "another host"
        why, fix = f"{whom} would {carried}", to_fix(response.url, named)
    return (f"refusing to follow the {response.status_code} redirect from "
            f"{shown(response.url)} to {shown(target)}: {why}; {fix}")


def at_stake(request: requests.PreparedRequest | None) -> str:
    """What the other server would get: the token, a token request's password, or (for a
    discovery GET) the say over where the password goes next."""
    if request is not None and request.headers.get("X-Auth-Token"):
        return "receive the token"
    if request is not None and request.body:
        return "receive the credentials"
    return "be trusted with the credentials"


def origin(url: str | None) -> Origin | None:
    """Scheme, host and port as requests will connect to them: the URL goes through the
    same preparation and parser requests uses, so no parser difference can slip past."""
    try:
        prepared = requests.PreparedRequest()
        prepared.prepare_url(url, None)
        parts = parse_url(prepared.url)
    except (requests.RequestException, ValueError, Urllib3Error):
        return None  # not a URL requests can send to: nothing compares equal to it
    scheme = (parts.scheme or "").lower()
    return scheme, (parts.host or "").lower(), parts.port or DEFAULT_PORTS.get(scheme)


def shown(url: str | None) -> str:
    """The URL without credentials, query or fragment, and with nothing a terminal would
    act on: a Location header is the other server's text."""
    try:
        parts = parse_url(url or "")
        text = f"{parts.scheme}://{parts.netloc}{parts.path or '/'}" if parts.host else url
    except (ValueError, Urllib3Error):
        text = url
    printable = (c if " " < c < "\x7f" else quote(c, safe="") for c in str(text)[:200])
    return "".join(printable)


def to_fix(url: str | None, named: Mapping[str, str | None]) -> str:
    """What to change: the setting that led to `url`, or else the catalog's endpoint."""
    for flag, value in named.items():
        if value and origin(value) == origin(url) and (url or "").startswith(
                value.rstrip("/")):
            return f"point {flag} at the final URL"
    return "the catalog's endpoint should name the final URL (ask the cloud's operator)"


# -- error bodies ------------------------------------------------------------------------------

def bound_body(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """Read at most ERROR_BODY_LIMIT bytes of an error or redirect body, streamed or not.

    requests would read a non-streamed body whole, and so would keystoneauth's --debug
    log and error parsing: a 400 MiB error page took gigabytes and seconds to print 300
    characters. What is kept becomes response.content (requests has no public setter:
    `_content` is what .content, .text and .json() read); the rest is never read."""
    if response.status_code < 400 and not response.is_redirect:
        return
    if response._content is not False:  # already read (e.g. a mock): just cut it
        if response._content:
            response._content = response._content[:ERROR_BODY_LIMIT]
        return
    if response.raw is None:
        return
    body, whole = read_at_most(response.raw, ERROR_BODY_LIMIT)
    response._content = body
    if not whole:
        response.close()  # not consumed yet, so this drops the connection: the rest is unread
    response._content_consumed = True


def read_at_most(raw: Any, limit: int) -> tuple[bytes, bool]:
    """Up to `limit` decoded bytes, and whether that was the whole body. A broken or slow
    error body keeps what came: the status is the news, the page only its detail."""
    body = b""
    try:
        while len(body) <= limit:
            chunk = raw.read(limit + 1 - len(body), decode_content=True)
            if not chunk:
                return body, True
            body += chunk
    except (OSError, Urllib3Error):
        pass
    return body[:limit], False


# -- Retry-After -------------------------------------------------------------------------------

def cap_retry_after(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """Honour Retry-After, but never let one server stall a listing for long."""
    value = response.headers.get("Retry-After", "")
    if value.isdigit() and int(value) > MAX_RETRY_AFTER:
        response.headers["Retry-After"] = str(MAX_RETRY_AFTER)
