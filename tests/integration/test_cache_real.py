"""`cached image list/queue/delete/clear` on devcloud's image cache: what imgcli queues,
deletes and clears openstackclient reads back, and the other way round; the list is the same
as openstack's; one request per image (an ID costs no look-up); a member gets one line.

Glance caches a queued image at once (its cache worker prefetches it), so an image is
looked for in either state. The cache is the cloud's: the tests touch only their own
scratch images, except `clear`, which empties it (nothing else on devcloud relies on it).
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from admin_runs import imgcli, one_line, openstack, osc_requests, same_when_still, traced
from scratch import ScratchImages

GONE = "0ddba11d-0000-4000-8000-000000000000"
ADMIN_LINE = ("`imgcli cached image {verb}` needs the admin role: Glance's policy refused it "
              "for this user (403 Forbidden; by default only admin may do this)")


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {user: tmp_path_factory.mktemp(f"cache-{user}") for user in ("admin", "demo")}


@pytest.fixture
def scratch(devcloud: Any) -> Iterator[ScratchImages]:
    with ScratchImages(devcloud, "it-cache") as made:
        yield made


@pytest.fixture
def images(scratch: ScratchImages) -> list[dict[str, Any]]:
    """Two active scratch images, with data to cache."""
    return [scratch.image(f"cache me {n}\n".encode() * 100) for n in range(2)]


def states(ran: Any) -> dict[str, str]:
    """Image ID → state, from a `cached image list -f json`."""
    assert ran.code == 0, ran.err
    return {row["ID"]: row["State"] for row in json.loads(ran.out)}


def wait_for(read: Any, wanted: Any, seconds: float = 30) -> dict[str, str]:
    """Poll `read()` (a states dict) until `wanted(states)` holds."""
    deadline = time.monotonic() + seconds
    while True:
        found = read()
        if wanted(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_imgcli_queues_and_deletes_and_openstack_reads_it_back(devcloud, osc_bin, homes,
                                                                images):
    image_id = images[0]["id"]
    ran, sent = traced(devcloud, homes["admin"], "admin", "cached", "image", "queue", image_id)
    assert (ran.code, ran.out, ran.err) == (0, "", "")
    assert sent == [f"PUT /v2/cache/{image_id} 202"]

    def osc_states() -> dict[str, str]:
        return states(openstack(devcloud, osc_bin, homes["admin"], "admin",
                                "cached", "image", "list", "-f", "json"))

    assert wait_for(osc_states, lambda s: s.get(image_id) == "cached").get(image_id) == "cached"
    ran, sent = traced(devcloud, homes["admin"], "admin", "cached", "image", "delete", image_id)
    assert (ran.code, ran.err) == (0, "")
    assert sent == [f"DELETE /v2/cache/{image_id} 204"]
    assert image_id not in osc_states()


def test_openstack_queues_and_deletes_and_imgcli_reads_it_back(devcloud, osc_bin, homes,
                                                                images):
    image = images[1]

    def our_states() -> dict[str, str]:
        return states(imgcli(devcloud, homes["admin"], "admin", "cached", "image", "list",
                             "-f", "json"))

    assert openstack(devcloud, osc_bin, homes["admin"], "admin", "cached", "image", "queue",
                     image["id"]).code == 0
    assert wait_for(our_states, lambda s: image["id"] in s).get(image["id"]) in (
        "queued", "cached")
    assert openstack(devcloud, osc_bin, homes["admin"], "admin", "cached", "image", "delete",
                     image["id"]).code == 0
    assert image["id"] not in our_states()


@pytest.mark.parametrize("args", ["", "-f json", "-f value", "-f csv", "-c ID -c Size -f yaml"])
def test_list_is_the_same_as_openstackclient(devcloud, osc_bin, homes, images, args):
    for image in images:
        imgcli(devcloud, homes["admin"], "admin", "cached", "image", "queue", image["id"])
    wait_for(lambda: states(imgcli(devcloud, homes["admin"], "admin", "cached", "image",
                                   "list", "-f", "json")),
             lambda s: all(s.get(image["id"]) == "cached" for image in images))
    osc, ours = same_when_still(devcloud, osc_bin, homes["admin"], "admin",
                                "cached", "image", "list", *shlex.split(args))
    assert osc.code == 0, osc.err
    assert ours.code == 0, ours.err
    if "-f json" in args:
        assert json.loads(ours.out) == json.loads(osc.out)
    assert ours.out == osc.out
    assert all(image["id"] in ours.out for image in images)


def test_list_is_one_request_where_openstack_sends_two(devcloud, osc_bin, homes):
    ran, sent = traced(devcloud, homes["admin"], "admin", "cached", "image", "list")
    assert ran.code == 0, ran.err
    assert sent == ["GET /v2/cache 200"]
    osc, osc_sent = osc_requests(devcloud, osc_bin, homes["admin"], "admin",
                                 "cached", "image", "list")
    assert osc.code == 0
    assert osc_sent == [f"GET {devcloud.glance_url}", f"GET {devcloud.glance_url}/v2/cache"]


def test_queue_by_name_costs_the_look_up_and_openstack_reads_the_image_first(
        devcloud, osc_bin, homes, images):
    image = images[0]
    ran, sent = traced(devcloud, homes["admin"], "admin", "cached", "image", "queue",
                       image["name"])
    assert ran.code == 0, ran.err
    assert sent == [f"GET /v2/images?name={image['name']} 200",
                    f"GET /v2/images?name={image['name']}&os_hidden=true 200",
                    f"PUT /v2/cache/{image['id']} 202"]
    osc, osc_sent = osc_requests(devcloud, osc_bin, homes["admin"], "admin",
                                 "cached", "image", "queue", image["id"])
    assert osc.code == 0
    root = devcloud.glance_url
    assert osc_sent == [f"GET {root}", f"GET {root}/v2/images/{image['id']}",
                        f"PUT {root}/v2/cache/{image['id']}"]


def test_clear_queue_keeps_the_cached_and_clear_empties_the_cache(devcloud, osc_bin, homes,
                                                                   images):
    ids = [image["id"] for image in images]
    assert imgcli(devcloud, homes["admin"], "admin", "cached", "image", "queue", *ids).code == 0

    def osc_states() -> dict[str, str]:
        return states(openstack(devcloud, osc_bin, homes["admin"], "admin",
                                "cached", "image", "list", "-f", "json"))

    cached = wait_for(osc_states, lambda s: all(s.get(i) == "cached" for i in ids))
    assert all(cached.get(i) == "cached" for i in ids), cached
    ran, sent = traced(devcloud, homes["admin"], "admin", "cached", "image", "clear", "--queue")
    assert (ran.code, sent) == (0, ["DELETE /v2/cache 204"])
    assert all(osc_states().get(i) == "cached" for i in ids)
    ran, sent = traced(devcloud, homes["admin"], "admin", "cached", "image", "clear")
    assert (ran.code, sent) == (0, ["DELETE /v2/cache 204"])
    assert not set(ids) & set(osc_states())


def test_a_single_failed_delete_is_one_line_and_several_end_with_the_count(devcloud, homes,
                                                                           images):
    ran = imgcli(devcloud, homes["admin"], "admin", "cached", "image", "delete", GONE)
    assert (ran.code, one_line(ran)) == (1, f"no image with ID '{GONE}'")
    ran = imgcli(devcloud, homes["admin"], "admin", "cached", "image", "delete", GONE,
                 images[0]["id"])
    assert ran.code == 1
    assert ran.err.splitlines() == [f"no image with ID '{GONE}'",
                                    "1 of 2 images failed to delete."]


def test_queueing_an_image_without_data_is_glances_one_line(devcloud, homes, scratch):
    queued = scratch.image()  # no data: status queued
    ran = imgcli(devcloud, homes["admin"], "admin", "cached", "image", "queue", queued["id"])
    assert ran.code == 1
    assert one_line(ran).endswith("Only images with status active can be targeted for "
                                  "queueing")


@pytest.mark.parametrize("argv", [["list"], ["queue", "{id}"], ["delete", "{id}", "{id2}"],
                                  ["clear"], ["clear", "--cache"]])
def test_a_member_is_told_the_cache_needs_admin(devcloud, osc_bin, homes, images, argv):
    argv = [arg.format(id=images[0]["id"], id2=images[1]["id"]) for arg in argv]
    # demo may not see admin's scratch images: Glance says 404 before its policy, so the
    # member's images here are the seeded public ones
    argv = [a.replace(images[0]["id"], "cirros-0.5.1-x86_64-disk")
            .replace(images[1]["id"], "cirros-0.5.2-x86_64-disk") for a in argv]
    ran = imgcli(devcloud, homes["demo"], "demo", "cached", "image", *argv)
    assert (ran.code, ran.out) == (1, "")
    assert one_line(ran) == ADMIN_LINE.format(verb=argv[0])
    assert openstack(devcloud, osc_bin, homes["demo"], "demo", "cached", "image",
                     *argv).code == 1
