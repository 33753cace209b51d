"""`image metadef property create|delete|list|set|show` against a model of Glance's metadef
API: requests, bodies (--schema in Glance's and openstacksdk's names), output, refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.commands.metadef.fake_metadefs import glance_sent

NS = "metadefs/namespaces/ns1"
LABEL = {"name": "label", "title": "Label", "type": "string", "description": "d",
         "readonly": True, "minLength": 2, "maxLength": 20, "pattern": "^[a-z]+$"}
CREATE = ["image", "metadef", "property", "create", "--name", "speed", "--title", "Speed",
          "--type", "number"]


def one_line(result: Any) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    return lines[0]


@pytest.fixture
def ns1(glance: Any) -> dict[str, Any]:
    held = glance.add("ns1")
    held["properties"]["label"] = dict(LABEL)
    return held


def test_create_is_one_post_of_the_fields_and_the_schema(glance, ns1, run):
    result = run([*CREATE, "--schema", '{"minimum": 1, "is_readonly": true, '
                  '"min_length": 0, "readonly": false, "title": "Fast"}', "ns1", "-f", "json"])
    assert result.code == 0, result.err
    assert glance_sent(glance.mock) == [f"POST {NS}/properties"]
    # openstacksdk's names become Glance's, a later spelling wins, --schema wins last
    assert glance.mock.request_history[0].json() == {
        "name": "speed", "title": "Fast", "type": "number", "minimum": 1, "readonly": False,
        "minLength": 0}
    assert json.loads(result.out) == {"minimum": 1, "name": "speed", "title": "Fast",
                                      "type": "number"}


@pytest.mark.parametrize(("schema", "words"), [
    ("{", "Failed to load JSON schema"), ("[1]", "expected a JSON object"),
    ('{"foo": 1}', "'foo' is not a field of a metadef property")])
def test_a_bad_schema_is_a_usage_error_before_any_request(glance, ns1, run, schema, words):
    result = run([*CREATE, "--schema", schema, "ns1"])
    assert result.code == 2
    assert words in one_line(result)
    assert glance_sent(glance.mock) == []


def test_create_needs_all_four_options(glance, run):
    result = run(["image", "metadef", "property", "create", "--name", "x", "ns1"])
    assert result.code == 2
    assert "--title" in one_line(result)
    assert glance_sent(glance.mock) == []


def test_create_of_an_existing_property_is_one_line_409(glance, ns1, run):
    result = run(["image", "metadef", "property", "create", "--name", "label", "--title", "L",
                  "--type", "string", "--schema", "{}", "ns1"])
    assert result.code == 1
    assert "409 Conflict" in one_line(result)


def test_create_as_a_member_says_it_needs_the_admin_role(glance, ns1, run):
    glance.role = "member"
    result = run([*CREATE, "--schema", "{}", "ns1"])
    assert result.code == 1
    assert "`imgcli image metadef property create` needs the admin role" in one_line(result)


def test_show_is_one_get_of_openstacks_fields(glance, ns1, run):
    result = run(["image", "metadef", "property", "show", "ns1", "label", "-f", "json"])
    assert glance_sent(glance.mock) == [f"GET {NS}/properties/label"]
    # openstackclient shows neither readonly nor the lengths (its list has SDK names)
    assert json.loads(result.out) == {"description": "d", "name": "label",
                                      "pattern": "^[a-z]+$", "title": "Label",
                                      "type": "string"}


def test_show_of_a_missing_property_is_one_line(glance, ns1, run):
    result = run(["image", "metadef", "property", "show", "ns1", "nope"])
    assert (result.code, result.out) == (1, "")
    assert "Could not find metadata property nope" in one_line(result)


def test_list_is_one_get_named_by_the_keys(glance, ns1, run):
    ns1["properties"]["cpu"] = {"title": "CPU", "type": "integer"}  # no name inside
    result = run(["image", "metadef", "property", "list", "ns1", "-f", "value"])
    assert result.out == "label Label string\ncpu CPU integer\n"
    assert glance_sent(glance.mock) == [f"GET {NS}/properties"]


def test_set_sends_back_every_field_glance_gave(glance, ns1, run):
    result = run(["image", "metadef", "property", "set", "ns1", "label", "--title", "Tag",
                  "--schema", '{"max_length": 30}'])
    assert (result.code, result.err) == (0, "")
    assert glance_sent(glance.mock) == [f"GET {NS}/properties/label",
                                        f"PUT {NS}/properties/label"]
    assert glance.mock.request_history[1].json() == {**LABEL, "title": "Tag",
                                                     "maxLength": 30}


def test_set_can_rename(glance, ns1, run):
    assert run(["image", "metadef", "property", "set", "ns1", "label", "--name", "tag"]).code == 0
    assert list(ns1["properties"]) == ["tag"]
    assert ns1["properties"]["tag"]["readonly"] is True


def test_set_without_options_only_checks_the_property(glance, ns1, run):
    assert run(["image", "metadef", "property", "set", "ns1", "label"]).code == 0
    assert glance_sent(glance.mock) == [f"GET {NS}/properties/label"]


def test_set_with_a_bad_schema_sends_nothing(glance, ns1, run):
    result = run(["image", "metadef", "property", "set", "ns1", "label", "--schema", "[]"])
    assert result.code == 2
    assert glance_sent(glance.mock) == []


def test_set_as_a_member_says_it_needs_the_admin_role(glance, ns1, run):
    glance.role = "member"
    result = run(["image", "metadef", "property", "set", "ns1", "label", "--title", "x"])
    assert result.code == 1
    assert "needs the admin role" in one_line(result)


def test_delete_is_one_delete_each_and_counts_failures(glance, ns1, run):
    ns1["properties"]["cpu"] = {"title": "CPU", "type": "integer"}
    result = run(["image", "metadef", "property", "delete", "ns1", "label", "nope", "cpu"])
    assert result.code == 1
    assert result.err.splitlines()[1:] == ["1 of 3 properties failed to delete."]
    assert glance_sent(glance.mock) == [f"DELETE {NS}/properties/{name}"
                                        for name in ("label", "nope", "cpu")]
    assert ns1["properties"] == {}


def test_delete_of_one_missing_property_is_one_line(glance, ns1, run):
    result = run(["image", "metadef", "property", "delete", "ns1", "nope"])
    assert result.code == 1
    assert "Could not find metadata property nope" in one_line(result)


def test_delete_without_properties_deletes_them_all(glance, ns1, run):
    assert run(["image", "metadef", "property", "delete", "ns1"]).code == 0
    assert glance_sent(glance.mock) == [f"DELETE {NS}/properties"]
    assert ns1["properties"] == {}


def test_delete_all_in_a_protected_namespace_says_how_to_unprotect_it(glance, ns1, run):
    ns1["attributes"]["protected"] = True
    result = run(["image", "metadef", "property", "delete", "ns1"])
    assert result.code == 1
    assert one_line(result).endswith(": run `imgcli image metadef namespace set "
                                     "--unprotected ns1` first")
    assert ns1["properties"] != {}
