"""`image show`: openstackclient's record byte for byte (the oracle in fixtures/osc_show/),
and what each form of the argument costs in requests."""

from __future__ import annotations

import json

import pytest

from imgcli.records import format_dict, format_size, sdk_view, show_record
from tests.conftest import load
from tests.unit.fake_glance import FakeGlance, install

IMAGES = load("show_images.json")
ORACLE = load("osc_show/expected.json")
CASES = [(name, args) for name, outputs in ORACLE.items() for args in outputs]
CIRROS = IMAGES["seed-cirros-0.5.2"]


@pytest.fixture
def glance(seed_cloud) -> FakeGlance:
    seed_cloud.images[:] = list(IMAGES.values())
    return install(seed_cloud.mock, seed_cloud.images)


@pytest.mark.parametrize(("name", "args"), CASES, ids=[f"{n}:{a}" for n, a in CASES])
def test_same_bytes_as_openstackclient(glance, run, name, args):
    expected = ORACLE[name][args]
    result = run(["image", "show", IMAGES[name]["id"], *args.split()])
    if expected["code"] != 0:
        # openstackclient fails with KeyError('size') for --human-readable on an image
        # without data; imgcli prints the record without the size row (README).
        assert args == "--human-readable" and IMAGES[name]["size"] is None
        assert result.code == 0
        assert "| size " not in result.out and "| status " in result.out
        return
    assert result.code == 0, result.err
    assert result.out == expected["out"]


def test_show_by_id_is_one_request(glance, run):
    assert run(["image", "show", CIRROS["id"]]).code == 0
    assert glance.sent == [f"GET /v2/images/{CIRROS['id']}"]


def test_show_by_name_is_one_filtered_request(glance, run):
    result = run(["image", "show", "cirros-0.5.2-x86_64-disk", "-f", "json"])
    assert json.loads(result.out)["id"] == CIRROS["id"]
    assert glance.sent == ["GET /v2/images?name=cirros-0.5.2-x86_64-disk"]


def test_an_unknown_image_is_one_line_exit_1(glance, run):
    result = run(["image", "show", "nope"])
    assert (result.code, result.out) == (1, "")
    assert result.err == "no image named or with ID 'nope'\n"


def test_an_id_that_is_not_found_is_not_tried_as_a_name(glance, run):
    """An image named like an ID is not that ID: another project may choose the name."""
    glance.add(name="0ddba11d-0000-4000-8000-000000000000", visibility="public")
    result = run(["image", "show", "0ddba11d-0000-4000-8000-000000000000", "-f", "value",
                  "-c", "id"])
    assert (result.code, result.out) == (1, "")
    assert result.err == "no image with ID '0ddba11d-0000-4000-8000-000000000000'\n"
    assert glance.sent == ["GET /v2/images/0ddba11d-0000-4000-8000-000000000000"]


def test_two_images_of_one_name_list_their_ids(glance, run):
    twin = glance.add(name="cirros-0.5.2-x86_64-disk", visibility="public")
    result = run(["image", "show", "cirros-0.5.2-x86_64-disk"])
    assert result.code == 1
    assert result.err.count("\n") == 1
    assert CIRROS["id"] in result.err and twin["id"] in result.err


def test_the_second_run_reuses_the_token(glance, run):
    run(["image", "show", CIRROS["id"]])
    before = len(glance.mock.request_history)
    run(["image", "show", CIRROS["id"]])
    later = glance.mock.request_history[before:]
    assert [f"{r.method} {r.path}" for r in later] == [f"GET /image/v2/images/{CIRROS['id']}"]


def test_the_self_link_and_location_never_show():
    columns, values = show_record({**CIRROS, "location": "here"})
    properties = dict(zip(columns, values, strict=True))["properties"].machine_readable()
    assert "self" not in columns and "self" not in properties
    assert properties["location"] == "here"  # a property of that name is an ordinary one


def test_undeclared_keys_keep_glances_order_where_the_sdk_declares_properties():
    view = sdk_view({"zz": "1", "name": "n", "aa": "2", "os_distro": "d", "os_hidden": False})
    assert list(view) == ["os_hidden", "name", "properties", "os_distro", "tags"]
    assert list(view["properties"]) == ["zz", "aa"]


@pytest.mark.parametrize(("size", "text"), [(None, "0"), (0, "0"), (999, "999"),
                                            (1000, "1K"), (196616, "196.6K"),
                                            (10737418240, "10.7G"), (1500000, "1.5M")])
def test_format_size_is_osc_libs(size, text):
    assert format_size(size) == text


def test_format_dict_flattens_nested_dicts_and_shows_none_as_empty():
    assert format_dict({"b": None, "a": {"y": 1, "x": "2"}, "c": [1]}) == (
        "a.x='2', a.y='1', b=, c='[1]'")
