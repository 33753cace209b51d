"""`image metadef object create|delete|list|show|update` and `image metadef object property
show` against a model of Glance's metadef API: requests, bodies, output and refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.commands.metadef.fake_metadefs import glance_sent

NS = "metadefs/namespaces/ns1"
DISK = {"name": "Disk", "description": "A disk", "required": ["size"],
        "properties": {"size": {"title": "Size", "type": "integer", "minimum": 0}}}


def one_line(result: Any) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    return lines[0]


@pytest.fixture
def ns1(glance: Any) -> dict[str, Any]:
    held = glance.add("ns1")
    held["objects"]["Disk"] = dict(DISK)
    return held


def test_create_is_one_post_without_a_namespace_look_up(glance, ns1, run):
    result = run(["image", "metadef", "object", "create", "--namespace", "ns1", "Net",
                  "-f", "json"])
    assert result.code == 0, result.err
    assert glance_sent(glance.mock) == [f"POST {NS}/objects"]
    assert glance.mock.request_history[0].json() == {"name": "Net"}
    shown = json.loads(result.out)
    assert (shown["name"], shown["namespace_name"], shown["properties"]) == ("Net", "ns1",
                                                                             None)


def test_create_without_namespace_is_a_usage_error_before_any_request(glance, run):
    result = run(["image", "metadef", "object", "create", "Net"])
    assert result.code == 2
    assert "--namespace" in one_line(result)
    assert glance_sent(glance.mock) == []


def test_create_of_an_existing_object_is_one_line_409(glance, ns1, run):
    result = run(["image", "metadef", "object", "create", "--namespace", "ns1", "Disk"])
    assert result.code == 1
    assert "409 Conflict" in one_line(result)


def test_create_in_a_missing_namespace_is_one_line_404(glance, run):
    result = run(["image", "metadef", "object", "create", "--namespace", "nope", "Net"])
    assert result.code == 1
    assert "404 Not Found" in one_line(result)


def test_create_as_a_member_says_it_needs_the_admin_role(glance, ns1, run):
    glance.role = "member"
    result = run(["image", "metadef", "object", "create", "--namespace", "ns1", "Net"])
    assert result.code == 1
    assert one_line(result).startswith("`imgcli image metadef object create` needs the admin "
                                       "role")


def test_show_is_one_get(glance, ns1, run):
    result = run(["image", "metadef", "object", "show", "ns1", "Disk", "-f", "json"])
    assert glance_sent(glance.mock) == [f"GET {NS}/objects/Disk"]
    assert json.loads(result.out)["required"] == ["size"]


def test_show_of_a_missing_object_is_one_line_exit_1(glance, ns1, run):
    result = run(["image", "metadef", "object", "show", "ns1", "nope"])
    assert (result.code, result.out) == (1, "")
    assert "Could not find metadata object nope" in one_line(result)


def test_list_is_one_get(glance, ns1, run):
    result = run(["image", "metadef", "object", "list", "ns1", "-f", "csv"])
    assert result.out == '"name","description"\n"Disk","A disk"\n'
    assert glance_sent(glance.mock) == [f"GET {NS}/objects"]


def test_list_of_a_missing_namespace_is_one_line(glance, run):
    result = run(["image", "metadef", "object", "list", "nope"])
    assert result.code == 1
    assert "was not found" in one_line(result)


def test_update_renames_and_keeps_the_rest(glance, ns1, run):
    result = run(["image", "metadef", "object", "update", "ns1", "Disk", "--name", "Drive"])
    assert (result.code, result.err) == (0, "")
    assert glance_sent(glance.mock) == [f"GET {NS}/objects/Disk", f"PUT {NS}/objects/Disk"]
    assert glance.mock.request_history[1].json() == {**DISK, "name": "Drive"}
    assert ns1["objects"]["Drive"]["properties"] == DISK["properties"]


def test_update_without_name_only_checks_the_object(glance, ns1, run):
    assert run(["image", "metadef", "object", "update", "ns1", "Disk"]).code == 0
    assert glance_sent(glance.mock) == [f"GET {NS}/objects/Disk"]
    assert run(["image", "metadef", "object", "update", "ns1", "nope"]).code == 1


def test_update_as_a_member_says_it_needs_the_admin_role(glance, ns1, run):
    glance.role = "member"
    result = run(["image", "metadef", "object", "update", "ns1", "Disk", "--name", "x"])
    assert result.code == 1
    assert "needs the admin role" in one_line(result)


def test_delete_is_one_delete_each(glance, ns1, run):
    ns1["objects"]["Net"] = {"name": "Net"}
    result = run(["image", "metadef", "object", "delete", "ns1", "Disk", "Net"])
    assert (result.code, result.err) == (0, "")
    assert glance_sent(glance.mock) == [f"DELETE {NS}/objects/Disk",
                                        f"DELETE {NS}/objects/Net"]
    assert ns1["objects"] == {}


def test_delete_without_objects_deletes_them_all_in_one_request(glance, ns1, run):
    assert run(["image", "metadef", "object", "delete", "ns1"]).code == 0
    assert glance_sent(glance.mock) == [f"DELETE {NS}/objects"]
    assert ns1["objects"] == {}


def test_delete_of_one_missing_object_is_one_line(glance, ns1, run):
    result = run(["image", "metadef", "object", "delete", "ns1", "nope"])
    assert result.code == 1
    assert "Could not find metadata object nope" in one_line(result)


def test_delete_of_several_counts_the_failures(glance, ns1, run):
    result = run(["image", "metadef", "object", "delete", "ns1", "nope", "Disk"])
    assert result.code == 1
    assert result.err.splitlines()[1:] == ["1 of 2 objects failed to delete."]
    assert ns1["objects"] == {}


def test_delete_in_a_protected_namespace_says_how_to_unprotect_it(glance, ns1, run):
    ns1["attributes"]["protected"] = True
    result = run(["image", "metadef", "object", "delete", "ns1", "Disk"])
    assert result.code == 1
    assert one_line(result) == ("Metadata definition object Disk is protected and cannot be "
                                "deleted: run `imgcli image metadef namespace set "
                                "--unprotected ns1` first")


def test_property_show_is_the_objects_property_and_its_name(glance, ns1, run):
    result = run(["image", "metadef", "object", "property", "show", "ns1", "Disk", "size",
                  "-f", "json"])
    assert json.loads(result.out) == {"minimum": 0, "name": "size", "title": "Size",
                                      "type": "integer"}
    assert glance_sent(glance.mock) == [f"GET {NS}/objects/Disk"]


def test_property_show_of_a_missing_property_is_openstacks_line(glance, ns1, run):
    result = run(["image", "metadef", "object", "property", "show", "ns1", "Disk", "nope"])
    assert (result.code, result.out) == (1, "")
    assert one_line(result) == "Property nope not found in object Disk."
