"""`image stores list` and `image usage` on devcloud (two file stores, fs the default; no
Keystone limits): the same output as openstackclient 10.5.0 for the stores, Glance's own
figures for the usage, one request each, and a member's --detail as one line."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import requests
from admin_runs import imgcli, one_line, openstack, osc_requests, traced
from osc_pair import run_pair

STORES = [("admin", ""), ("admin", "-f json"), ("admin", "-f yaml"), ("admin", "-f value"),
          ("admin", "-f csv"), ("admin", "--detail"), ("admin", "--detail -f json"),
          ("admin", "--detail -c ID -c Properties -f yaml"),
          ("demo", ""), ("demo", "-f json")]


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {user: tmp_path_factory.mktemp(f"stores-{user}") for user in ("admin", "demo")}


@pytest.mark.parametrize(("user", "args"), STORES, ids=[f"{u}:{a or 'table'}" for u, a in STORES])
def test_stores_are_the_same_as_openstackclient(devcloud, osc_bin, homes, user, args):
    osc, ours = run_pair(devcloud, osc_bin, homes[user], user,
                         ["image", "stores", "list", *shlex.split(args)])
    assert osc.code == 0, osc.err
    assert ours.code == 0, ours.err
    if "-f json" in args:
        assert json.loads(ours.out) == json.loads(osc.out)
    assert ours.out == osc.out


def test_the_stores_are_devclouds(devcloud, homes):
    ran = imgcli(devcloud, homes["admin"], "admin", "image", "stores", "list", "-f", "json")
    stores = json.loads(ran.out)
    assert [(s["ID"], s["Default"]) for s in stores] == [("fs", True), ("fs2", None)]


@pytest.mark.parametrize("detail", [(), ("--detail",)])
def test_a_warm_run_is_one_request_and_openstacks_is_two(devcloud, osc_bin, homes, detail):
    path = "/v2/info/stores" + ("/detail" if detail else "")
    ran, sent = traced(devcloud, homes["admin"], "admin", "image", "stores", "list", *detail)
    assert ran.code == 0, ran.err
    assert sent == [f"GET {path} 200"]
    osc, osc_sent = osc_requests(devcloud, osc_bin, homes["admin"], "admin",
                                 "image", "stores", "list", *detail)
    assert osc.code == 0
    # its discovery of the image endpoint, then the same GET
    assert osc_sent == [f"GET {devcloud.glance_url}", f"GET {devcloud.glance_url}{path}"]


def test_detail_as_a_member_is_one_line_saying_it_needs_admin(devcloud, osc_bin, homes):
    ours = imgcli(devcloud, homes["demo"], "demo", "image", "stores", "list", "--detail")
    assert (ours.code, ours.out) == (1, "")
    assert one_line(ours).startswith("`imgcli image stores list --detail` needs the admin role")
    osc = openstack(devcloud, osc_bin, homes["demo"], "demo", "image", "stores", "list",
                    "--detail")
    assert osc.code == 1  # openstack fails too, with a Forbidden line


def glance_usage(devcloud: Any) -> dict[str, Any]:
    token, _ = devcloud.login("admin")
    reply = requests.get(f"{devcloud.glance_url}/v2/info/usage",
                         headers={"X-Auth-Token": token}, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()["usage"]


def test_usage_is_glances_in_one_request(devcloud, homes):
    ran, sent = traced(devcloud, homes["admin"], "admin", "image", "usage", "-f", "json")
    assert ran.code == 0, ran.err
    assert sent == ["GET /v2/info/usage 200"]
    expected = glance_usage(devcloud)
    assert json.loads(ran.out) == [{"Quota": name, "Limit": quota["limit"],
                                    "Usage": quota["usage"]} for name, quota in expected.items()]
    if not expected:  # devcloud sets no Keystone limits: the line says why nothing is shown
        assert "enforces none" in one_line(ran)


def test_usage_as_a_member(devcloud, homes):
    ran = imgcli(devcloud, homes["demo"], "demo", "image", "usage", "-c", "Quota", "-f", "value")
    assert ran.code == 0, ran.err
