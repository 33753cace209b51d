"""The Image API v2: one function per request the series records.

Listing: pages of /v2/images (seed messages 7-8) and their `next` links. Single images,
JSON-Patch updates, members, data and import: the functions below `send()`. Each returns
Glance's JSON as plain dicts; a reply outside the expected statuses is one ApiError that
names the method, the URL and Glance's own message (imgcli.api.http).

Imports: imgcli.api.http, imgcli.connection (for types and the version segment), imgcli.errors.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from imgcli.api import http
from imgcli.api.http import JSON_PATCH, OCTET_STREAM, failure, json_body
from imgcli.connection import VERSION_SEGMENT
from imgcli.errors import ApiError

if TYPE_CHECKING:
    from keystoneauth1.adapter import Adapter
    from requests import Response

    from imgcli.connection import Connection

PAGE_SIZE = 1000  # Glance caps it at api_limit_max (1000 by default): one request per 1000
Query = Sequence[tuple[str, str]]


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


def check_response(response: Response) -> dict[str, Any]:
    """A page of images, or one ApiError that names the URL and status."""
    if response.status_code >= 400:
        raise failure(response)
    doc = json_body(response)
    where = f"GET {response.url}"
    if not isinstance(doc.get("images"), list):
        raise ApiError(f"{where}: the reply has no list of images")
    if not all(isinstance(image, dict) for image in doc["images"]):
        raise ApiError(f"{where}: the reply's images are not all objects")
    return doc


def follow_pages(adapter: Adapter, image_root: str, url: str,
                 read: Callable[[Response], tuple[list[dict[str, Any]], dict[str, Any]]],
                 max_items: int | None = None) -> Iterator[list[dict[str, Any]]]:
    """Yield each page of a Glance collection (images, tasks, metadef namespaces), following
    `next` until it is absent or max_items items have been yielded; `read` checks a reply
    and returns (its items, the whole document). A `next` that repeats a page is an error,
    not a loop."""
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
        items, doc = read(adapter.get(url))
        if remaining is not None:
            items = items[:remaining]
            remaining -= len(items)
        yield items
        if remaining == 0 or not doc.get("next"):
            return
        url = next_page_url(image_root, str(doc["next"]))


def list_pages(adapter: Adapter, image_root: str, query: Query,
               max_items: int | None = None) -> Iterator[list[dict[str, Any]]]:
    """Yield each page of images, following `next` until it is absent or max_items is met."""
    def read(response: Response) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        doc = check_response(response)
        return doc["images"], doc

    url = image_root + "images?" + urlencode(list(query), safe=":,")
    return follow_pages(adapter, image_root, url, read, max_items)


# ------------------------------------------------------------------ single requests
#
def image_path(image_id: str, *rest: str) -> str:
    """`images/{id}/...`, each segment quoted: an argument tried as an ID may hold `/`."""
    return "/".join(("images", *(quote(part, safe="") for part in (image_id, *rest))))


def send(conn: Connection, method: str, path: str, ok: tuple[int, ...] = (200,),
         retry: bool = True, **kwargs: Any) -> Response:
    """One request to the image endpoint; a status outside `ok` raises its one-line error."""
    return http.send(conn.adapter, method, conn.image_root() + path, ok, retry, **kwargs)


def get_image(conn: Connection, image_id: str) -> dict[str, Any]:
    """`GET /v2/images/{id}`: the image record (show, and set's patch base)."""
    return json_body(send(conn, "GET", image_path(image_id)))


def find_images(conn: Connection, name: str, hidden: bool = False,
                shares: bool = False) -> list[dict[str, Any]]:
    """`GET /v2/images?name=...`: the images of that name in Glance's default listing
    (the caller's own, public ones and accepted shares); hidden images need a second query.

    No visibility is sent: the default leaves out other projects' community images and
    shares not accepted, which anyone may name as they like. `shares` adds
    member_status=all, for the commands about a share itself (accepting it)."""
    query = [("name", name)]
    if shares:
        query.append(("member_status", "all"))
    if hidden:
        query.append(("os_hidden", "true"))
    return check_response(send(conn, "GET", "images", params=query))["images"]


def create_image(conn: Connection, body: dict[str, Any]) -> dict[str, Any]:
    """`POST /v2/images` → 201: a queued image record."""
    return json_body(send(conn, "POST", "images", ok=(201,), retry=False, json=body))


def update_image(conn: Connection, image_id: str,
                 patch: list[dict[str, Any]]) -> dict[str, Any]:
    """`PATCH /v2/images/{id}`: every attribute change in one JSON-Patch document."""
    return json_body(send(conn, "PATCH", image_path(image_id), data=json.dumps(patch),
                          headers={"Content-Type": JSON_PATCH}, retry=False))


def delete_image(conn: Connection, image_id: str) -> None:
    """`DELETE /v2/images/{id}` → 204."""
    send(conn, "DELETE", image_path(image_id), ok=(204,))


def delete_from_store(conn: Connection, store: str, image_id: str) -> None:
    """`DELETE /v2/stores/{store}/{id}` → 204: the image's data in one store (Image API
    2.10, multi-store Glance); the image and its other copies stay."""
    send(conn, "DELETE", "/".join(("stores", quote(store, safe=""), quote(image_id, safe=""))),
         ok=(204,))


def image_action(conn: Connection, image_id: str, action: str) -> None:
    """`POST /v2/images/{id}/actions/{deactivate|reactivate}` → 204."""
    send(conn, "POST", image_path(image_id, "actions", action), ok=(204,), retry=False)


# ------------------------------------------------------------------ members


def list_members(conn: Connection, image_id: str) -> list[dict[str, Any]]:
    """`GET /v2/images/{id}/members`."""
    doc = json_body(send(conn, "GET", image_path(image_id, "members")))
    members = doc.get("members")
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        raise ApiError(f"GET {conn.image_root()}{image_path(image_id, 'members')}: "
                       "the reply has no list of members")
    return members


def get_member(conn: Connection, image_id: str, member_id: str) -> dict[str, Any]:
    """`GET /v2/images/{id}/members/{project}`."""
    return json_body(send(conn, "GET", image_path(image_id, "members", member_id)))


def add_member(conn: Connection, image_id: str, member_id: str) -> dict[str, Any]:
    """`POST /v2/images/{id}/members` → 200: the new member, `pending`."""
    return json_body(send(conn, "POST", image_path(image_id, "members"),
                          json={"member": member_id}, retry=False))


def update_member(conn: Connection, image_id: str, member_id: str,
                  status: str) -> dict[str, Any]:
    """`PUT /v2/images/{id}/members/{project}`: accepted, rejected or pending."""
    return json_body(send(conn, "PUT", image_path(image_id, "members", member_id),
                          json={"status": status}))


def remove_member(conn: Connection, image_id: str, member_id: str) -> None:
    """`DELETE /v2/images/{id}/members/{project}` → 204."""
    send(conn, "DELETE", image_path(image_id, "members", member_id), ok=(204,))


# ------------------------------------------------------------------ data and import


def upload(conn: Connection, image_id: str, body: Any, stage: bool = False,
           size: int | None = None) -> None:
    """`PUT /v2/images/{id}/file` (or `/stage` for glance-direct) → 204, the body streamed.

    Sent exactly once: no connect or status retries, no re-authentication after a 401 and
    no redirect, each of which would send the stream again (imgcli.transfer's body refuses
    a second send). `size` (--size) becomes Glance's X-OpenStack-Image-Size, which it reads
    for a chunked body that has no Content-Length."""
    headers = {"Content-Type": OCTET_STREAM}
    if size is not None:
        headers["X-OpenStack-Image-Size"] = str(size)
    send(conn, "PUT", image_path(image_id, "stage" if stage else "file"), ok=(204,),
         retry=False, allow_reauth=False, redirect=False, data=body, headers=headers)


def download(conn: Connection, image_id: str, offset: int = 0,
             prefer: Sequence[str] = ()) -> Response:
    """`GET /v2/images/{id}/file` → 200 (or 206 from `offset`), the body left unread;
    204 means the image has no data. `prefer` (--store-preference) is Glance's `prefer`
    query: the stores to read from first."""
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    params = {"prefer": ",".join(prefer)} if prefer else None
    return send(conn, "GET", image_path(image_id, "file"), ok=(200, 204, 206), stream=True,
                headers=headers, params=params)


def start_import(conn: Connection, image_id: str, body: dict[str, Any]) -> None:
    """`POST /v2/images/{id}/import` → 202: the method and its stores."""
    send(conn, "POST", image_path(image_id, "import"), ok=(202,), retry=False, json=body)


def import_info(conn: Connection) -> dict[str, Any]:
    """`GET /v2/info/import`: the import methods this cloud enables."""
    return json_body(send(conn, "GET", "info/import"))
