"""The devcloud itself behaves like a devstack Keystone + Glance (plain HTTP)."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest
import requests

SEED_TOTAL = 32  # devcloud/cloud.py seed_images()


@pytest.fixture(scope="module")
def admin_token(devcloud) -> str:
    return devcloud.login("admin")[0]


@pytest.fixture(scope="module")
def demo_token(devcloud) -> str:
    return devcloud.login("demo")[0]


def images(devcloud, token: str, query: str = "") -> dict[str, Any]:
    r = requests.get(
        f"{devcloud.glance_url}/v2/images{query}", headers={"X-Auth-Token": token}, timeout=30
    )
    assert r.status_code == 200, r.text
    return r.json()


def names(page: dict[str, Any]) -> set[str]:
    return {i["name"] for i in page["images"]}


def test_keystone_root_is_a_version_list_with_v3(devcloud) -> None:
    r = requests.get(devcloud.keystone_url, timeout=10)
    assert r.status_code == 300
    versions = r.json()["versions"]["values"]
    v3 = [v for v in versions if v["id"].startswith("v3")]
    assert v3 and v3[0]["status"] == "stable"
    assert v3[0]["links"][0]["href"] == f"{devcloud.keystone_url}/v3/"


def test_admin_token_catalog_points_image_at_the_prefix(devcloud) -> None:
    _, tok = devcloud.login("admin")
    assert tok["project"]["name"] == "admin"
    assert "admin" in {r["name"] for r in tok["roles"]}
    image = [s for s in tok["catalog"] if s["type"] == "image"]
    assert len(image) == 1
    public = [
        e
        for e in image[0]["endpoints"]
        if e["interface"] == "public" and e["region_id"] == "RegionOne"
    ]
    assert [e["url"] for e in public] == [devcloud.glance_url]
    assert devcloud.glance_url.endswith("/image")


def test_glance_root_is_a_version_list_of_v2(devcloud) -> None:
    r = requests.get(devcloud.glance_url, timeout=10)
    assert r.status_code == 300
    versions = r.json()["versions"]
    assert versions and all(v["id"].startswith("v2.") for v in versions)
    assert [v for v in versions if v["status"] == "CURRENT"]
    assert versions[0]["links"][0]["href"] == f"{devcloud.glance_url}/v2/"


def test_glance_401_is_html(devcloud) -> None:
    r = requests.get(f"{devcloud.glance_url}/v2/images", timeout=10)
    assert r.status_code == 401
    assert r.headers["Content-Type"].startswith("text/html")


def test_admin_sees_every_seeded_image(devcloud, admin_token: str) -> None:
    listed = names(images(devcloud, admin_token, "?limit=1000&visibility=all"))
    assert len(listed) > 25
    assert {"cirros-0.5.1-x86_64-disk", "demo-private-image", "queued-image"} <= listed
    # os_hidden images only show up when asked for.
    assert "hidden-image" not in listed
    hidden = names(images(devcloud, admin_token, "?visibility=all&os_hidden=true"))
    assert "hidden-image" in hidden
    assert len(listed | hidden) >= SEED_TOTAL


def test_default_listing_is_a_page_of_25_with_a_relative_next(devcloud, admin_token) -> None:
    first = images(devcloud, admin_token)
    assert len(first["images"]) == 25
    # Glance drops the /image prefix from its links: clients must re-base them.
    assert first["next"].startswith("/v2/images?marker=")
    assert first["first"] == "/v2/images"
    rest = images(devcloud, admin_token, first["next"][len("/v2/images") :])
    assert rest["images"] and not names(rest) & names(first)
    assert "next" not in rest


def test_seeded_images_have_their_shapes(devcloud, admin_token: str) -> None:
    everything = images(devcloud, admin_token, "?limit=1000&visibility=all")["images"]
    by_name = {i["name"]: i for i in everything}
    cirros = by_name["cirros-0.5.1-x86_64-disk"]
    assert (cirros["status"], cirros["disk_format"], cirros["visibility"]) == (
        "active",
        "qcow2",
        "public",
    )
    assert cirros["virtual_size"] == 112 * 2**20  # Glance read our qcow2 header
    trove = by_name["trove-guest-ubuntu-focal"]
    assert (trove["visibility"], trove["tags"], trove["hw_rng_model"]) == (
        "shared",
        ["trove"],
        "virtio",
    )
    assert by_name["deactivated-image"]["status"] == "deactivated"
    assert by_name["queued-image"]["status"] == "queued"
    assert by_name["queued-image"]["size"] is None
    assert by_name["community-image"]["visibility"] == "community"
    assert by_name["ubuntu-custom-props"]["hw_disk_bus"] == "scsi"
    sizes = [by_name[f"raw-size-{n}"]["size"] for n in (9, 10, 100, 1000)]
    assert sizes == [9, 10, 100, 1000]


def test_demo_sees_accepted_share_and_pending_only_on_request(devcloud, demo_token) -> None:
    default = names(images(devcloud, demo_token, "?limit=1000"))
    assert "shared-accepted-by-demo" in default
    assert "shared-pending-for-demo" not in default
    assert "demo-private-image" in default
    assert "private-admin-image" not in default
    pending = names(images(devcloud, demo_token, "?limit=1000&member_status=pending"))
    assert "shared-pending-for-demo" in pending
    assert "shared-accepted-by-demo" not in pending
    every = names(images(devcloud, demo_token, "?limit=1000&member_status=all"))
    assert {"shared-pending-for-demo", "shared-accepted-by-demo"} <= every


def test_openstackclient_talks_to_devcloud(devcloud, osc_bin) -> None:
    # The reference client for differential tests must work against this cloud.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    out = subprocess.run(
        [str(osc_bin / "openstack"), "image", "show", "-f", "json", "cirros-0.5.2-x86_64-disk"],
        env={**env, **devcloud.admin_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    shown = json.loads(out)
    assert shown["status"] == "active"
    assert shown["disk_format"] == "qcow2"
