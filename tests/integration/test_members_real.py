"""Image members and `token issue` on devcloud's real Keystone and Glance, next to
openstackclient 10.5.0: the same output for the same data, the requests each command makes
(from a HAR trace or keystoneauth's --debug log), and README's deliberate differences.

Membership changes are made only on scratch images named `it-members-...`, created here
and deleted afterwards; the seeded images are only read. Scratch images are hidden unless a
test needs otherwise, so that listings compared elsewhere (test_parity, run at the same time
on the shared cloud) rarely see them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from osc_pair import Ran, run_pair
from scratch import ScratchImages

RECORD_KEYS = ["created_at", "image_id", "member_id", "schema", "status", "updated_at"]
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


class Scratch(ScratchImages):
    """Images made for one test, with a member look-up of their own."""

    def __init__(self, devcloud: Any) -> None:
        super().__init__(devcloud, "it-members")

    def image(self, visibility: str = "shared", user: str = "admin",  # type: ignore[override]
              hidden: bool = True) -> dict[str, Any]:
        return super().image(user=user, visibility=visibility, os_hidden=hidden)

    def members(self, image_id: str) -> list[tuple[str, str]]:
        r = self.api("GET", f"images/{image_id}/members")
        assert r.status_code == 200, r.text
        return sorted((m["member_id"], m["status"]) for m in r.json()["members"])


@pytest.fixture
def scratch(devcloud: Any) -> Iterator[Scratch]:
    with Scratch(devcloud) as made:
        yield made


@pytest.fixture(scope="module")
def projects(devcloud: Any) -> dict[str, str]:
    """Project name -> ID, from each user's own token."""
    return {user: devcloud.login(user)[1]["project"]["id"] for user in ("admin", "demo")}


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {user: tmp_path_factory.mktemp(f"members-{user}") for user in ("admin", "demo")}


def env_for(devcloud: Any, home: Path, user: str) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
            **getattr(devcloud, f"{user}_env")}


def imgcli(devcloud: Any, home: Path, user: str, *args: str) -> Ran:
    done = subprocess.run([sys.executable, "-m", "imgcli", *args], cwd=home,
                          env=env_for(devcloud, home, user), capture_output=True, text=True,
                          encoding="utf-8", timeout=120)
    return Ran(done.returncode, done.stdout, done.stderr)


def openstack(devcloud: Any, osc_bin: Path, home: Path, user: str, *args: str) -> Ran:
    done = subprocess.run([str(osc_bin / "openstack"), *args], cwd=home,
                          env=env_for(devcloud, home, user), capture_output=True, text=True,
                          encoding="utf-8", timeout=180)
    return Ran(done.returncode, done.stdout, done.stderr)


def traced(devcloud: Any, home: Path, user: str, *args: str) -> tuple[Ran, list[str]]:
    """imgcli's result and its requests as `METHOD path?query STATUS` (from a HAR trace)."""
    har = home / f"trace-{uuid.uuid4().hex[:6]}.har"
    ran = imgcli(devcloud, home, user, "--trace", str(har), *args)
    entries = json.loads(har.read_text())["log"]["entries"]
    return ran, [f"{e['request']['method']} "
                 f"{re.sub(r'^https?://[^/]+', '', e['request']['url'])} "
                 f"{e['response']['status']}" for e in entries]


def one_line(ran: Ran) -> str:
    lines = ran.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in ran.err, ran.err
    return lines[0]


def masked(text: str, *ids: str) -> str:
    """The output with timestamps and the given IDs replaced: two scratch images compare."""
    text = TIMESTAMP.sub("<time>", text)
    for n, value in enumerate(ids):
        text = text.replace(value, f"<id{n}>")
    return text


@pytest.fixture
def warm(devcloud: Any, homes: dict[str, Path]) -> dict[str, Path]:
    """Homes whose token cache holds a live token and the image endpoint."""
    for user, home in homes.items():
        assert imgcli(devcloud, home, user, "image", "list", "--limit", "1").code == 0
    return homes


# ------------------------------------------------------------------ add project

def test_add_by_ids_is_one_post_and_the_member_exists(devcloud, scratch, projects, warm):
    image = scratch.image()
    ran, made = traced(devcloud, warm["admin"], "admin", "image", "add", "project",
                       image["id"], projects["demo"], "-f", "json")
    assert ran.code == 0, ran.err
    assert made == [f"POST /image/v2/images/{image['id']}/members 200"]
    record = json.loads(ran.out)
    assert list(record) == RECORD_KEYS
    assert (record["image_id"], record["member_id"], record["status"]) == (
        image["id"], projects["demo"], "pending")
    assert scratch.members(image["id"]) == [(projects["demo"], "pending")]


def test_add_by_names_is_one_lookup_each_then_the_post(devcloud, scratch, projects, warm):
    image = scratch.image(hidden=False)  # a hidden image costs a second name query
    ran, made = traced(devcloud, warm["admin"], "admin", "image", "add", "project",
                       image["name"], "demo")
    assert ran.code == 0, ran.err
    assert [re.sub(r"\?\S*", "", m) for m in made] == [
        "GET /identity/v3/projects 200", "GET /image/v2/images 200",
        f"POST /image/v2/images/{image['id']}/members 200"]
    assert scratch.members(image["id"]) == [(projects["demo"], "pending")]


def test_add_project_prints_what_openstackclient_prints(devcloud, osc_bin, scratch, warm):
    theirs, ours = scratch.image(), scratch.image()
    for fmt in ([], ["-f", "json"], ["-f", "yaml"], ["-f", "value"], ["-f", "shell"]):
        osc = openstack(devcloud, osc_bin, warm["admin"], "admin", "image", "add", "project",
                        theirs["id"], "demo", *fmt)
        mine = imgcli(devcloud, warm["admin"], "admin", "image", "add", "project", ours["id"],
                      "demo", *fmt)
        assert (osc.code, mine.code) == (0, 0), osc.err + mine.err
        assert masked(mine.out, ours["id"]) == masked(osc.out, theirs["id"])
        for image in (theirs, ours):  # the next format adds the member again
            token, _ = devcloud.login("admin")
            members = scratch.members(image["id"])
            for member_id, _ in members:
                requests.delete(f"{devcloud.glance_url}/v2/images/{image['id']}/members/"
                                f"{member_id}", headers={"X-Auth-Token": token}, timeout=30)


def test_an_unshared_image_gets_no_member_and_a_hint(devcloud, scratch, projects, warm):
    image = scratch.image("private")
    ran = imgcli(devcloud, warm["admin"], "admin", "image", "add", "project", image["name"],
                 "demo")
    assert ran.code == 1 and ran.out == ""
    assert one_line(ran) == (f"image '{image['name']}' is private, and Glance adds members "
                             f"only to shared images: run `imgcli image set --shared "
                             f"{image['name']}` first")


def test_a_member_added_twice_is_one_line_and_stays_one_member(devcloud, scratch, projects,
                                                               warm):
    image = scratch.image()
    args = ("image", "add", "project", image["id"], projects["demo"])
    assert imgcli(devcloud, warm["admin"], "admin", *args).code == 0
    again = imgcli(devcloud, warm["admin"], "admin", *args)
    assert again.code == 1
    assert "409 Conflict" in one_line(again) and "is duplicated for image" in again.err
    assert scratch.members(image["id"]) == [(projects["demo"], "pending")]


@pytest.mark.parametrize("image_arg, project_arg, code, line", [
    ("no-such-image-anywhere", "demo", 1, "no image named or with ID 'no-such-image-anywhere'"),
    (None, "no-such-project", 2, "no project named 'no-such-project' (<project>)"),
])
def test_unknown_image_or_project_changes_nothing(devcloud, scratch, warm, image_arg,
                                                  project_arg, code, line):
    image = scratch.image()
    ran = imgcli(devcloud, warm["admin"], "admin", "image", "add", "project",
                 image_arg or image["id"], project_arg)
    assert (ran.code, one_line(ran)) == (code, line)
    assert scratch.members(image["id"]) == []


def test_a_name_the_user_cannot_look_up_is_refused_where_openstackclient_adds_it(
        devcloud, osc_bin, scratch, warm):
    # demo may not list projects: openstack sends the name itself as the member ID, and
    # Glance adds a member "admin" that is no project. imgcli refuses before any change.
    theirs, ours = scratch.image(user="demo"), scratch.image(user="demo")
    osc = openstack(devcloud, osc_bin, warm["demo"], "demo", "image", "add", "project",
                    theirs["id"], "admin")
    assert osc.code == 0 and scratch.members(theirs["id"]) == [("admin", "pending")]
    ran = imgcli(devcloud, warm["demo"], "demo", "image", "add", "project", ours["id"], "admin")
    assert ran.code == 2
    assert one_line(ran) == ("Keystone does not let this user look up projects by name, so "
                             "'admin' cannot be checked: give the project ID (<project>)")
    assert scratch.members(ours["id"]) == []


def test_a_non_admin_shares_by_project_id(devcloud, scratch, projects, warm):
    image = scratch.image(user="demo")
    ran = imgcli(devcloud, warm["demo"], "demo", "image", "add", "project", image["name"],
                 projects["admin"], "-f", "value", "-c", "status")
    assert (ran.code, ran.out) == (0, "pending\n"), ran.err
    assert scratch.members(image["id"]) == [(projects["admin"], "pending")]


# ------------------------------------------------------------------ remove project

def test_remove_by_ids_is_one_delete_and_prints_nothing(devcloud, scratch, projects, warm):
    image = scratch.image()
    imgcli(devcloud, warm["admin"], "admin", "image", "add", "project", image["id"],
           projects["demo"])
    ran, made = traced(devcloud, warm["admin"], "admin", "image", "remove", "project",
                       image["id"], projects["demo"])
    assert (ran.code, ran.out) == (0, ""), ran.err
    assert made == [f"DELETE /image/v2/images/{image['id']}/members/{projects['demo']} 204"]
    assert scratch.members(image["id"]) == []


def test_removing_a_non_member_is_an_error_where_openstackclient_says_nothing(
        devcloud, osc_bin, scratch, projects, warm):
    image = scratch.image()
    args = ("image", "remove", "project", image["id"], "demo")
    osc = openstack(devcloud, osc_bin, warm["admin"], "admin", *args)
    assert (osc.code, osc.out, osc.err) == (0, "", "")
    ran = imgcli(devcloud, warm["admin"], "admin", *args)
    assert ran.code == 1
    assert one_line(ran).endswith(f"404 Not Found: {projects['demo']} not found in the member "
                                  f"list of the image {image['id']}.")


# ------------------------------------------------------------------ member list and get

@pytest.mark.parametrize("user, fmt", [("admin", []), ("admin", ["-f", "json"]),
                                       ("admin", ["-f", "csv"]), ("demo", ["-f", "value"])])
def test_member_list_is_openstackclients(devcloud, osc_bin, warm, user, fmt):
    # Seeded shared images, read only: one with an accepted member, one with a pending one
    # (by ID: openstackclient's name look-up does not see a share demo has not accepted).
    for image in ("shared-accepted-by-demo", json_id("shared-pending-for-demo")):
        osc, ran = run_pair(devcloud, osc_bin, warm[user], user,
                            ["image", "member", "list", image, *fmt])
        assert (osc.code, ran.code) == (0, 0), osc.err + ran.err
        assert ran.out == osc.out
        assert ran.out.count("\n") >= 1


def test_a_pending_share_is_found_by_name_where_openstackclient_finds_none(
        devcloud, osc_bin, projects, warm):
    osc, ran = run_pair(devcloud, osc_bin, warm["demo"], "demo",
                        ["image", "member", "list", "shared-pending-for-demo", "-f", "json"])
    assert osc.code == 1 and "No Image found for shared-pending-for-demo" in osc.err
    assert ran.code == 0, ran.err
    assert json.loads(ran.out) == [{"Image ID": json_id("shared-pending-for-demo"),
                                    "Member ID": projects["demo"], "Status": "pending"}]


def test_member_list_of_an_image_without_members_is_openstackclients(devcloud, osc_bin,
                                                                     scratch, warm):
    image = scratch.image()
    for fmt in ([], ["-f", "json"]):
        osc, ran = run_pair(devcloud, osc_bin, warm["admin"], "admin",
                            ["image", "member", "list", image["id"], *fmt])
        assert (osc.code, ran.code, ran.out) == (0, 0, osc.out)


def test_member_list_by_id_is_one_get(devcloud, scratch, warm):
    image = scratch.image()
    ran, made = traced(devcloud, warm["admin"], "admin", "image", "member", "list", image["id"])
    assert ran.code == 0
    assert made == [f"GET /image/v2/images/{image['id']}/members 200"]


def test_member_get_by_id_is_openstackclients(devcloud, osc_bin, projects, warm):
    image = "shared-accepted-by-demo"
    for fmt in ([], ["-f", "json"]):
        osc, ran = run_pair(devcloud, osc_bin, warm["admin"], "admin",
                            ["image", "member", "get", image, projects["demo"], *fmt])
        assert (osc.code, ran.code, ran.out) == (0, 0, osc.out), osc.err + ran.err


def test_member_get_takes_a_project_name_where_openstackclient_sends_it_as_an_id(
        devcloud, osc_bin, projects, warm):
    osc, ran = run_pair(devcloud, osc_bin, warm["admin"], "admin",
                        ["image", "member", "get", "shared-accepted-by-demo", "demo", "-f",
                         "json"])
    assert osc.code == 1 and "demo not found in the member list" in osc.err
    assert ran.code == 0, ran.err
    assert json.loads(ran.out)["member_id"] == projects["demo"]


def test_member_get_as_the_member_by_its_own_project_name(devcloud, projects, warm):
    ran, made = traced(devcloud, warm["demo"], "demo", "image", "member", "get",
                       "shared-accepted-by-demo", "demo", "-f", "value", "-c", "status")
    assert (ran.code, ran.out) == (0, "accepted\n"), ran.err
    assert [re.sub(r"\?\S*", "", m) for m in made] == [
        "GET /image/v2/images 200",
        f"GET /image/v2/images/{json_id('shared-accepted-by-demo')}/members/"
        f"{projects['demo']} 200"]


def json_id(name: str) -> str:
    cloud = sys.modules["devcloud_cloud"]
    return str(uuid.uuid5(cloud.ID_NAMESPACE, name))


# ------------------------------------------------------------------ token issue

def debug_requests(err: str) -> list[str]:
    """The requests keystoneauth logged under --debug."""
    return re.findall(r'"((?:GET|POST|PUT|PATCH|DELETE) \S+) HTTP/1\.1" \d+', err)


def test_token_issue_has_openstackclients_keys(devcloud, osc_bin, projects, homes):
    osc, ran = run_pair(devcloud, osc_bin, homes["admin"], "admin",
                        ["token", "issue", "-f", "json"])
    assert (osc.code, ran.code) == (0, 0), osc.err + ran.err
    theirs, ours = json.loads(osc.out), json.loads(ran.out)
    assert list(ours) == list(theirs) == ["expires", "id", "project_id", "user_id"]
    assert ours["project_id"] == theirs["project_id"] == projects["admin"]
    assert ours["user_id"] == theirs["user_id"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000", ours["expires"])


def test_token_issue_cold_is_keystones_two_requests_and_warm_none(devcloud, osc_bin, tmp_path):
    osc = openstack(devcloud, osc_bin, tmp_path, "demo", "token", "issue", "--debug")
    cold = imgcli(devcloud, tmp_path, "demo", "--debug", "token", "issue", "-f", "json")
    assert debug_requests(cold.err) == debug_requests(osc.err) == [
        "GET /identity", "POST /identity/v3/auth/tokens"]
    warm = imgcli(devcloud, tmp_path, "demo", "--debug", "token", "issue", "-f", "json")
    assert warm.code == 0 and debug_requests(warm.err) == []
    assert json.loads(warm.out) == json.loads(cold.out)


def test_the_token_it_prints_works(devcloud, homes):
    token = imgcli(devcloud, homes["demo"], "demo", "token", "issue", "-f", "value", "-c", "id")
    r = requests.get(f"{devcloud.glance_url}/v2/images?limit=1",
                     headers={"X-Auth-Token": token.out.strip()}, timeout=30)
    assert r.status_code == 200
