"""The metadef commands on devcloud's Glance, against openstackclient 10.5.0.

- The whole lifecycle as admin (namespace → property → object → resource type association,
  then deleted in reverse), made by imgcli and read back by openstack, and made by
  openstack and read back by imgcli.
- Every read command: the same JSON, table and value output as openstack's, on a namespace
  holding everything and on the standard catalogue's OS::Compute::Hypervisor.
- A member (demo): every write is one line saying it needs the admin role, and nothing
  changes; an admin's private namespace is not found.
- The requests: a warm show or list is one; where openstack sends more, it is counted.
- Where imgcli deliberately differs (README): set and update keep what openstack's PUTs reset.

Namespaces are the tests' own (`it-md-...`, deleted at the end); resource types are the
catalogue's (an association with a new one would add it to Glance's list for good).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from admin_runs import imgcli, one_line, openstack, osc_requests, traced

IMAGE, FLAVOR = "OS::Glance::Image", "OS::Nova::Flavor"
CATALOGUE = "OS::Compute::Hypervisor"
ADMIN_LINE = "needs the admin role: Glance's policy refused it"


class Metadefs:
    """Glance's metadef API straight, for scratch namespaces and reading the results."""

    def __init__(self, devcloud: Any) -> None:
        self.devcloud = devcloud
        self.made: list[str] = []
        self._token = devcloud.login("admin")[0]

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        return requests.request(method, f"{self.devcloud.glance_url}/v2/metadefs/{path}",
                                headers={"X-Auth-Token": self._token}, timeout=60, **kwargs)

    def name(self) -> str:
        name = f"it-md-{uuid.uuid4().hex[:10]}"
        self.made.append(name)
        return name

    def namespace(self, **body: Any) -> str:
        """A new namespace (with whatever else `body` holds: properties, objects, ...)."""
        name = self.name()
        r = self.api("POST", "namespaces", json={"namespace": name, **body})
        assert r.status_code == 201, r.text
        return name

    def get(self, path: str) -> dict[str, Any]:
        r = self.api("GET", f"namespaces/{path}")
        assert r.status_code == 200, r.text
        return r.json()

    def delete_all(self) -> None:
        for name in self.made:
            if self.api("GET", f"namespaces/{name}").status_code == 404:
                continue
            self.api("PUT", f"namespaces/{name}", json={"namespace": name})  # unprotects
            r = self.api("DELETE", f"namespaces/{name}")
            assert r.status_code == 204, r.text


@pytest.fixture
def metadefs(devcloud: Any) -> Iterator[Metadefs]:
    made = Metadefs(devcloud)
    try:
        yield made
    finally:
        made.delete_all()


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {user: tmp_path_factory.mktemp(f"metadefs-{user}") for user in ("admin", "demo")}


@pytest.fixture(scope="module")
def rich(devcloud: Any) -> Iterator[str]:
    """A public namespace holding every kind of thing, for the read commands."""
    made = Metadefs(devcloud)
    made.namespace(
        display_name="Everything", description="All a namespace can hold",
        visibility="public", tags=[{"name": "alpha"}, {"name": "beta"}],
        resource_type_associations=[{"name": IMAGE, "prefix": "hw_"},
                                    {"name": FLAVOR, "prefix": "hw:",
                                     "properties_target": "flavor"}],
        properties={"mode": {"title": "Mode", "type": "string", "enum": ["a", "b"],
                             "default": "a", "readonly": False, "description": "M"},
                    "count": {"title": "Count", "type": "integer", "minimum": 1,
                              "maximum": 8},
                    "list": {"title": "List", "type": "array", "operators": ["<or>"],
                             "items": {"type": "string", "enum": ["x", "y"]},
                             "uniqueItems": True, "minItems": 1}},
        objects=[{"name": "Disk", "description": "A disk", "required": ["size"],
                  "properties": {"size": {"title": "Size", "type": "integer"},
                                 "bus": {"title": "Bus", "type": "string",
                                         "enum": ["ide", "virtio"]}}},
                 {"name": "Bare"}])
    try:
        yield made.made[0]
    finally:
        made.delete_all()


def both(devcloud: Any, osc_bin: Path, homes: dict[str, Path], user: str,
         *args: str) -> tuple[Any, Any]:
    return (openstack(devcloud, osc_bin, homes[user], user, *args),
            imgcli(devcloud, homes[user], user, *args))


def shown(ran: Any) -> Any:
    assert ran.code == 0, ran.err
    return json.loads(ran.out)


def catalogue_loaded(metadefs: Metadefs) -> bool:
    return metadefs.api("GET", f"namespaces/{CATALOGUE}").status_code == 200


# ------------------------------------------------------------------ reads

READS = [
    "namespace show {ns}", "object list {ns}", "object show {ns} Disk",
    "object show {ns} Bare", "object property show {ns} Disk bus", "property list {ns}",
    "property show {ns} mode", "property show {ns} count", "property show {ns} list",
    "resource type association list {ns}", "resource type list",
]


@pytest.mark.parametrize("user", ["admin", "demo"])
@pytest.mark.parametrize("command", READS)
def test_reads_print_what_openstack_prints(devcloud, osc_bin, homes, rich, user, command):
    argv = ["image", "metadef", *command.format(ns=rich).split()]
    outputs = ("json", "table", "value") if user == "admin" else ("json",)
    for output in (["-f", name] for name in outputs):
        theirs, ours = both(devcloud, osc_bin, homes, user, *argv, *output)
        assert theirs.code == 0, theirs.err
        assert (ours.code, ours.out, ours.err) == (0, theirs.out, ""), output


@pytest.mark.parametrize("command", [
    "namespace show {ns}", "property list {ns}", "property show {ns} hypervisor_type",
    "object list {ns}", "resource type association list {ns}"])
def test_catalogue_reads_print_what_openstack_prints(devcloud, osc_bin, homes, metadefs,
                                                     command):
    if not catalogue_loaded(metadefs):
        pytest.skip(f"the metadef catalogue is not loaded on devcloud ({CATALOGUE} missing)")
    argv = ["image", "metadef", *command.format(ns=CATALOGUE).split()]
    for output in (["-f", "json"], ["-f", "table"]):
        theirs, ours = both(devcloud, osc_bin, homes, "admin", *argv, *output)
        assert theirs.code == 0, theirs.err
        assert (ours.code, ours.out) == (0, theirs.out), output


@pytest.mark.parametrize("options", ["", "--visibility public",
                                     f"--resource-types {IMAGE}"])
def test_namespace_list_prints_what_openstack_prints(devcloud, osc_bin, homes, rich, options):
    argv = ["image", "metadef", "namespace", "list", *options.split(), "-f", "json"]
    for _ in range(3):  # another test may add or delete a namespace between the two runs
        theirs, ours = both(devcloud, osc_bin, homes, "admin", *argv)
        if shown(theirs) == shown(ours):
            break
    assert shown(ours) == shown(theirs)
    assert {"namespace": rich} in shown(ours)


def test_missing_things_are_one_line_exit_1(devcloud, osc_bin, homes, rich):
    for command in ("namespace show it-md-missing", f"object show {rich} nope",
                    f"property show {rich} nope", f"object property show {rich} Disk nope",
                    "object list it-md-missing"):
        theirs, ours = both(devcloud, osc_bin, homes, "admin", "image", "metadef",
                            *command.split())
        assert (theirs.code, ours.code, ours.out) == (1, 1, ""), command
        one_line(ours)


def test_a_members_view_hides_an_admins_private_namespace(devcloud, osc_bin, homes,
                                                          metadefs):
    name = metadefs.namespace(display_name="private to admin")
    theirs, ours = both(devcloud, osc_bin, homes, "demo", "image", "metadef", "namespace",
                        "show", name)
    assert (theirs.code, ours.code) == (1, 1)
    assert "404 Not Found" in one_line(ours)


# ------------------------------------------------------------------ requests


@pytest.mark.parametrize(("command", "theirs_more"), [
    ("namespace show {ns}", False), ("namespace list", True), ("object list {ns}", False),
    ("object show {ns} Disk", False), ("property list {ns}", False),
    ("property show {ns} mode", False), ("resource type list", False),
    ("resource type association list {ns}", False)])
def test_a_warm_read_is_one_request(devcloud, osc_bin, homes, rich, command, theirs_more):
    argv = ["image", "metadef", *command.format(ns=rich).split(), "-f", "json"]
    ours, sent = traced(devcloud, homes["admin"], "admin", *argv)
    assert ours.code == 0, ours.err
    assert len(sent) == 1 and sent[0].endswith(" 200"), sent
    theirs, their_sent = osc_requests(devcloud, osc_bin, homes["admin"], "admin", *argv)
    # openstack's discovery of the image endpoint, then its requests; namespace list pages
    # by Glance's default 25 where imgcli asks for 1000
    assert len(their_sent) - 1 >= 1 + theirs_more, their_sent


def test_writes_by_name_send_no_look_up(devcloud, osc_bin, homes, metadefs):
    name = metadefs.namespace()
    ours, sent = traced(devcloud, homes["admin"], "admin", "image", "metadef", "object",
                        "create", "--namespace", name, "Thing")
    assert ours.code == 0, ours.err
    assert [line.split()[0] for line in sent] == ["POST"]
    theirs, their_sent = osc_requests(devcloud, osc_bin, homes["admin"], "admin", "image",
                                      "metadef", "object", "create", "--namespace", name,
                                      "Other")
    assert [line.split()[0] for line in their_sent[1:]] == ["GET", "POST"]
    ours, sent = traced(devcloud, homes["admin"], "admin", "image", "metadef", "namespace",
                        "delete", name)
    assert [line.split()[0] for line in sent] == ["DELETE"], sent


# ------------------------------------------------------------------ lifecycle


def test_lifecycle_made_by_imgcli_read_back_by_openstack(devcloud, osc_bin, homes, metadefs):
    ns = metadefs.name()
    home = homes["admin"]

    def ours(*args: str) -> Any:
        return imgcli(devcloud, home, "admin", "image", "metadef", *args)

    def theirs(*args: str) -> Any:
        return openstack(devcloud, osc_bin, home, "admin", "image", "metadef", *args)

    made = shown(ours("namespace", "create", ns, "--display-name", "Life", "--description",
                      "cycle", "--public", "--protected", "-f", "json"))
    assert shown(theirs("namespace", "show", ns, "-f", "json")) == made
    prop = shown(ours("property", "create", "--name", "speed", "--title", "Speed", "--type",
                      "string", "--schema", '{"enum": ["slow", "fast"], "readonly": true}',
                      ns, "-f", "json"))
    assert shown(theirs("property", "show", ns, "speed", "-f", "json")) == prop
    assert shown(ours("object", "create", "--namespace", ns, "Disk", "-f", "json"))["name"] \
        == "Disk"
    assert shown(theirs("object", "list", ns, "-f", "json")) == [
        {"name": "Disk", "description": None}]
    association = shown(ours("resource", "type", "association", "create", ns, IMAGE, "-f",
                             "json"))
    assert association["name"] == IMAGE
    assert shown(theirs("resource", "type", "association", "list", ns, "-f", "json")) == [
        {"Name": IMAGE}]
    assert shown(theirs("namespace", "show", ns, "-f", "json"))[
        "resource_type_associations"] == [IMAGE]

    # in reverse; the namespace is protected, so the association needs --force
    refused = ours("resource", "type", "association", "delete", ns, IMAGE)
    assert refused.code == 1 and "add --force" in one_line(refused)
    assert ours("resource", "type", "association", "delete", "--force", ns, IMAGE).code == 0
    assert shown(theirs("resource", "type", "association", "list", ns, "-f", "json")) == []
    after = shown(theirs("namespace", "show", ns, "-f", "json"))
    assert (after["protected"], after["display_name"], after["visibility"]) == (
        True, "Life", "public")
    refused = ours("object", "delete", ns, "Disk")
    assert refused.code == 1 and "--unprotected" in one_line(refused)
    assert ours("namespace", "set", ns, "--unprotected").code == 0
    after = shown(theirs("namespace", "show", ns, "-f", "json"))
    assert (after["protected"], after["display_name"], after["visibility"]) == (
        False, "Life", "public")
    assert ours("object", "delete", ns, "Disk").code == 0
    assert shown(theirs("object", "list", ns, "-f", "json")) == []
    assert ours("property", "delete", ns, "speed").code == 0
    assert shown(theirs("property", "list", ns, "-f", "json")) == []
    assert ours("namespace", "delete", ns).code == 0
    assert theirs("namespace", "show", ns).code == 1


def test_lifecycle_made_by_openstack_read_back_by_imgcli(devcloud, osc_bin, homes, metadefs):
    ns = metadefs.name()
    home = homes["admin"]

    def pair(*args: str) -> tuple[Any, Any]:
        """openstack's change, then imgcli's and openstack's reading of the result."""
        return both(devcloud, osc_bin, homes, "admin", "image", "metadef", *args)

    def theirs(*args: str) -> Any:
        ran = openstack(devcloud, osc_bin, home, "admin", "image", "metadef", *args)
        assert ran.code == 0, ran.err
        return ran

    theirs("namespace", "create", ns, "--display-name", "Life", "--public")
    theirs("property", "create", "--name", "speed", "--title", "Speed", "--type", "string",
           "--schema", '{"enum": ["slow", "fast"]}', ns)
    theirs("object", "create", "--namespace", ns, "Disk")
    theirs("resource", "type", "association", "create", ns, FLAVOR)
    theirs("namespace", "set", ns, "--tag", "t1")
    for read in (["namespace", "show", ns], ["property", "show", ns, "speed"],
                 ["object", "show", ns, "Disk"], ["property", "list", ns],
                 ["resource", "type", "association", "list", ns]):
        for output in ("json", "table"):
            osc_read, our_read = pair(*read, "-f", output)
            assert (our_read.code, our_read.out) == (0, osc_read.out), read
    theirs("resource", "type", "association", "delete", ns, FLAVOR)
    theirs("object", "delete", ns, "Disk")
    theirs("property", "delete", ns, "speed")
    assert shown(imgcli(devcloud, home, "admin", "image", "metadef", "namespace", "show", ns,
                        "-f", "json")).get("resource_type_associations") is None
    theirs("namespace", "delete", ns)
    gone = imgcli(devcloud, home, "admin", "image", "metadef", "namespace", "show", ns)
    assert gone.code == 1 and "404 Not Found" in one_line(gone)


def test_tags_set_by_one_are_read_by_the_other(devcloud, osc_bin, homes, metadefs):
    ns = metadefs.namespace()
    home = homes["admin"]
    assert imgcli(devcloud, home, "admin", "image", "metadef", "namespace", "set", ns,
                  "--tag", "a", "--tag", "b").code == 0
    read = shown(openstack(devcloud, osc_bin, home, "admin", "image", "metadef", "namespace",
                           "show", ns, "-f", "json"))
    assert sorted(tag["name"] for tag in read["tags"]) == ["a", "b"]
    assert openstack(devcloud, osc_bin, home, "admin", "image", "metadef", "namespace",
                     "set", ns, "--tag", "c").code == 0
    assert imgcli(devcloud, home, "admin", "image", "metadef", "namespace", "unset", ns,
                  "--tag", "a").code == 0
    read = shown(openstack(devcloud, osc_bin, home, "admin", "image", "metadef", "namespace",
                           "show", ns, "-f", "json"))
    assert sorted(tag["name"] for tag in read["tags"]) == ["b", "c"]
    assert imgcli(devcloud, home, "admin", "image", "metadef", "namespace", "unset", ns,
                  "--all-tags").code == 0
    assert metadefs.get(ns).get("tags") is None


# ------------------------------------------------------------------ a member


def test_a_members_writes_need_the_admin_role_and_change_nothing(devcloud, homes, metadefs):
    ns = metadefs.namespace(visibility="public", display_name="Public",
                            properties={"p": {"title": "P", "type": "string"}},
                            objects=[{"name": "o"}], tags=[{"name": "t"}],
                            resource_type_associations=[{"name": IMAGE}])
    before = metadefs.get(ns)
    for command in (f"namespace create {metadefs.name()}", f"namespace set {ns} --private",
                    f"namespace set {ns} --tag new", f"namespace unset {ns} --tag t",
                    f"namespace delete {ns}", f"object create --namespace {ns} o2",
                    f"object update {ns} o --name o3", f"object delete {ns} o",
                    f"object delete {ns}",
                    f"property create --name q --title Q --type string --schema {{}} {ns}",
                    f"property set {ns} p --title Q", f"property delete {ns} p",
                    f"resource type association create {ns} {FLAVOR}",
                    f"resource type association delete {ns} {IMAGE}"):
        ran = imgcli(devcloud, homes["demo"], "demo", "image", "metadef", *command.split())
        assert (ran.code, ran.out) == (1, ""), command
        assert ADMIN_LINE in one_line(ran), command
    after = metadefs.get(ns)
    assert after == before


# ------------------------------------------------------------------ deliberate differences


def test_set_keeps_what_openstacks_set_resets(devcloud, osc_bin, homes, metadefs):
    twins = [metadefs.namespace(display_name="Kept", description="d", visibility="public",
                                protected=True) for _ in range(2)]
    home = homes["admin"]
    args = ("image", "metadef", "namespace", "set", "--description", "new")
    assert openstack(devcloud, osc_bin, home, "admin", *args, twins[0]).code == 0
    assert imgcli(devcloud, home, "admin", *args, twins[1]).code == 0
    theirs, ours = (metadefs.get(name) for name in twins)
    assert theirs["description"] == ours["description"] == "new"
    # openstack's PUT carries the description alone, and Glance resets the rest
    assert ("display_name" in theirs, theirs["visibility"], theirs["protected"]) == (
        False, "private", False)
    assert (ours["display_name"], ours["visibility"], ours["protected"]) == (
        "Kept", "public", True)


def test_updates_keep_what_openstacks_updates_erase(devcloud, osc_bin, homes, metadefs):
    body = {"objects": [{"name": "Disk", "description": "A disk", "required": ["size"],
                         "properties": {"size": {"title": "Size", "type": "integer"}}}],
            "properties": {"label": {"title": "Label", "type": "string", "readonly": True,
                                     "minLength": 2, "maxLength": 9}}}
    twins = [metadefs.namespace(**body) for _ in range(2)]
    home = homes["admin"]
    for run, ns in ((lambda *a: openstack(devcloud, osc_bin, home, "admin", *a), twins[0]),
                    (lambda *a: imgcli(devcloud, home, "admin", *a), twins[1])):
        assert run("image", "metadef", "object", "update", ns, "Disk", "--name",
                   "Drive").code == 0
        assert run("image", "metadef", "property", "set", ns, "label", "--title",
                   "Tag").code == 0
    theirs, ours = (metadefs.get(f"{ns}/objects/Drive") for ns in twins)
    assert (theirs["properties"], theirs.get("description")) == ({}, None)
    assert (ours["properties"], ours["description"], ours["required"]) == (
        body["objects"][0]["properties"], "A disk", ["size"])
    theirs, ours = (metadefs.get(f"{ns}/properties/label") for ns in twins)
    assert theirs["title"] == ours["title"] == "Tag"
    assert "readonly" not in theirs and "minLength" not in theirs
    assert (ours["readonly"], ours["minLength"], ours["maxLength"]) == (True, 2, 9)
