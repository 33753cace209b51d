"""A small model of Glance's metadef API for requests-mock (glance/api/v2/metadef_*.py):
its routes, statuses, resets and refusals, as the real one answers. `role = "member"` makes
every write a policy 403, as Glance's default policy does; a protected namespace refuses
deletes inside it with Glance's own 403. Also: the openstackclient oracle (replies recorded
from the local cloud's Glance, and what openstack 10.5.0 printed for them;
tests/fixtures/osc_metadefs/regenerate.py)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any
from urllib.parse import unquote

from tests.conftest import FIXTURES, IMAGE_URL
from tests.unit.fake_glance import refuse

ROOT = IMAGE_URL + "/v2/"
ORACLE = FIXTURES / "osc_metadefs"
REPLIES: dict[str, Any] = json.loads((ORACLE / "replies.json").read_text())
EXPECTED: dict[str, dict[str, Any]] = json.loads((ORACLE / "expected.json").read_text())
OWNER = "a5362cbd04fd4783a038d5a342d58e87"  # the seed token's project
NOW = "2026-12-07T01:14:52Z"
# Which policy a write meets, by method and what it is about (glance/policies/metadef.py).
ACTIONS = {("POST", "namespace"): "add_metadef_namespace",
           ("PUT", "namespace"): "modify_metadef_namespace",
           ("DELETE", "namespace"): "delete_metadef_namespace",
           ("POST", "objects"): "add_metadef_object", ("PUT", "objects"): "modify_metadef_object",
           ("DELETE", "objects"): "delete_metadef_object",
           ("POST", "properties"): "add_metadef_property",
           ("PUT", "properties"): "modify_metadef_property",
           ("DELETE", "properties"): "remove_metadef_property",
           ("POST", "resource_types"): "add_metadef_resource_type_association",
           ("DELETE", "resource_types"): "remove_metadef_resource_type_association",
           ("POST", "tags"): "add_metadef_tags", ("DELETE", "tags"): "delete_metadef_tag"}
KINDS = {"objects": "object", "properties": "property", "resource_types": "resource type",
         "tags": "tag"}


def oracle_cases(*names: str) -> list[tuple[str, str]]:
    """(case, format arguments) for every output openstack printed for these cases."""
    return [(name, args) for name in names for args in EXPECTED[name]["outputs"]]


def glance_sent(mock: Any) -> list[str]:
    """`METHOD path` (unquoted, without /image/v2/) of each request to Glance."""
    return [f"{r.method} {unquote(r.path_url).removeprefix('/image/v2/')}"
            for r in mock.request_history if r.url.startswith(ROOT)]


class FakeMetadefs:
    def __init__(self) -> None:
        self.role = "admin"
        self.namespaces: dict[str, dict[str, Any]] = {}
        self.resource_types = ["OS::Glance::Image", "OS::Nova::Flavor", "OS::Cinder::Volume"]
        self.mock: Any = None

    # ------------------------------------------------------------------ the state
    def add(self, name: str, **attributes: Any) -> dict[str, Any]:
        """A namespace as Glance keeps it: attributes, then its contents by kind."""
        self.namespaces[name] = {
            "attributes": {"namespace": name, "visibility": "private", "protected": False,
                           "owner": OWNER, "created_at": NOW, "updated_at": NOW,
                           **attributes},
            "objects": {}, "properties": {}, "resource_types": {}, "tags": []}
        return self.namespaces[name]

    def record(self, name: str) -> dict[str, Any]:
        """GET /v2/metadefs/namespaces/{ns}: what Glance sends (empty contents left out)."""
        held = self.namespaces[name]
        doc = {**held["attributes"], "self": f"/v2/metadefs/namespaces/{name}",
               "schema": "/v2/schemas/metadefs/namespace"}
        if held["resource_types"]:
            doc["resource_type_associations"] = list(held["resource_types"].values())
        if held["properties"]:
            doc["properties"] = copy.deepcopy(held["properties"])
        if held["objects"]:
            doc["objects"] = list(held["objects"].values())
        if held["tags"]:
            doc["tags"] = [{"name": tag} for tag in held["tags"]]
        return doc

    # ------------------------------------------------------------------ the routes
    def __call__(self, request: Any, context: Any) -> Any:
        path = unquote(request.path_url.split("?")[0]).removeprefix("/image/v2/metadefs/")
        if path == "resource_types":
            return {"resource_types": [{"name": name, "created_at": NOW}
                                       for name in self.resource_types]}
        parts = path.split("/")[1:]  # after "namespaces"
        what = parts[1] if len(parts) > 1 else "namespace"
        if request.method != "GET" and self.role != "admin":
            action = ACTIONS[(request.method, what)]
            return refuse(context, 403, f"You are not authorized to complete {action} action.")
        if not parts:
            return self.namespaces_route(request, context)
        name, rest = parts[0], parts[1:]
        if name not in self.namespaces:
            return refuse(context, 404, f"Metadata definition namespace={name} was not found.")
        held = self.namespaces[name]
        if not rest:
            return self.namespace_route(request, context, name, held)
        if what == "tags":
            return self.tags_route(request, context, name, held, rest[1:])
        return self.contents_route(request, context, name, held, what, rest[1:])

    def namespaces_route(self, request: Any, context: Any) -> Any:
        if request.method == "POST":
            body = request.json()
            if body["namespace"] in self.namespaces:
                return refuse(context, 409, "The metadata definition namespace="
                                            f"{body['namespace']} already exists.")
            self.add(body["namespace"], **{k: v for k, v in body.items() if k != "namespace"})
            context.status_code = 201
            return self.record(body["namespace"])
        query = request.qs
        names = list(self.namespaces)
        if "visibility" in query:
            names = [n for n in names
                     if self.namespaces[n]["attributes"]["visibility"] == query["visibility"][0]]
        if "marker" in query:
            names = names[names.index(unquote(query["marker"][0])) + 1:]
        limit = int(query.get("limit", ["25"])[0])
        page = names[:limit]
        doc: dict[str, Any] = {"namespaces": [self.record(n) for n in page],
                               "first": "/v2/metadefs/namespaces",
                               "schema": "/v2/schemas/metadefs/namespaces"}
        if page and len(page) == limit:
            doc["next"] = f"/v2/metadefs/namespaces?limit={limit}&marker={page[-1]}"
        return doc

    def namespace_route(self, request: Any, context: Any, name: str,
                        held: dict[str, Any]) -> Any:
        attributes = held["attributes"]
        if request.method == "GET":
            return self.record(name)
        if request.method == "PUT":
            body = request.json()
            # Glance's update: every attribute from the body, defaults for those left out.
            attributes.update(display_name=body.get("display_name"),
                              description=body.get("description"),
                              visibility=body.get("visibility") or "private",
                              protected=body.get("protected") or False,
                              owner=body.get("owner") or "the-callers-project")
            for key in ("display_name", "description"):
                if attributes[key] is None:
                    del attributes[key]
            return self.record(name)
        if attributes["protected"]:
            return refuse(context, 403, f"Metadata definition namespace {name} is protected "
                                        "and cannot be deleted.")
        del self.namespaces[name]
        context.status_code = 204
        return None

    def tags_route(self, request: Any, context: Any, name: str, held: dict[str, Any],
                   rest: list[str]) -> Any:
        tags = held["tags"]
        if request.method == "POST":
            new = [tag["name"] for tag in request.json()["tags"]]
            if request.headers.get("X-Openstack-Append", "").lower() != "true":
                tags.clear()
            for tag in new:
                if tag in tags:
                    return refuse(context, 409, f"A metadata tag with name={tag} already "
                                                f"exists in namespace={name}.")
                tags.insert(0, tag)
            context.status_code = 201
            return {"tags": [{"name": tag} for tag in new]}
        if held["attributes"]["protected"]:
            return refuse(context, 403, f"Metadata definition tag {rest[0] if rest else ''} "
                                        "is protected and cannot be deleted.")
        if not rest:
            tags.clear()
        elif rest[0] in tags:
            tags.remove(rest[0])
        else:
            return refuse(context, 404, f"Could not find metadata tag {rest[0]}")
        context.status_code = 204
        return None

    def contents_route(self, request: Any, context: Any, name: str, held: dict[str, Any],
                       what: str, rest: list[str]) -> Any:
        items = held[what]
        key = "resource_type_associations" if what == "resource_types" else what
        if request.method == "GET" and not rest:
            if what == "properties":
                return {"properties": copy.deepcopy(items)}
            return {key: list(items.values()), "schema": f"v2/schemas/metadefs/{what}"}
        if request.method == "POST":
            body = request.json()
            if body["name"] in items:
                return refuse(context, 409, f"A metadata definition {KINDS[what]} with "
                                            f"name={body['name']} already exists in "
                                            f"namespace={name}.")
            items[body["name"]] = {**body, "created_at": NOW, "updated_at": NOW}
            context.status_code = 201
            return items[body["name"]]
        if not rest:  # DELETE of them all
            if held["attributes"]["protected"]:
                return refuse(context, 403, f"Metadata definition namespace {name} is "
                                            "protected and cannot be deleted.")
            items.clear()
            context.status_code = 204
            return None
        if rest[0] not in items:
            return refuse(context, 404, f"Could not find metadata {KINDS[what]} {rest[0]}")
        if request.method == "GET":
            return items[rest[0]]
        if request.method == "PUT":
            body = request.json()
            del items[rest[0]]
            items[body["name"]] = {**body, "created_at": NOW, "updated_at": "2026-12-08"}
            return items[body["name"]]
        if held["attributes"]["protected"]:
            kind = "resource-type-association" if what == "resource_types" else KINDS[what]
            return refuse(context, 403, f"Metadata definition {kind} {rest[0]} is protected "
                                        "and cannot be deleted.")
        del items[rest[0]]
        context.status_code = 204
        return None


    def respond(self, request: Any, context: Any) -> str:
        """The reply's text: JSON, a webob error page, or nothing (204)."""
        doc = self(request, context)
        return doc if isinstance(doc, str) else "" if doc is None else json.dumps(doc)


def install(mock: Any) -> FakeMetadefs:
    model = FakeMetadefs()
    url = re.compile(re.escape(ROOT + "metadefs/") + ".*")
    for method in ("GET", "POST", "PUT", "DELETE"):
        mock.register_uri(method, url, text=model.respond)
    model.mock = mock
    return model
