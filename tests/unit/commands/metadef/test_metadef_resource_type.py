"""`image metadef resource type list` and `image metadef resource type association
create|delete|list` against a model of Glance's metadef API, --force on a protected
namespace included."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.commands.metadef.fake_metadefs import glance_sent

NS = "metadefs/namespaces/ns1"
IMAGE = "OS::Glance::Image"
FLAVOR = "OS::Nova::Flavor"


def one_line(result: Any) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    return lines[0]


@pytest.fixture
def ns1(glance: Any) -> dict[str, Any]:
    held = glance.add("ns1", display_name="One", description="d", visibility="public")
    held["resource_types"][IMAGE] = {"name": IMAGE, "prefix": "hw_"}
    held["resource_types"][FLAVOR] = {"name": FLAVOR, "prefix": "hw:"}
    return held


def test_resource_type_list_is_one_get(glance, run):
    result = run(["image", "metadef", "resource", "type", "list", "-f", "json"])
    assert json.loads(result.out) == [{"Name": name} for name in glance.resource_types]
    assert glance_sent(glance.mock) == ["GET metadefs/resource_types"]


def test_association_list_is_one_get(glance, ns1, run):
    result = run(["image", "metadef", "resource", "type", "association", "list", "ns1",
                  "-f", "value"])
    assert result.out == f"{IMAGE}\n{FLAVOR}\n"
    assert glance_sent(glance.mock) == [f"GET {NS}/resource_types"]


def test_association_list_of_a_missing_namespace_is_one_line(glance, run):
    result = run(["image", "metadef", "resource", "type", "association", "list", "nope"])
    assert result.code == 1
    assert "404 Not Found" in one_line(result)


def test_association_create_is_one_post(glance, ns1, run):
    result = run(["image", "metadef", "resource", "type", "association", "create", "ns1",
                  "OS::Cinder::Volume", "--properties-target", "image", "-f", "json"])
    assert result.code == 0, result.err
    assert glance_sent(glance.mock) == [f"POST {NS}/resource_types"]
    assert glance.mock.request_history[0].json() == {"name": "OS::Cinder::Volume",
                                                     "properties_target": "image"}
    assert json.loads(result.out) == {
        "created_at": "2026-12-07T01:14:52Z", "id": "OS::Cinder::Volume",
        "name": "OS::Cinder::Volume", "prefix": None, "properties_target": "image",
        "updated_at": "2026-12-07T01:14:52Z"}


def test_association_create_twice_is_one_line_409(glance, ns1, run):
    result = run(["image", "metadef", "resource", "type", "association", "create", "ns1",
                  IMAGE])
    assert result.code == 1
    assert "409 Conflict" in one_line(result)


def test_association_create_as_a_member_says_it_needs_the_admin_role(glance, ns1, run):
    glance.role = "member"
    result = run(["image", "metadef", "resource", "type", "association", "create", "ns1",
                  "OS::Cinder::Volume"])
    assert result.code == 1
    assert one_line(result).startswith("`imgcli image metadef resource type association "
                                       "create` needs the admin role")


def test_association_delete_is_one_delete_each(glance, ns1, run):
    result = run(["image", "metadef", "resource", "type", "association", "delete", "ns1",
                  IMAGE, FLAVOR])
    assert (result.code, result.err) == (0, "")
    assert glance_sent(glance.mock) == [f"DELETE {NS}/resource_types/{IMAGE}",
                                        f"DELETE {NS}/resource_types/{FLAVOR}"]
    assert ns1["resource_types"] == {}


def test_association_delete_of_one_missing_is_one_line(glance, ns1, run):
    result = run(["image", "metadef", "resource", "type", "association", "delete", "ns1",
                  "nope"])
    assert result.code == 1
    assert "404 Not Found" in one_line(result)


def test_association_delete_of_several_counts_the_failures(glance, ns1, run):
    result = run(["image", "metadef", "resource", "type", "association", "delete", "ns1",
                  "nope", IMAGE])
    assert result.code == 1
    assert result.err.splitlines()[1:] == [
        "1 of 2 resource type associations failed to delete."]


def test_association_delete_in_a_protected_namespace_points_to_force(glance, ns1, run):
    ns1["attributes"]["protected"] = True
    result = run(["image", "metadef", "resource", "type", "association", "delete", "ns1",
                  IMAGE])
    assert result.code == 1
    assert one_line(result) == (
        f"Metadata definition resource-type-association {IMAGE} is protected and cannot be "
        "deleted: add --force to unprotect namespace 'ns1' for the delete")
    # nothing but the refused DELETE: the namespace is left exactly as it was
    assert glance_sent(glance.mock) == [f"DELETE {NS}/resource_types/{IMAGE}"]
    assert glance.record("ns1")["display_name"] == "One"


def test_force_unprotects_once_and_keeps_the_namespaces_attributes(glance, ns1, run):
    ns1["attributes"]["protected"] = True
    result = run(["image", "metadef", "resource", "type", "association", "delete", "--force",
                  "ns1", IMAGE, FLAVOR])
    assert (result.code, result.err) == (0, "")
    assert glance_sent(glance.mock) == [
        f"DELETE {NS}/resource_types/{IMAGE}", f"GET {NS}", f"PUT {NS}",
        f"DELETE {NS}/resource_types/{IMAGE}", f"DELETE {NS}/resource_types/{FLAVOR}",
        f"PUT {NS}"]
    puts = [r.json() for r in glance.mock.request_history if r.method == "PUT"]
    kept = {"namespace": "ns1", "display_name": "One", "description": "d",
            "visibility": "public", "owner": ns1["attributes"]["owner"]}
    assert puts == [{**kept, "protected": False}, {**kept, "protected": True}]
    assert ns1["resource_types"] == {}
    assert glance.record("ns1")["protected"] is True


def test_force_protects_again_after_a_failure(glance, ns1, run):
    ns1["attributes"]["protected"] = True
    result = run(["image", "metadef", "resource", "type", "association", "delete", "--force",
                  "ns1", IMAGE, "nope"])
    assert result.code == 1
    assert result.err.splitlines()[-1] == "1 of 2 resource type associations failed to delete."
    assert glance.record("ns1")["protected"] is True
    assert IMAGE not in ns1["resource_types"]


def test_force_on_an_unprotected_namespace_changes_nothing_else(glance, ns1, run):
    result = run(["image", "metadef", "resource", "type", "association", "delete", "--force",
                  "ns1", IMAGE])
    assert result.code == 0
    assert glance_sent(glance.mock) == [f"DELETE {NS}/resource_types/{IMAGE}"]


def test_association_delete_as_a_member_says_it_needs_the_admin_role(glance, ns1, run):
    glance.role = "member"
    result = run(["image", "metadef", "resource", "type", "association", "delete", "ns1",
                  IMAGE, FLAVOR])
    assert result.code == 1
    assert "needs the admin role" in one_line(result)
    assert len(glance_sent(glance.mock)) == 1
