"""`image delete --store` on devcloud (two file stores, fs and fs2): the data leaves one store
and the image stays, read back by openstack; openstack 10.5.0 doing the same to a twin image
leaves it the same; a warm run is one request; the last copy and a member's try are one
line each, and change nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from admin_runs import imgcli, one_line, openstack, osc_requests, traced
from scratch import ScratchImages

DATA = b"delete-from-one-store " * 512


@pytest.fixture
def scratch(devcloud):
    with ScratchImages(devcloud, "delete-store") as images:
        yield images


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {user: tmp_path_factory.mktemp(f"delete-store-{user}") for user in ("admin", "demo")}


def in_both_stores(scratch: ScratchImages, user: str = "admin") -> dict[str, Any]:
    """An image of `user`'s whose data is in fs and fs2: uploaded by `user` (to fs, the
    default), then copied to fs2 by admin (copy-image is admin-only), waited for."""
    image = scratch.image(DATA, user=user)
    body = {"method": {"name": "copy-image"}, "stores": ["fs2"]}
    r = scratch.api("POST", f"images/{image['id']}/import", "admin", json=body)
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        image = scratch.get(image["id"])
        if image["status"] == "active" and stores(image) == ["fs", "fs2"]:
            return image
        time.sleep(0.5)
    raise AssertionError(f"the import to both stores did not end: {image}")


def stores(image: dict[str, Any]) -> list[str]:
    return sorted(s for s in str(image.get("stores", "")).split(",") if s)


def test_imgcli_deletes_one_stores_data_and_openstack_reads_it_back(devcloud, osc_bin, homes,
                                                                      scratch):
    image = in_both_stores(scratch)
    ours = imgcli(devcloud, homes["admin"], "admin", "image", "delete", "--store", "fs2",
                  image["id"])
    assert (ours.code, ours.out, ours.err) == (0, "", "")
    assert stores(scratch.get(image["id"])) == ["fs"]
    shown = openstack(devcloud, osc_bin, homes["admin"], "admin", "image", "show",
                      image["id"], "-f", "json")
    assert shown.code == 0, shown.err
    record = json.loads(shown.out)
    assert record["status"] == "active" and record["properties"]["stores"] == "fs"


def test_openstack_on_a_twin_image_leaves_it_the_same(devcloud, osc_bin, homes, scratch):
    ours_image, osc_image = in_both_stores(scratch), in_both_stores(scratch)
    osc = openstack(devcloud, osc_bin, homes["admin"], "admin", "image", "delete", "--store",
                    "fs2", osc_image["id"])
    ours = imgcli(devcloud, homes["admin"], "admin", "image", "delete", "--store", "fs2",
                  ours_image["id"])
    assert (osc.code, osc.out) == (ours.code, ours.out) == (0, "")
    after = [scratch.get(image["id"]) for image in (ours_image, osc_image)]
    assert [stores(image) for image in after] == [["fs"], ["fs"]]
    assert [(image["status"], image["size"], image["os_hash_value"]) for image in after] == \
        [(image["status"], image["size"], image["os_hash_value"]) for image in after[::-1]]


def test_a_warm_run_is_one_request_where_openstack_sends_two(devcloud, osc_bin, homes,
                                                             scratch):
    ours_image, osc_image = in_both_stores(scratch), in_both_stores(scratch)
    ran, sent = traced(devcloud, homes["admin"], "admin", "image", "delete", "--store", "fs2",
                       ours_image["id"])
    assert ran.code == 0, ran.err
    assert sent == [f"DELETE /v2/stores/fs2/{ours_image['id']} 204"]
    osc, osc_sent = osc_requests(devcloud, osc_bin, homes["admin"], "admin", "image",
                                 "delete", "--store", "fs2", osc_image["id"])
    assert osc.code == 0, osc.err
    # its discovery, the image's GET (even for an ID), then the same DELETE
    assert osc_sent[-2:] == [f"GET {devcloud.glance_url}/v2/images/{osc_image['id']}",
                             f"DELETE {devcloud.glance_url}/v2/stores/fs2/{osc_image['id']}"]


def test_the_last_copy_is_one_line_and_stays(devcloud, homes, scratch):
    image = scratch.image(DATA)  # in fs only
    ours = imgcli(devcloud, homes["admin"], "admin", "image", "delete", "--store", "fs",
                  image["id"])
    assert ours.code == 1
    assert one_line(ours) == (f"image '{image['id']}' has its data in one store only, and "
                              "Glance does not delete the last copy: delete the image instead "
                              f"(`imgcli image delete {image['id']}`)")
    assert stores(scratch.get(image["id"])) == ["fs"]


def test_several_images_end_with_the_count_and_the_others_go(devcloud, homes, scratch):
    both, single = in_both_stores(scratch), scratch.image(DATA)
    ours = imgcli(devcloud, homes["admin"], "admin", "image", "delete", "--store", "fs2",
                  single["id"], both["id"])
    assert ours.code == 1
    assert ours.err.splitlines()[-1] == "1 of 2 images failed to delete from store fs2."
    assert stores(scratch.get(both["id"])) == ["fs"]


def test_a_member_gets_one_line_saying_it_needs_the_admin_role(devcloud, osc_bin, homes,
                                                               scratch):
    image = in_both_stores(scratch, user="demo")
    ours = imgcli(devcloud, homes["demo"], "demo", "image", "delete", "--store", "fs2",
                  image["id"])
    assert ours.code == 1
    assert one_line(ours).startswith("`imgcli image delete --store` needs the admin role: "
                                     "Glance's policy refused it for this user")
    assert stores(scratch.get(image["id"])) == ["fs", "fs2"]
    osc = openstack(devcloud, osc_bin, homes["demo"], "demo", "image", "delete", "--store",
                    "fs2", image["id"])
    assert osc.code == 1  # openstack: "Failed to delete image ...: ForbiddenException ..."
    assert stores(scratch.get(image["id"])) == ["fs", "fs2"]
