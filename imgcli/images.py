"""The Glance v2 image list: pages of /v2/images (seed messages 7-8) and their `next` links."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from imgcli.errors import ApiError, AuthError, phrase

if TYPE_CHECKING:
    from keystoneauth1.adapter import Adapter
    from requests import Response

PAGE_SIZE = 1000  # Glance caps it at api_limit_max (1000 by default): one request per 1000
Query = Sequence[tuple[str, str]]
VERSION_SEGMENT = re.compile(r"/v2(\.\d+)?/?$")


def versioned_root(endpoint: str) -> str:
    """The v2 root of an endpoint given as the bare service URL or as the v2 root itself
    (--os-endpoint), found without a discovery request."""
    url = endpoint.rstrip("/")
    return url + "/" if VERSION_SEGMENT.search(url) else url + "/v2/"


def next_page_url(image_root: str, link: str) -> str:
    """Join Glance's `next` link to the endpoint.

    Glance writes `next` relative to its own root and without the path prefix the
    catalog URL has (`/v2/images?marker=...` while the endpoint is http://host/image), so
    it is joined to the endpoint's root, not to the host.
    """
    try:
        parts = urlsplit(link)
    except ValueError:
        raise ApiError(f"Glance's next link is not a URL: {link!r}") from None
    root = image_root.rstrip("/")
    if parts.scheme or parts.netloc:
        origin = urlsplit(root)
        if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
            # Following it would send our token to another host.
            raise ApiError(f"Glance's next link points off the image endpoint's host: {link!r}")
        return link
    if link.startswith("/v2"):
        return VERSION_SEGMENT.sub("", root) + link
    return root + "/" + link.lstrip("/")


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
    import html  # only error pages need it: 3 ms of import on every run otherwise

    text = re.sub(r"<title>.*?</title>|<h1>.*?</h1>", " ", body, flags=re.S | re.I)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return " ".join(text.split())[:300]


def check_response(response: Response) -> dict[str, Any]:
    """The JSON body of a successful reply, or one ApiError that names the URL and status."""
    where = f"GET {response.url}"
    if response.status_code >= 400:
        detail = error_text(response)
        sent = response.request.headers.get("X-Auth-Token") if response.request else None
        if sent:  # an echoing proxy or debug page must not put the token on the terminal
            detail = detail.replace(str(sent), "<redacted>")
        status = f"{response.status_code} {response.reason or phrase(response.status_code)}"
        message = f"{where} failed: {status}" + (f": {detail}" if detail else "")
        if response.status_code == 401:
            raise AuthError(message + " (the token was refused; check the credentials)")
        raise ApiError(message)
    try:
        doc = response.json()
    except (ValueError, RecursionError):
        kind = response.headers.get("Content-Type", "no content type")
        raise ApiError(f"{where}: the reply is not JSON ({kind})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("images"), list):
        raise ApiError(f"{where}: the reply has no list of images")
    if not all(isinstance(image, dict) for image in doc["images"]):
        raise ApiError(f"{where}: the reply's images are not all objects")
    return doc


def list_pages(adapter: Adapter, image_root: str, query: Query,
               max_items: int | None = None) -> Iterator[list[dict[str, Any]]]:
    """Yield each page of images, following `next` until it is absent or max_items is met."""
    url: str | None = image_root + "images?" + urlencode(list(query), safe=":,")
    seen_urls: set[str] = set()
    seen_markers: set[str] = set()
    remaining = max_items
    while url:
        marker = parse_qs(urlsplit(url).query).get("marker", [""])[0]
        if url in seen_urls or marker in seen_markers:
            raise ApiError(f"Glance's next link repeats a page already read ({url}): "
                           "stopping instead of looping")
        seen_urls.add(url)
        if marker:
            seen_markers.add(marker)
        doc = check_response(adapter.get(url))
        images = doc["images"]
        if remaining is not None:
            images = images[:remaining]
            remaining -= len(images)
        yield images
        if remaining == 0 or not doc.get("next"):
            return
        url = next_page_url(image_root, str(doc["next"]))
