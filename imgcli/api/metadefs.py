"""The Image API v2's metadata definitions (metadefs): namespaces, their objects, properties,
tags and resource type associations, and the resource types. One function per request, all
through `imgcli.api.images.send` (the image endpoint's root, one typed error per refusal);
each returns Glance's JSON as plain dicts.

Paths (glance/api/v2/router.py): /v2/metadefs/namespaces[/{ns}[/objects[/{name}]
|/properties[/{name}]|/resource_types[/{name}]|/tags[/{name}]]] and
/v2/metadefs/resource_types. A namespace's name is its ID: no request looks one up.
Statuses (glance/api/v2/metadef_*.py): a create is 201, an update 200, a delete 204.

Imports: imgcli.api (http, images, replies), imgcli.errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from imgcli.api import http, replies
from imgcli.api.http import json_body
from imgcli.api.images import follow_pages, send
from imgcli.errors import ApiError

if TYPE_CHECKING:
    from requests import Response

    from imgcli.connection import Connection

# Glance caps a page at api_limit_max (1000 by default) and sends 25 without a limit: asking
# for the cap makes a catalogue of any usual size one request.
PAGE_SIZE = 1000
# Glance's X-OpenStack-Append: add the tags sent to those the namespace has (without it,
# POST .../tags replaces them all).
APPEND = {"X-Openstack-Append": "True"}


def namespace_path(namespace: str, *rest: str) -> str:
    """`metadefs/namespaces/{ns}/...`, each segment quoted (names hold `:`, may hold `/`)."""
    return "/".join(("metadefs/namespaces", *(quote(part, safe=":") for part in
                                              (namespace, *rest))))


def items(conn: Connection, path: str, key: str) -> list[dict[str, Any]]:
    """GET `path` and the list of objects under `key` (absent: none)."""
    response = send(conn, "GET", path)
    doc = json_body(response)
    doc.setdefault(key, [])
    return replies.objects_in(doc, key, replies.where(response))


# ------------------------------------------------------------------ namespaces


def list_namespaces(conn: Connection, resource_types: str | None = None,
                    visibility: str | None = None) -> list[dict[str, Any]]:
    """`GET /v2/metadefs/namespaces?limit=1000[&resource_types=..][&visibility=..]`,
    following `next` (Glance's own order: newest first)."""
    query: list[tuple[str, str]] = [("limit", str(PAGE_SIZE))]
    if resource_types is not None:
        query.append(("resource_types", resource_types))
    if visibility is not None:
        query.append(("visibility", visibility))
    root = conn.image_root()
    url = root + "metadefs/namespaces?" + urlencode(query)

    def read(response: Response) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        if response.status_code >= 400:
            raise http.failure(response)
        doc = json_body(response)
        page = doc.get("namespaces", [])
        if not isinstance(page, list) or not all(isinstance(ns, dict) for ns in page):
            raise ApiError(f"GET {response.url}: the reply has no list of namespaces")
        # an empty page with a `next` link would only lead to the same empty page
        return page, (doc if page else {})

    return [ns for page in follow_pages(conn.adapter, root, url, read) for ns in page]


def get_namespace(conn: Connection, namespace: str) -> dict[str, Any]:
    """`GET /v2/metadefs/namespaces/{ns}`: the namespace with its properties, objects,
    tags and resource type associations."""
    return json_body(send(conn, "GET", namespace_path(namespace)))


def create_namespace(conn: Connection, body: dict[str, Any]) -> dict[str, Any]:
    """`POST /v2/metadefs/namespaces` → 201."""
    return json_body(send(conn, "POST", "metadefs/namespaces", ok=(201,), retry=False,
                          json=body))


def update_namespace(conn: Connection, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
    """`PUT /v2/metadefs/namespaces/{ns}`: Glance sets every attribute from the body, and
    resets one left out (display name, description: none; visibility: private; protected:
    false; owner: the caller's project), so the body carries them all."""
    return json_body(send(conn, "PUT", namespace_path(namespace), json=body))


def delete_namespace(conn: Connection, namespace: str) -> None:
    """`DELETE /v2/metadefs/namespaces/{ns}` → 204, with everything in it."""
    send(conn, "DELETE", namespace_path(namespace), ok=(204,))


def add_tags(conn: Connection, namespace: str, tags: list[str]) -> None:
    """`POST /v2/metadefs/namespaces/{ns}/tags` with X-OpenStack-Append → 201: every tag
    in one request (a tag the namespace has already is a 409 for the whole request)."""
    send(conn, "POST", namespace_path(namespace, "tags"), ok=(201,), retry=False,
         headers=APPEND, json={"tags": [{"name": tag} for tag in tags]})


def delete_tag(conn: Connection, namespace: str, tag: str) -> None:
    """`DELETE /v2/metadefs/namespaces/{ns}/tags/{tag}` → 204."""
    send(conn, "DELETE", namespace_path(namespace, "tags", tag), ok=(204,))


def delete_tags(conn: Connection, namespace: str) -> None:
    """`DELETE /v2/metadefs/namespaces/{ns}/tags` → 204: all of them."""
    send(conn, "DELETE", namespace_path(namespace, "tags"), ok=(204,))


# ------------------------------------------------------------------ objects


def list_objects(conn: Connection, namespace: str) -> list[dict[str, Any]]:
    """`GET /v2/metadefs/namespaces/{ns}/objects` (Glance sends them all, newest first)."""
    return items(conn, namespace_path(namespace, "objects"), "objects")


def get_object(conn: Connection, namespace: str, name: str) -> dict[str, Any]:
    """`GET /v2/metadefs/namespaces/{ns}/objects/{name}`."""
    return json_body(send(conn, "GET", namespace_path(namespace, "objects", name)))


def create_object(conn: Connection, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
    """`POST /v2/metadefs/namespaces/{ns}/objects` → 201."""
    return json_body(send(conn, "POST", namespace_path(namespace, "objects"), ok=(201,),
                          retry=False, json=body))


def update_object(conn: Connection, namespace: str, name: str,
                  body: dict[str, Any]) -> dict[str, Any]:
    """`PUT /v2/metadefs/namespaces/{ns}/objects/{name}`: like a namespace's, every field
    is set from the body (description, required and properties are lost if left out)."""
    return json_body(send(conn, "PUT", namespace_path(namespace, "objects", name), json=body))


def delete_object(conn: Connection, namespace: str, name: str) -> None:
    """`DELETE /v2/metadefs/namespaces/{ns}/objects/{name}` → 204."""
    send(conn, "DELETE", namespace_path(namespace, "objects", name), ok=(204,))


def delete_objects(conn: Connection, namespace: str) -> None:
    """`DELETE /v2/metadefs/namespaces/{ns}/objects` → 204: all of them."""
    send(conn, "DELETE", namespace_path(namespace, "objects"), ok=(204,))


# ------------------------------------------------------------------ properties


def list_properties(conn: Connection, namespace: str) -> dict[str, dict[str, Any]]:
    """`GET /v2/metadefs/namespaces/{ns}/properties`: name → property (a JSON object)."""
    path = namespace_path(namespace, "properties")
    found = json_body(send(conn, "GET", path)).get("properties", {})
    if not isinstance(found, dict) or not all(isinstance(p, dict) for p in found.values()):
        raise ApiError(f"GET {conn.image_root()}{path}: the reply has no properties object")
    return found


def get_property(conn: Connection, namespace: str, name: str) -> dict[str, Any]:
    """`GET /v2/metadefs/namespaces/{ns}/properties/{name}`."""
    return json_body(send(conn, "GET", namespace_path(namespace, "properties", name)))


def create_property(conn: Connection, namespace: str,
                    body: dict[str, Any]) -> dict[str, Any]:
    """`POST /v2/metadefs/namespaces/{ns}/properties` → 201."""
    return json_body(send(conn, "POST", namespace_path(namespace, "properties"), ok=(201,),
                          retry=False, json=body))


def update_property(conn: Connection, namespace: str, name: str,
                    body: dict[str, Any]) -> dict[str, Any]:
    """`PUT /v2/metadefs/namespaces/{ns}/properties/{name}`: the whole new property (Glance
    stores the body as the property's schema)."""
    return json_body(send(conn, "PUT", namespace_path(namespace, "properties", name),
                          json=body))


def delete_property(conn: Connection, namespace: str, name: str) -> None:
    """`DELETE /v2/metadefs/namespaces/{ns}/properties/{name}` → 204."""
    send(conn, "DELETE", namespace_path(namespace, "properties", name), ok=(204,))


def delete_properties(conn: Connection, namespace: str) -> None:
    """`DELETE /v2/metadefs/namespaces/{ns}/properties` → 204: all of them."""
    send(conn, "DELETE", namespace_path(namespace, "properties"), ok=(204,))


# ------------------------------------------------------------------ resource types


def list_resource_types(conn: Connection) -> list[dict[str, Any]]:
    """`GET /v2/metadefs/resource_types`: every resource type Glance knows."""
    return items(conn, "metadefs/resource_types", "resource_types")


def list_associations(conn: Connection, namespace: str) -> list[dict[str, Any]]:
    """`GET /v2/metadefs/namespaces/{ns}/resource_types`."""
    return items(conn, namespace_path(namespace, "resource_types"),
                 "resource_type_associations")


def create_association(conn: Connection, namespace: str,
                       body: dict[str, Any]) -> dict[str, Any]:
    """`POST /v2/metadefs/namespaces/{ns}/resource_types` → 201."""
    return json_body(send(conn, "POST", namespace_path(namespace, "resource_types"),
                          ok=(201,), retry=False, json=body))


def delete_association(conn: Connection, namespace: str, name: str) -> None:
    """`DELETE /v2/metadefs/namespaces/{ns}/resource_types/{name}` → 204."""
    send(conn, "DELETE", namespace_path(namespace, "resource_types", name), ok=(204,))
