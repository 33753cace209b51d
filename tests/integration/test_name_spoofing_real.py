"""Finding 1, "another project can substitute the data of a save", carried out on devcloud's
real Keystone and Glance with three projects: demo plants names (a pending share, community
images), alt_demo runs imgcli, admin publishes. A name is looked for only among the images
Glance lists by default, as openstackclient does; an ID that answers 404 is not tried as a
name; the share commands alone find a pending share by name.

Every image is a hidden scratch image (`it-spoof-...`), deleted when its test ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from osc_pair import Ran
from scratch import ScratchImages

cloud = sys.modules["devcloud_cloud"]  # loaded by conftest.py
IMGCLI = Path(sys.executable).with_name("imgcli")  # the venv's console script
THEIRS = b"demo's data, planted for alt_demo\n" * 512
PUBLIC = b"the public image's data\n" * 512


def login(user: str) -> tuple[str, str]:
    """(token, project ID) for any devcloud user (conftest's login knows admin and demo)."""
    env = cloud.env(user)
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": env["OS_USERNAME"], "password": env["OS_PASSWORD"],
            "domain": {"name": env["OS_USER_DOMAIN_NAME"]}}}},
        "scope": {"project": {"name": env["OS_PROJECT_NAME"],
                              "domain": {"name": env["OS_PROJECT_DOMAIN_NAME"]}}}}}
    r = requests.post(f"{env['OS_AUTH_URL']}/v3/auth/tokens", json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.headers["X-Subject-Token"], r.json()["token"]["project"]["id"]


class Scratch(ScratchImages):
    """Scratch images of any of the three users, and demo's offers to alt_demo."""

    def __init__(self, devcloud: Any) -> None:
        super().__init__(devcloud, "it-spoof")
        for user in ("demo", "alt_demo"):
            self._tokens[user] = login(user)[0]
        self.alt_project = login("alt_demo")[1]

    def offer(self, name: str) -> dict[str, Any]:
        """demo's shared image `name`, with data, offered to alt_demo (pending)."""
        image = self.image(THEIRS, user="demo", name=name, visibility="shared")
        r = self.api("POST", f"images/{image['id']}/members", "demo",
                     json={"member": self.alt_project})
        assert r.status_code == 200 and r.json()["status"] == "pending", r.text
        return image

    def member_status(self, image_id: str) -> str:
        r = self.api("GET", f"images/{image_id}/members/{self.alt_project}", "demo")
        assert r.status_code == 200, r.text
        return str(r.json()["status"])


@pytest.fixture
def scratch(devcloud: Any) -> Iterator[Scratch]:
    with Scratch(devcloud) as made:
        yield made


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spoof-alt_demo")


def call(home: Path, *args: str, user: str = "alt_demo", prog: str = str(IMGCLI)) -> Ran:
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
           **cloud.env(user)}
    done = subprocess.run([prog, *args], cwd=home, env=env, capture_output=True, text=True,
                          encoding="utf-8", stdin=subprocess.DEVNULL, timeout=180)
    return Ran(done.returncode, done.stdout, done.stderr)


def one_line(ran: Ran) -> str:
    lines = ran.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in ran.err, ran.err
    return lines[0]


def assert_no_save(home: Path, ref: str, message: str) -> None:
    """`image save REF --file F` fails with `message`, and nothing is written."""
    target = home / f"{ref}.img"
    ran = call(home, "image", "save", ref, "--file", str(target))
    assert (ran.code, one_line(ran)) == (1, message)
    assert not target.exists() and list(home.glob(f"{ref}.img*")) == []


# ------------------------------------------------------------------ the attacks

def test_a_pending_share_is_not_found_by_name(scratch, home):
    name = scratch.name()
    scratch.offer(name)
    assert_no_save(home, name, f"no image named or with ID '{name}'")
    ran = call(home, "image", "show", name)
    assert (ran.code, ran.out, one_line(ran)) == (1, "", f"no image named or with ID '{name}'")


def test_a_community_image_is_found_by_id_only(scratch, home):
    image = scratch.image(THEIRS, user="demo", visibility="community")
    assert_no_save(home, image["name"], f"no image named or with ID '{image['name']}'")
    ran = call(home, "image", "show", image["name"])
    assert (ran.code, one_line(ran)) == (1, f"no image named or with ID '{image['name']}'")
    by_id = call(home, "image", "show", image["id"], "-f", "value", "-c", "name")
    assert (by_id.code, by_id.out) == (0, image["name"] + "\n")


def test_a_community_image_named_like_an_unseen_id_is_not_that_image(scratch, home):
    unseen = scratch.image(user="demo", visibility="private")
    scratch.image(THEIRS, user="demo", visibility="community", name=unseen["id"])
    ran = call(home, "image", "show", unseen["id"])
    assert (ran.code, ran.out, one_line(ran)) == (1, "", f"no image with ID '{unseen['id']}'")
    assert_no_save(home, unseen["id"], f"no image with ID '{unseen['id']}'")


def test_a_pending_share_named_like_a_public_image_does_not_hide_it(scratch, home):
    public = scratch.image(PUBLIC, user="admin", visibility="public")
    scratch.offer(public["name"])
    ran = call(home, "image", "show", public["name"], "-f", "value", "-c", "id")
    assert (ran.code, ran.out, ran.err) == (0, public["id"] + "\n", "")
    target = home / "public.img"
    saved = call(home, "image", "save", public["name"], "--file", str(target))
    assert (saved.code, saved.err) == (0, "")
    assert target.read_bytes() == PUBLIC


@pytest.mark.parametrize("kind", ["pending share", "community image"])
def test_openstackclient_finds_none_of_them_either(scratch, home, osc_bin, kind):
    if kind == "pending share":
        name = scratch.name()
        scratch.offer(name)
    else:
        name = scratch.image(THEIRS, user="demo", visibility="community")["name"]
    ran = call(home, "image", "show", name, prog=str(osc_bin / "openstack"))
    assert ran.code == 1 and f"No Image found for {name}" in ran.err


# ------------------------------------------------------------------ the share commands

def test_the_share_commands_find_a_pending_share_by_name(scratch, home):
    name = scratch.name()
    image = scratch.offer(name)
    listed = call(home, "image", "member", "list", name, "-f", "value")
    assert (listed.code, listed.err) == (0, "")
    assert listed.out == f"{image['id']} {scratch.alt_project} pending\n"
    accepted = call(home, "image", "set", "--accept", name)
    assert (accepted.code, accepted.out, accepted.err) == (0, "", "")
    assert scratch.member_status(image["id"]) == "accepted"
    # Accepted, the share is in Glance's default listing: a save by name finds it.
    target = home / "accepted.img"
    saved = call(home, "image", "save", name, "--file", str(target))
    assert (saved.code, saved.err) == (0, "")
    assert target.read_bytes() == THEIRS
