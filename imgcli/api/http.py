"""Sending a request and reading its reply, for every API imgcli talks to (Glance, Keystone,
Cinder): one path, so that a refused token is exit 3 and a Glance or Keystone message is one
line wherever it comes from.

Imports: imgcli.errors only (requests and keystoneauth types for checking).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from imgcli.errors import ApiError, AuthError, NotFound, RequestError

if TYPE_CHECKING:
    from keystoneauth1.adapter import Adapter
    from keystoneauth1.session import Session
    from requests import Response

JSON_PATCH = "application/openstack-images-v2.1-json-patch"
OCTET_STREAM = "application/octet-stream"


def error_text(response: Response) -> str:
    """The server's own message without HTML: Glance and keystonemiddleware send webob pages."""
    body = response.text or ""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        doc = None
    if isinstance(doc, dict):
        inner = doc.get("error") if isinstance(doc.get("error"), dict) else doc
        message = inner.get("message") or inner.get("title") or inner.get("detail")
        if message:
            return " ".join(str(message).split())[:300]
    import html  # only error pages need it (docs/performance.md#html-on-error-pages-only)

    text = re.sub(r"<title>.*?</title>|<h1>.*?</h1>", " ", body, flags=re.S | re.I)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return " ".join(text.split())[:300]


def failure(response: Response) -> RequestError:
    """One error for a refused request, keeping its status, method, URL and Glance's words."""
    request = response.request
    method = request.method if request is not None and request.method else "GET"
    detail = error_text(response)
    sent = request.headers.get("X-Auth-Token") if request is not None else None
    if sent:  # an echoing proxy or debug page must not put the token on the terminal
        detail = detail.replace(str(sent), "<redacted>")
    fields = {"status": response.status_code, "method": method, "url": response.url,
              "detail": detail, "reason": response.reason or ""}
    if response.status_code == 401:
        return AuthError(**fields, hint="the token was refused; check the credentials")
    if response.status_code == 404:
        return NotFound(**fields)
    return ApiError(**fields)


def json_body(response: Response) -> dict[str, Any]:
    """The JSON object of a successful reply."""
    request = response.request
    where = f"{request.method if request is not None else 'GET'} {response.url}"
    try:
        doc = response.json()
    except (ValueError, RecursionError):
        kind = response.headers.get("Content-Type", "no content type")
        raise ApiError(f"{where}: the reply is not JSON ({kind})") from None
    if not isinstance(doc, dict):
        raise ApiError(f"{where}: the reply is not a JSON object")
    return doc


# Non-idempotent requests (POST, and the PUT that streams image data) are sent with
# retry=False: keystoneauth would otherwise repeat them on a 503 or a dropped connection,
# creating a second image or sending a stream body that has already been read.
def send(client: Adapter | Session, method: str, url: str, ok: tuple[int, ...] = (200,),
         retry: bool = True, **kwargs: Any) -> Response:
    """One request; a status outside `ok` raises its one-line error."""
    if not retry:
        kwargs.update(connect_retries=0, status_code_retries=0)
    response = client.request(url, method, raise_exc=False, **kwargs)
    if response.status_code not in ok:
        raise failure(response)
    return response
