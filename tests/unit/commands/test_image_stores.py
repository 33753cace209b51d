"""`image stores list [--detail]`: openstackclient's columns from one GET, and one line for a
cloud without multiple stores, a member's --detail and a malformed reply."""

from __future__ import annotations

import json

import pytest

from tests.unit.commands.oracle_cache_tasks import (
    EXPECTED,
    REPLIES,
    ROOT,
    cases,
    forbidden_page,
    glance_sent,
)


@pytest.mark.parametrize(("case", "args"), cases("stores", "stores_detail"))
def test_output_is_openstackclients(seed_cloud, run, case, args):
    path = "info/stores/detail" if case == "stores_detail" else "info/stores"
    seed_cloud.mock.get(ROOT + path, json=REPLIES[case])
    argv = ["image", "stores", "list", *(["--detail"] if case == "stores_detail" else [])]
    result = run([*argv, *args.split()])
    assert (result.code, result.out) == (0, EXPECTED[case][args]["out"])
    assert glance_sent(seed_cloud.mock) == [f"GET /v2/{path}"]


def test_a_warm_run_is_one_request(seed_cloud, run):
    seed_cloud.mock.get(ROOT + "info/stores", json=REPLIES["stores"])
    assert run(["image", "stores", "list"]).code == 0
    seed_cloud.mock.reset_mock()
    assert run(["image", "stores", "list", "-f", "value", "-c", "ID"]).out == "fs\nfs2\nweb\n"
    assert [f"{r.method} {r.url}" for r in seed_cloud.mock.request_history] == [
        f"GET {ROOT}info/stores"]


def test_a_cloud_without_multiple_stores_is_one_line(seed_cloud, run):
    seed_cloud.mock.get(ROOT + "info/stores", status_code=404,
                        text="<html><body><h1>404 Not Found</h1>Multi backend is not "
                             "supported at this site.</body></html>")
    result = run(["image", "stores", "list"])
    assert (result.code, result.out) == (1, "")
    assert len(result.err.splitlines()) == 1
    assert result.err.startswith("Multi Backend support not enabled")


def test_detail_as_a_member_says_it_needs_admin(seed_cloud, run):
    seed_cloud.mock.get(ROOT + "info/stores/detail", status_code=403, text=forbidden_page())
    result = run(["image", "stores", "list", "--detail"])
    assert (result.code, result.out) == (1, "")
    assert result.err.splitlines() == [
        "`imgcli image stores list --detail` needs the admin role: Glance's policy refused "
        "it for this user (403 Forbidden; by default only admin may do this)"]


@pytest.mark.parametrize("reply", [{"stores": "fs"}, {"stores": ["fs"]}, {}, [1]])
def test_a_malformed_reply_is_one_line(seed_cloud, run, reply):
    seed_cloud.mock.get(ROOT + "info/stores", text=json.dumps(reply))
    result = run(["image", "stores", "list"])
    assert (result.code, result.out) == (1, "")
    assert len(result.err.splitlines()) == 1 and "info/stores" in result.err


def test_a_reply_that_is_not_json_is_one_line(seed_cloud, run):
    seed_cloud.mock.get(ROOT + "info/stores", text="<html>oops</html>",
                        headers={"Content-Type": "text/html"})
    result = run(["image", "stores", "list"])
    assert result.code == 1 and "not JSON" in result.err and len(result.err.splitlines()) == 1


def test_an_unknown_column_fails_before_any_request(seed_cloud, run):
    result = run(["image", "stores", "list", "-c", "Properties"])
    assert result.code == 2 and "Properties" in result.err
    assert glance_sent(seed_cloud.mock) == []
    assert run(["image", "stores", "list", "--detail", "-c", "Nope"]).code == 2
