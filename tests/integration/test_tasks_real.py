"""`image task list/show` and `image task list --image` on devcloud: an import (imgcli's own
`image import --wait` of staged data) makes a task; both clients list and show it alike;
one request per warm run; a member gets one line where /v2/tasks is admin-only, and sees the
tasks of an image of its own."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from admin_runs import imgcli, one_line, openstack, osc_requests, same_when_still, traced
from osc_pair import run_pair
from scratch import ScratchImages

NO_TASK = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {user: tmp_path_factory.mktemp(f"tasks-{user}") for user in ("admin", "demo")}


def import_one(devcloud: Any, scratch: ScratchImages, home: Path, user: str) -> dict[str, Any]:
    """A scratch image of `user`'s, its data staged and imported with imgcli (glance-direct)."""
    image = scratch.image(b"imgcli task test\n" * 64, user=user, stage=True)
    # --timeout: devcloud's one Glance worker serves every test run on the machine
    ran = imgcli(devcloud, home, user, "--timeout", "300", "image", "import", image["id"],
                 "--wait", "-c", "status", "-f", "value")
    assert (ran.code, ran.out) == (0, "active\n"), ran.err
    return image


@pytest.fixture(scope="module")
def imported(devcloud: Any, homes: dict[str, Path]) -> Iterator[dict[str, Any]]:
    """An admin image imported once for the module, and its one task."""
    with ScratchImages(devcloud, "it-task") as scratch:
        image = import_one(devcloud, scratch, homes["admin"], "admin")
        ran = imgcli(devcloud, homes["admin"], "admin", "image", "task", "list", "--image",
                     image["id"], "-f", "json")
        assert ran.code == 0, ran.err
        yield {"image": image, "tasks": json.loads(ran.out)}


def test_an_import_makes_one_task_listed_by_its_image_in_one_request(devcloud, homes,
                                                                      imported):
    image = imported["image"]
    [task] = imported["tasks"]
    assert (task["Type"], task["Status"], task["Owner"]) == (
        "api_image_import", "success", image["owner"])
    assert set(task) == {"ID", "Type", "Status", "Owner", "Message", "Updated At"}
    ran, sent = traced(devcloud, homes["admin"], "admin", "image", "task", "list", "--image",
                       image["id"], "-c", "ID", "-f", "value")
    assert (ran.code, ran.out) == (0, task["ID"] + "\n")
    assert sent == [f"GET /v2/images/{image['id']}/tasks 200"]


def test_an_image_name_costs_its_look_up_only(devcloud, homes, imported):
    image = imported["image"]
    ran, sent = traced(devcloud, homes["admin"], "admin", "image", "task", "list", "--image",
                       image["name"], "-c", "ID", "-f", "value")
    assert (ran.code, ran.out) == (0, imported["tasks"][0]["ID"] + "\n")
    # a scratch image is hidden: the default listing, then the hidden one
    assert sent == [f"GET /v2/images?name={image['name']} 200",
                    f"GET /v2/images?name={image['name']}&os_hidden=true 200",
                    f"GET /v2/images/{image['id']}/tasks 200"]


@pytest.mark.parametrize("args", ["", "-f json", "-f yaml", "-f value", "-f shell",
                                  "-c status -c input -f json"])
def test_show_is_the_same_as_openstackclient(devcloud, osc_bin, homes, imported, args):
    task_id = imported["tasks"][0]["ID"]
    osc, ours = run_pair(devcloud, osc_bin, homes["admin"], "admin",
                         ["image", "task", "show", task_id, *shlex.split(args)])
    assert osc.code == 0, osc.err
    assert ours.code == 0, ours.err
    if "-f json" in args:
        assert json.loads(ours.out) == json.loads(osc.out)
    assert ours.out == osc.out


def test_show_is_one_request_where_openstack_sends_two(devcloud, osc_bin, homes, imported):
    task_id = imported["tasks"][0]["ID"]
    ran, sent = traced(devcloud, homes["admin"], "admin", "image", "task", "show", task_id)
    assert ran.code == 0, ran.err
    assert sent == [f"GET /v2/tasks/{task_id} 200"]
    osc, osc_sent = osc_requests(devcloud, osc_bin, homes["admin"], "admin",
                                 "image", "task", "show", task_id)
    assert osc.code == 0
    assert osc_sent == [f"GET {devcloud.glance_url}",
                        f"GET {devcloud.glance_url}/v2/tasks/{task_id}"]


LISTS = ["", "-f json", "-f csv", "--status success -f json", "--status failure",
         "--sort-key updated_at --sort-dir asc -f json", "--type import -f json"]


@pytest.mark.parametrize("args", LISTS, ids=[a or "table" for a in LISTS])
def test_list_is_the_same_as_openstackclient(devcloud, osc_bin, homes, imported, args):
    osc, ours = same_when_still(devcloud, osc_bin, homes["admin"], "admin",
                                "image", "task", "list", *shlex.split(args))
    assert osc.code == 0, osc.err
    assert ours.code == 0, ours.err
    if "-f json" in args:
        assert json.loads(ours.out) == json.loads(osc.out)
    assert ours.out == osc.out


def test_list_holds_the_new_task_and_is_one_request(devcloud, osc_bin, homes, imported):
    ran, sent = traced(devcloud, homes["admin"], "admin", "image", "task", "list",
                       "-f", "json")
    assert ran.code == 0, ran.err
    listed = json.loads(ran.out)
    assert imported["tasks"][0]["ID"] in [task["ID"] for task in listed]
    assert sent == ["GET /v2/tasks?limit=1000 200"]  # devcloud holds fewer than 1000 tasks
    osc, osc_sent = osc_requests(devcloud, osc_bin, homes["admin"], "admin",
                                 "image", "task", "list")
    assert osc.code == 0
    # openstack asks for Glance's default page (25 tasks) and follows `next`
    pages = len([line for line in osc_sent if "/v2/tasks" in line])
    assert pages == len(listed) // 25 + 1


def test_limit_and_max_items_cap_the_rows_where_openstack_lists_all(devcloud, osc_bin,
                                                                     homes, imported):
    everything, ours = same_when_still(devcloud, osc_bin, homes["admin"], "admin",
                                       "image", "task", "list", "-f", "value", "-c", "ID")
    ids = everything.out.split()
    for option in ("--limit", "--max-items"):
        ran = imgcli(devcloud, homes["admin"], "admin", "image", "task", "list", option, "2",
                     "-f", "value", "-c", "ID")
        assert ran.code == 0, ran.err
        assert ran.out.split() == ids[:2]
        osc = openstack(devcloud, osc_bin, homes["admin"], "admin", "image", "task", "list",
                        option, "2", "-f", "value", "-c", "ID")
        assert len(osc.out.split()) == len(ids)  # a page size, or ignored


def test_an_unknown_task_is_one_line(devcloud, osc_bin, homes):
    ran = imgcli(devcloud, homes["admin"], "admin", "image", "task", "show", NO_TASK)
    assert (ran.code, one_line(ran)) == (1, f"no task with ID '{NO_TASK}'")
    assert openstack(devcloud, osc_bin, homes["admin"], "admin", "image", "task", "show",
                     NO_TASK).code == 1


@pytest.mark.parametrize("argv", [["list"], ["show", "{task}"]])
def test_a_member_is_told_tasks_need_admin(devcloud, osc_bin, homes, imported, argv):
    argv = [arg.format(task=imported["tasks"][0]["ID"]) for arg in argv]
    ran = imgcli(devcloud, homes["demo"], "demo", "image", "task", *argv)
    assert (ran.code, ran.out) == (1, "")
    assert one_line(ran) == (
        f"`imgcli image task {argv[0]}` needs the admin role: Glance's policy refused it for "
        "this user (403 Forbidden; by default only admin may do this)")
    assert openstack(devcloud, osc_bin, homes["demo"], "demo", "image", "task", *argv).code == 1


def test_a_member_sees_the_tasks_of_an_image_of_its_own(devcloud, homes):
    with ScratchImages(devcloud, "it-task-demo") as scratch:
        image = import_one(devcloud, scratch, homes["demo"], "demo")
        ran = imgcli(devcloud, homes["demo"], "demo", "image", "task", "list", "--image",
                     image["id"], "-f", "json")
        assert ran.code == 0, ran.err
        [task] = json.loads(ran.out)
        assert (task["Status"], task["Owner"]) == ("success", image["owner"])


def test_a_member_cannot_read_the_tasks_of_an_image_it_cannot_see(devcloud, homes, imported):
    image_id = imported["image"]["id"]  # admin's, private
    ran = imgcli(devcloud, homes["demo"], "demo", "image", "task", "list", "--image", image_id)
    assert (ran.code, one_line(ran)) == (1, f"no image with ID '{image_id}'")
