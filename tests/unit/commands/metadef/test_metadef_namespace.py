"""`image metadef namespace create|delete|list|set|show|unset` against a model of Glance's
metadef API (fake_metadefs.py): the requests each sends with a warm token, the bodies, and
each refusal as one line (a member's 403, a 404, a 409, a protected namespace)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.commands.metadef.fake_metadefs import OWNER, glance_sent

NS = "metadefs/namespaces"


def one_line(result: Any) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    return lines[0]


def bodies(glance: Any) -> list[Any]:
    return [r.json() if r.body else None for r in glance.mock.request_history]


# --- create -----------------------------------------------------------------------------

def test_create_is_one_post_with_the_options(glance, run):
    result = run(["image", "metadef", "namespace", "create", "ns1", "--display-name", "One",
                  "--description", "d", "--private", "--unprotected", "-f", "json"])
    assert result.code == 0, result.err
    assert glance_sent(glance.mock) == [f"POST {NS}"]
    assert bodies(glance) == [{"namespace": "ns1", "display_name": "One", "description": "d",
                               "visibility": "private", "protected": False}]
    assert json.loads(result.out) == {
        "created_at": "2026-12-07T01:14:52Z", "description": "d", "display_name": "One",
        "namespace": "ns1", "owner": OWNER, "protected": False, "tags": [],
        "updated_at": "2026-12-07T01:14:52Z", "visibility": "private"}


def test_create_without_options_sends_the_name_alone(glance, run):
    assert run(["image", "metadef", "namespace", "create", "ns1"]).code == 0
    assert bodies(glance) == [{"namespace": "ns1"}]


@pytest.mark.parametrize("options", [["--public", "--private"],
                                     ["--protected", "--unprotected"]])
def test_create_refuses_opposite_options_before_any_request(glance, run, options):
    result = run(["image", "metadef", "namespace", "create", "ns1", *options])
    assert result.code == 2
    assert "not allowed with argument" in one_line(result)
    assert glance_sent(glance.mock) == []


def test_create_of_an_existing_namespace_is_glances_409_in_one_line(glance, run):
    glance.add("ns1")
    result = run(["image", "metadef", "namespace", "create", "ns1"])
    assert (result.code, result.out) == (1, "")
    assert "409 Conflict" in one_line(result)
    assert "ns1 already exists" in result.err


def test_create_as_a_member_says_it_needs_the_admin_role(glance, run):
    glance.role = "member"
    result = run(["image", "metadef", "namespace", "create", "ns1"])
    assert (result.code, result.out) == (1, "")
    assert one_line(result).startswith("`imgcli image metadef namespace create` needs the "
                                       "admin role: Glance's policy refused it")


# --- show and list ----------------------------------------------------------------------

def test_show_is_one_get_with_tags_and_associations(glance, run):
    held = glance.add("ns1", display_name="One")
    held["tags"] = ["b", "a"]
    held["resource_types"]["OS::Glance::Image"] = {"name": "OS::Glance::Image",
                                                   "prefix": "hw_"}
    held["properties"]["p"] = {"title": "P", "type": "string"}
    result = run(["image", "metadef", "namespace", "show", "ns1", "-f", "json"])
    assert result.code == 0, result.err
    assert glance_sent(glance.mock) == [f"GET {NS}/ns1"]
    shown = json.loads(result.out)
    # openstackclient's record: association names, tags as Glance sends them, no properties
    assert shown["resource_type_associations"] == ["OS::Glance::Image"]
    assert shown["tags"] == [{"name": "b"}, {"name": "a"}]
    assert "properties" not in shown and "schema" not in shown and "self" not in shown
    assert list(shown) == sorted(shown)


def test_show_of_a_missing_namespace_is_one_line_exit_1(glance, run):
    result = run(["image", "metadef", "namespace", "show", "nope"])
    assert (result.code, result.out) == (1, "")
    assert "404 Not Found" in one_line(result)
    assert "namespace=nope was not found" in result.err


def test_list_is_one_request_of_up_to_1000(glance, run):
    for name in ("a", "b", "c"):
        glance.add(name, visibility="public")
    result = run(["image", "metadef", "namespace", "list", "-f", "value"])
    assert (result.code, result.out) == (0, "a\nb\nc\n")
    assert [r.qs for r in glance.mock.request_history] == [{"limit": ["1000"]}]


def test_list_passes_its_filters_to_glance(glance, run):
    glance.add("a", visibility="public")
    glance.add("b")
    result = run(["image", "metadef", "namespace", "list", "--visibility", "public",
                  "--resource-types", "OS::Glance::Image", "-f", "json"])
    assert json.loads(result.out) == [{"namespace": "a"}]
    request = glance.mock.request_history[0]
    assert request.qs == {"limit": ["1000"], "visibility": ["public"],
                          "resource_types": ["os::glance::image"]}  # requests-mock lowercases


def test_list_follows_glances_next_links(glance, run, monkeypatch):
    from imgcli.api import metadefs

    monkeypatch.setattr(metadefs, "PAGE_SIZE", 2)
    for name in ("a", "b", "c", "d", "e"):
        glance.add(name)
    result = run(["image", "metadef", "namespace", "list", "-f", "value"])
    assert result.out == "a\nb\nc\nd\ne\n"
    assert [r.qs.get("marker") for r in glance.mock.request_history] == [
        None, ["b"], ["d"]]


# --- delete -----------------------------------------------------------------------------

def test_delete_is_one_delete_each(glance, run):
    glance.add("a")
    glance.add("b")
    result = run(["image", "metadef", "namespace", "delete", "a", "b"])
    assert (result.code, result.err) == (0, "")
    assert glance_sent(glance.mock) == [f"DELETE {NS}/a", f"DELETE {NS}/b"]
    assert glance.namespaces == {}


def test_delete_of_one_missing_namespace_is_one_line(glance, run):
    result = run(["image", "metadef", "namespace", "delete", "nope"])
    assert result.code == 1
    assert "404 Not Found" in one_line(result)


def test_delete_of_several_goes_on_past_a_failure_and_counts(glance, run):
    glance.add("a")
    glance.add("b")
    result = run(["image", "metadef", "namespace", "delete", "a", "nope", "b"])
    assert result.code == 1
    lines = result.err.splitlines()
    assert len(lines) == 2 and "404 Not Found" in lines[0]
    assert lines[1] == "1 of 3 namespaces failed to delete."
    assert glance.namespaces == {}


def test_delete_of_a_protected_namespace_says_how_to_unprotect_it(glance, run):
    glance.add("ns1", protected=True)
    result = run(["image", "metadef", "namespace", "delete", "ns1"])
    assert result.code == 1
    assert one_line(result) == (
        "Metadata definition namespace ns1 is protected and cannot be deleted: run "
        "`imgcli image metadef namespace set --unprotected ns1` first")


def test_delete_as_a_member_stops_at_the_first_refusal(glance, run):
    glance.add("a")
    glance.add("b")
    glance.role = "member"
    result = run(["image", "metadef", "namespace", "delete", "a", "b"])
    assert result.code == 1
    assert "needs the admin role" in one_line(result)
    assert glance_sent(glance.mock) == [f"DELETE {NS}/a"]


# --- set and unset ----------------------------------------------------------------------

def test_set_keeps_every_attribute_it_does_not_change(glance, run):
    glance.add("ns1", display_name="One", description="d", visibility="public",
               protected=True, owner="someone-else")
    result = run(["image", "metadef", "namespace", "set", "ns1", "--description", "new"])
    assert (result.code, result.err) == (0, "")
    assert glance_sent(glance.mock) == [f"GET {NS}/ns1", f"PUT {NS}/ns1"]
    assert bodies(glance)[1] == {"namespace": "ns1", "display_name": "One",
                                 "description": "new", "visibility": "public",
                                 "protected": True, "owner": "someone-else"}
    assert glance.record("ns1")["visibility"] == "public"


def test_set_adds_only_new_tags_in_one_request(glance, run):
    glance.add("ns1", visibility="public")["tags"] = ["a"]
    result = run(["image", "metadef", "namespace", "set", "ns1", "--tag", "a", "--tag", "b",
                  "--tag", "c", "--tag", "b"])
    assert (result.code, result.err) == (0, "")
    # no PUT: tags alone change no attribute (openstack's PUT would make it private)
    assert glance_sent(glance.mock) == [f"GET {NS}/ns1", f"POST {NS}/ns1/tags"]
    assert glance.mock.request_history[1].headers["X-Openstack-Append"] == "True"
    assert bodies(glance)[1] == {"tags": [{"name": "b"}, {"name": "c"}]}
    assert sorted(glance.namespaces["ns1"]["tags"]) == ["a", "b", "c"]
    assert glance.record("ns1")["visibility"] == "public"


def test_set_without_options_only_checks_the_namespace(glance, run):
    glance.add("ns1")
    assert run(["image", "metadef", "namespace", "set", "ns1"]).code == 0
    assert glance_sent(glance.mock) == [f"GET {NS}/ns1"]
    assert run(["image", "metadef", "namespace", "set", "nope"]).code == 1


def test_set_as_a_member_says_it_needs_the_admin_role(glance, run):
    glance.add("ns1", visibility="public")
    glance.role = "member"
    result = run(["image", "metadef", "namespace", "set", "ns1", "--protected"])
    assert result.code == 1
    assert one_line(result).startswith("`imgcli image metadef namespace set` needs the "
                                       "admin role")


def test_unset_deletes_each_tag(glance, run):
    glance.add("ns1")["tags"] = ["a", "b", "c"]
    result = run(["image", "metadef", "namespace", "unset", "ns1", "--tag", "a", "--tag",
                  "c"])
    assert (result.code, result.err) == (0, "")
    assert glance_sent(glance.mock) == [f"DELETE {NS}/ns1/tags/a", f"DELETE {NS}/ns1/tags/c"]
    assert glance.namespaces["ns1"]["tags"] == ["b"]


def test_unset_all_tags_is_one_delete(glance, run):
    glance.add("ns1")["tags"] = ["a", "b"]
    assert run(["image", "metadef", "namespace", "unset", "ns1", "--all-tags"]).code == 0
    assert glance_sent(glance.mock) == [f"DELETE {NS}/ns1/tags"]
    assert glance.namespaces["ns1"]["tags"] == []


def test_unset_of_a_missing_tag_is_one_line(glance, run):
    glance.add("ns1")
    result = run(["image", "metadef", "namespace", "unset", "ns1", "--tag", "nope"])
    assert result.code == 1
    assert "Could not find metadata tag nope" in one_line(result)


def test_unset_of_several_tags_counts_the_failures(glance, run):
    glance.add("ns1")["tags"] = ["a"]
    result = run(["image", "metadef", "namespace", "unset", "ns1", "--tag", "x", "--tag", "a"])
    assert result.code == 1
    assert result.err.splitlines()[-1] == "1 of 2 tags failed to unset."
    assert glance.namespaces["ns1"]["tags"] == []


@pytest.mark.parametrize("options", [[], ["--tag", "a", "--all-tags"]])
def test_unset_needs_tag_or_all_tags_but_not_both(glance, run, options):
    result = run(["image", "metadef", "namespace", "unset", "ns1", *options])
    assert result.code == 2
    one_line(result)
    assert glance_sent(glance.mock) == []
