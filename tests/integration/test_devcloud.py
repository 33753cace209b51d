"""The devcloud itself behaves like a devstack Keystone + Glance (plain HTTP)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

cloud = sys.modules["devcloud_cloud"]  # loaded by conftest.py
SEED_TOTAL = 32  # devcloud/seed.py seed_images()
# Images made here are hidden (os_hidden), so listings compared with the seed in
# other tests and sessions do not see them, and deleted at the end.
TEST_PREFIX = "devcloud-test-"


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


# ------------------------------------------------------------------ image import


def glance(devcloud, token: str, method: str, path: str, **kw: Any) -> requests.Response:
    headers = {"X-Auth-Token": token, **kw.pop("headers", {})}
    return requests.request(
        method, f"{devcloud.glance_url}{path}", headers=headers, timeout=60, **kw
    )


@pytest.fixture(scope="module")
def new_image(devcloud, admin_token: str) -> Iterator[Callable[[str], dict[str, Any]]]:
    """Makes hidden raw images as admin; deletes them, and leftovers over an hour old."""
    made: list[str] = []
    listed = glance(devcloud, admin_token, "GET", "/v2/images?os_hidden=true&limit=1000")
    old = datetime.now(timezone.utc) - timedelta(hours=1)
    for img in listed.json()["images"]:
        created = datetime.fromisoformat(img["created_at"].replace("Z", "+00:00"))
        if img["name"].startswith(TEST_PREFIX) and created < old:
            made.append(img["id"])

    def make(purpose: str) -> dict[str, Any]:
        body = {"name": f"{TEST_PREFIX}{purpose}-{uuid.uuid4().hex[:8]}", "os_hidden": True,
                "disk_format": "raw", "container_format": "bare"}
        r = glance(devcloud, admin_token, "POST", "/v2/images", json=body)
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
        return r.json()

    yield make
    for image_id in made:
        glance(devcloud, admin_token, "DELETE", f"/v2/images/{image_id}")


def import_image(devcloud, token: str, image_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST .../import, then wait for the import task to let go of the image."""
    r = glance(devcloud, token, "POST", f"/v2/images/{image_id}/import", json=body)
    assert r.status_code == 202, r.text
    # The task holds this lock until its very end: the image goes active, and
    # the task succeeds, a moment before another import is allowed.
    deadline = time.monotonic() + 60
    while True:
        image = glance(devcloud, token, "GET", f"/v2/images/{image_id}").json()
        if "os_glance_import_task" not in image or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert "os_glance_import_task" not in image, f"import still running: {image}"
    assert not image.get("os_glance_failed_import"), image
    return image


def put_data(devcloud, token: str, image_id: str, where: str, data: bytes) -> None:
    """`PUT /v2/images/{id}/stage` or `.../file` → 204: the bytes as the image's data."""
    r = glance(devcloud, token, "PUT", f"/v2/images/{image_id}/{where}", data=data,
               headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 204, r.text


def data_of(devcloud, token: str, image_id: str) -> bytes:
    r = glance(devcloud, token, "GET", f"/v2/images/{image_id}/file")
    assert r.status_code == 200, r.text
    return r.content


def test_import_info_lists_the_three_methods(devcloud, admin_token: str) -> None:
    r = glance(devcloud, admin_token, "GET", "/v2/info/import")
    assert r.status_code == 200, r.text
    methods = r.json()["import-methods"]["value"]
    assert sorted(methods) == sorted(cloud.IMPORT_METHODS)
    assert set(methods) == {"glance-direct", "web-download", "copy-image"}


def test_info_stores_lists_two_file_stores_fs_the_default(devcloud, admin_token) -> None:
    r = glance(devcloud, admin_token, "GET", "/v2/info/stores")
    assert r.status_code == 200, r.text
    stores = {s["id"]: s for s in r.json()["stores"]}
    assert set(stores) == set(cloud.STORES) == {"fs", "fs2"}
    assert stores["fs"].get("default") == "true"
    assert "default" not in stores["fs2"]


def test_glance_direct_import_goes_active(devcloud, admin_token, new_image) -> None:
    data = cloud.raw("glance-direct", 5000)
    image = new_image("glance-direct")
    put_data(devcloud, admin_token, image["id"], "stage", data)
    staged = glance(devcloud, admin_token, "GET", f"/v2/images/{image['id']}").json()
    assert staged["status"] == "uploading"
    done = import_image(devcloud, admin_token, image["id"], {"method": {"name": "glance-direct"}})
    assert (done["status"], done["size"], done["stores"]) == ("active", 5000, "fs")
    assert done["checksum"] == hashlib.md5(data).hexdigest()
    assert data_of(devcloud, admin_token, image["id"]) == data


def test_files_server_serves_published_data(devcloud) -> None:
    name = f"{TEST_PREFIX}{uuid.uuid4().hex[:8]}.raw"
    url = cloud.publish(name, b"served")
    try:
        assert url == f"{cloud.files_url()}/{name}"
        r = requests.get(url, timeout=10)
        assert (r.status_code, r.content, r.headers["Content-Length"]) == (200, b"served", "6")
    finally:
        cloud.unpublish(name)
    assert requests.get(url, timeout=10).status_code == 404


def test_web_download_from_the_files_server_goes_active(devcloud, admin_token, new_image):
    data = cloud.raw("web-download", 7000)
    name = f"{TEST_PREFIX}{uuid.uuid4().hex[:8]}.raw"
    url = cloud.publish(name, data)
    try:
        image = new_image("web-download")
        body = {"method": {"name": "web-download", "uri": url}}
        done = import_image(devcloud, admin_token, image["id"], body)
    finally:
        cloud.unpublish(name)
    assert (done["status"], done["size"], done["stores"]) == ("active", 7000, "fs")
    assert data_of(devcloud, admin_token, image["id"]) == data


def test_web_download_elsewhere_on_loopback_is_still_refused(devcloud, admin_token, new_image):
    # Only the files server's port is allowed, not every service on 127.0.0.1.
    image = new_image("web-download-refused")
    body = {"method": {"name": "web-download", "uri": devcloud.keystone_url}}
    r = glance(devcloud, admin_token, "POST", f"/v2/images/{image['id']}/import", json=body)
    assert r.status_code == 400
    assert "does not pass filtering" in r.text


def test_copy_image_adds_the_second_store(devcloud, admin_token, new_image) -> None:
    data = cloud.raw("copy-image", 3000)
    image = new_image("copy-image")
    put_data(devcloud, admin_token, image["id"], "file", data)
    body = {"method": {"name": "copy-image"}, "stores": ["fs2"]}
    done = import_image(devcloud, admin_token, image["id"], body)
    assert done["status"] == "active"
    assert sorted(done["stores"].split(",")) == ["fs", "fs2"]
    assert data_of(devcloud, admin_token, image["id"]) == data


def test_glance_direct_to_all_stores(devcloud, admin_token, new_image) -> None:
    data = cloud.raw("all-stores", 1000)
    image = new_image("all-stores")
    put_data(devcloud, admin_token, image["id"], "stage", data)
    body = {"method": {"name": "glance-direct"}, "all_stores": True}
    done = import_image(devcloud, admin_token, image["id"], body)
    assert sorted(done["stores"].split(",")) == ["fs", "fs2"]


# ------------------------------------------------------------ the image cache (RegionTwo's)
# Every Glance runs the cache as devstack does; the lifecycle is checked on RegionTwo's, where
# no other test clears the cache under it.


def r2(devcloud, token: str, method: str, path: str, **kw: Any) -> requests.Response:
    headers = {"X-Auth-Token": token, **kw.pop("headers", {})}
    url = f"{cloud.glance_url(cloud.REGION2)}{path}"
    return requests.request(method, url, headers=headers, timeout=60, **kw)


def cache_state(devcloud, token: str) -> dict[str, Any]:
    r = r2(devcloud, token, "GET", "/v2/cache")
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("region, glance_cloud", [("RegionOne", "devcloud"),
                                                  ("RegionTwo", "devcloud"),
                                                  ("RegionOne", "devcloud2")])
def test_every_glance_answers_the_cache_api(devcloud, region, glance_cloud) -> None:
    tok = cloud.token("admin", glance_cloud)
    r = requests.get(f"{cloud.glance_url(region, glance_cloud)}/v2/cache",
                     headers={"X-Auth-Token": tok}, timeout=30)
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"cached_images", "queued_images"}


def test_the_cache_api_is_admin_only(devcloud, demo_token) -> None:
    r = glance(devcloud, demo_token, "GET", "/v2/cache")
    assert r.status_code == 403


def test_a_queued_image_is_cached_by_the_api_and_deleted(devcloud) -> None:
    admin = cloud.token("admin")
    body = {"name": f"{TEST_PREFIX}cache-{uuid.uuid4().hex[:8]}", "os_hidden": True,
            "disk_format": "raw", "container_format": "bare"}
    image = r2(devcloud, admin, "POST", "/v2/images", json=body).json()
    try:
        r = r2(devcloud, admin, "PUT", f"/v2/images/{image['id']}/file",
               data=cloud.raw("cache", 4321), headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 204, r.text
        assert r2(devcloud, admin, "PUT", f"/v2/cache/{image['id']}").status_code == 202
        # Glance's cache worker thread fetches a queued image at once: no prefetcher to run.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            cached = {c["image_id"]: c for c in cache_state(devcloud, admin)["cached_images"]}
            if image["id"] in cached:
                break
            time.sleep(0.2)
        assert cached[image["id"]]["size"] == 4321
        r = r2(devcloud, admin, "DELETE", f"/v2/cache/{image['id']}")
        assert r.status_code == 204, r.text
        listed = cache_state(devcloud, admin)
        assert image["id"] not in {c["image_id"] for c in listed["cached_images"]}
        assert image["id"] not in listed["queued_images"]
    finally:
        r2(devcloud, admin, "DELETE", f"/v2/images/{image['id']}")


@pytest.mark.parametrize("target, status", [("queue", 204), ("cache", 204), (None, 204),
                                            ("both", 400)])
def test_clearing_the_cache_takes_a_target(devcloud, target, status) -> None:
    # Glance 33 takes cache, queue or no header (both); the word "both" is refused.
    headers = {"x-image-cache-clear-target": target} if target else {}
    r = r2(devcloud, cloud.token("admin"), "DELETE", "/v2/cache", headers=headers)
    assert r.status_code == status, r.text


def test_openstack_lists_the_cache(devcloud, osc_bin) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    out = subprocess.run(
        [str(osc_bin / "openstack"), "cached", "image", "list", "-f", "json"],
        env={**env, **cloud.env("admin", region=cloud.REGION2)},
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    assert isinstance(json.loads(out), list)


# ------------------------------------------------------------------- metadefs


@pytest.mark.parametrize("region, glance_cloud", [("RegionOne", "devcloud"),
                                                  ("RegionTwo", "devcloud"),
                                                  ("RegionOne", "devcloud2")])
def test_the_metadef_catalogue_is_loaded(devcloud, region, glance_cloud) -> None:
    tok = cloud.token("admin", glance_cloud)
    r = requests.get(f"{cloud.glance_url(region, glance_cloud)}/v2/metadefs/namespaces?limit=200",
                     headers={"X-Auth-Token": tok}, timeout=30)
    assert r.status_code == 200, r.text
    names = {n["namespace"] for n in r.json()["namespaces"]}
    assert {"OS::Compute::Hypervisor", "OS::Compute::Watchdog", "OS::Compute::CPUPinning",
            "OS::Glance::CommonImageProperties", "CIM::ProcessorAllocationSettingData"} <= names
    shipped = cloud.home() / "venv" / "etc" / "glance" / "metadefs"
    assert len([n for n in names if ":" in n]) >= len(list(shipped.glob("*.json"))) > 25


# ---------------------------------------------------- RegionTwo and glance-download


def test_the_catalog_has_image_endpoints_in_both_regions(devcloud) -> None:
    _, tok = devcloud.login("admin")
    image = next(s for s in tok["catalog"] if s["type"] == "image")
    got = {(e["region_id"], e["interface"]): e["url"] for e in image["endpoints"]}
    assert got == {(region, iface): cloud.glance_url(region)
                   for region in ("RegionOne", "RegionTwo") for iface in ("public", "internal")}
    assert cloud.glance_url("RegionTwo") != cloud.glance_url("RegionOne")


def test_regiontwo_offers_glance_download_and_has_its_own_seed(devcloud) -> None:
    admin = cloud.token("admin")
    methods = r2(devcloud, admin, "GET", "/v2/info/import").json()["import-methods"]["value"]
    assert sorted(methods) == sorted(cloud.IMPORT_METHODS_R2)
    assert "glance-download" in methods
    listed = r2(devcloud, admin, "GET", "/v2/images?limit=1000").json()["images"]
    assert "regiontwo-image" in {i["name"] for i in listed}
    assert "cirros-0.5.1-x86_64-disk" not in {i["name"] for i in listed}


def osc_import(osc_bin, image_id: str, source_id: str, *extra: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    subprocess.run(
        [str(osc_bin / "openstack"), "image", "import", image_id, "--method", "glance-download",
         "--remote-region", "RegionOne", "--remote-image", source_id, *extra],
        env={**env, **cloud.env("admin", region=cloud.REGION2)},
        capture_output=True, text=True, timeout=120, check=True,
    )


def test_glance_download_from_regionone_with_openstack(devcloud, osc_bin) -> None:
    admin = cloud.token("admin")
    source = images(devcloud, admin, "?name=multi-tag-image")["images"][0]
    body = {"name": f"{TEST_PREFIX}glance-download-{uuid.uuid4().hex[:8]}", "os_hidden": True,
            "disk_format": "raw", "container_format": "bare"}
    target = r2(devcloud, admin, "POST", "/v2/images", json=body).json()
    try:
        # openstackclient 10.5.0 sends glance_region and glance_image_id only together with
        # --remote-service-interface: without it Glance refuses the import (400), and openstack
        # still exits 0, leaving the image queued.
        osc_import(osc_bin, target["id"], source["id"])
        still = r2(devcloud, admin, "GET", f"/v2/images/{target['id']}").json()
        assert still["status"] == "queued"
        osc_import(osc_bin, target["id"], source["id"], "--remote-service-interface", "public")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = r2(devcloud, admin, "GET", f"/v2/images/{target['id']}").json()
            if "os_glance_import_task" not in done and done["status"] == "active":
                break
            time.sleep(0.2)
        assert (done["status"], done["size"]) == ("active", source["size"])
        assert done["os_hash_value"] == source["os_hash_value"]
        data = r2(devcloud, admin, "GET", f"/v2/images/{target['id']}/file").content
        assert data == cloud.raw("multi-tag-image", 2048)
    finally:
        r2(devcloud, admin, "DELETE", f"/v2/images/{target['id']}")


# ------------------------------------------------------------------ devcloud2


def test_devcloud2_is_its_own_keystone(devcloud) -> None:
    tok = cloud.token("admin", cloud.CLOUD2)
    assert cloud.keystone_url(cloud.CLOUD2) != cloud.keystone_url()
    # devcloud's password is not devcloud2's, and devcloud's tokens mean nothing there.
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "password": cloud.USERS["admin"][0], "domain": {"name": "Default"}}}}}}
    r = requests.post(f"{cloud.keystone_url(cloud.CLOUD2)}/v3/auth/tokens", json=body, timeout=30)
    assert r.status_code == 401
    r = requests.get(f"{cloud.glance_url(cloud=cloud.CLOUD2)}/v2/images",
                     headers={"X-Auth-Token": cloud.token("admin")}, timeout=30)
    assert r.status_code == 401
    r = requests.get(f"{cloud.keystone_url(cloud.CLOUD2)}/v3/auth/catalog",
                     headers={"X-Auth-Token": tok}, timeout=30)
    image = next(s for s in r.json()["catalog"] if s["type"] == "image")
    assert {(e["region_id"], e["url"]) for e in image["endpoints"]} == {
        ("RegionOne", cloud.glance_url(cloud=cloud.CLOUD2))}


def test_devcloud2_lists_its_seed_and_differs_where_documented(devcloud, admin_token) -> None:
    tok = cloud.token("admin", cloud.CLOUD2)
    r = requests.get(f"{cloud.glance_url(cloud=cloud.CLOUD2)}/v2/images?limit=1000",
                     headers={"X-Auth-Token": tok}, timeout=30)
    assert r.status_code == 200, r.text
    two = {i["name"]: i for i in r.json()["images"]}
    seed2 = {s.name for s in cloud.seed_images_devcloud2()}
    assert seed2 <= set(two)
    one = {i["name"]: i for i in images(devcloud, admin_token, "?limit=1000")["images"]}
    for name in ("cirros-0.5.2-x86_64-disk", "raw-size-1000"):
        assert two[name]["os_hash_value"] == one[name]["os_hash_value"]
        assert two[name]["id"] != one[name]["id"]
    conflict = cloud.CONFLICT_IMAGE
    assert two[conflict]["size"] == one[conflict]["size"] == 100
    assert two[conflict]["os_hash_value"] != one[conflict]["os_hash_value"]
    assert not {"devcloud2-only-image", "devcloud2-demo-image"} & set(one)


def test_devcloud2_demo_sees_its_private_image(devcloud) -> None:
    tok = cloud.token("demo", cloud.CLOUD2)
    r = requests.get(f"{cloud.glance_url(cloud=cloud.CLOUD2)}/v2/images?limit=1000",
                     headers={"X-Auth-Token": tok}, timeout=30)
    assert "devcloud2-demo-image" in {i["name"] for i in r.json()["images"]}


# ---------------------------------------------------------------- clouds.yaml


def test_clouds_yaml_names_every_cloud(devcloud) -> None:
    import yaml

    path = cloud.clouds_yaml_path()
    clouds = yaml.safe_load(path.read_text())["clouds"]
    assert set(clouds) == {"devcloud", "devcloud-demo", "devcloud-alt-demo", "devcloud2",
                           "devcloud2-demo"}
    assert clouds["devcloud"]["regions"] == ["RegionOne", "RegionTwo"]
    assert clouds["devcloud2"]["auth"]["auth_url"] == cloud.keystone_url(cloud.CLOUD2)
    assert clouds["devcloud2-demo"]["auth"]["password"] == cloud.USERS2["demo"][0]
    assert cloud.env(clouds_file=True)["OS_CLIENT_CONFIG_FILE"] == str(path)


@pytest.mark.parametrize("args, expected, absent", [
    (["--os-cloud", "devcloud2"], "devcloud2-only-image", "cirros-0.5.1-x86_64-disk"),
    (["--os-cloud", "devcloud", "--os-region-name", "RegionTwo"], "regiontwo-image",
     "cirros-0.5.1-x86_64-disk"),
    (["--os-cloud", "devcloud-demo"], "demo-private-image", "devcloud2-only-image"),
])
def test_imgcli_uses_clouds_yaml(devcloud, run, args, expected, absent) -> None:
    result = run([*args, "image", "list", "-f", "json"],
                 {"OS_CLIENT_CONFIG_FILE": str(cloud.clouds_yaml_path())})
    assert result.code == 0, result.err
    listed = {i["Name"] for i in json.loads(result.out)}
    assert expected in listed and absent not in listed


def test_imgcli_lists_both_clouds_from_clouds_yaml(devcloud, run) -> None:
    result = run(["--os-cloud", "devcloud", "--os-cloud", "devcloud2", "image", "list",
                  "-f", "json"], {"OS_CLIENT_CONFIG_FILE": str(cloud.clouds_yaml_path())})
    assert result.code == 0, result.err
    rows = {(i["Cloud"], i["Name"]) for i in json.loads(result.out)}
    assert {("devcloud", "cirros-0.5.1-x86_64-disk"), ("devcloud2", "devcloud2-only-image"),
            ("devcloud2", cloud.CONFLICT_IMAGE), ("devcloud", cloud.CONFLICT_IMAGE)} <= rows


def test_copy_to_writes_a_clouds_yaml_but_never_over_someone_elses(devcloud, tmp_path) -> None:
    mine = tmp_path / "clouds.yaml"
    cloud.cloudsyaml.copy_to(mine)
    assert mine.read_text() == cloud.clouds_yaml_path().read_text()
    theirs = tmp_path / "theirs.yaml"
    theirs.write_text("clouds: {}\n")
    cloud.cloudsyaml.copy_to(theirs)
    assert theirs.read_text() == "clouds: {}\n"
