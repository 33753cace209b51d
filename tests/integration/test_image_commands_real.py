"""`image show/create/set/unset/delete` against devcloud's real Keystone and Glance: what each
command changes, the requests it makes with a cached token (from a HAR trace), and Glance's
answers to bad input as one line.

Changes are made only to scratch images named `it-meta-...`, created here and deleted
afterwards (unprotected first); seeded images are only read. Scratch images are hidden, and
an image a command creates is hidden at once, so that listings compared elsewhere on the
shared cloud at the same time (test_parity, test_imgcli_real) rarely see them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from scratch import ScratchImages

cloud = sys.modules["devcloud_cloud"]  # loaded by conftest.py
CIRROS = "cirros-0.5.1-x86_64-disk"


@pytest.fixture
def scratch(devcloud: Any) -> Iterator[ScratchImages]:
    with ScratchImages(devcloud, "it-meta") as made:
        yield made


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One home per user for the module: after the first run the token is cached."""
    return {user: tmp_path_factory.mktemp(f"meta-{user}") for user in ("admin", "demo")}


def imgcli(devcloud: Any, home: Path, user: str, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
           **getattr(devcloud, f"{user}_env")}
    return subprocess.run([sys.executable, "-m", "imgcli", *args], env=env, cwd=home,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def traced(devcloud: Any, home: Path, user: str,
           *args: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """The run and its requests as `METHOD /path?query status`, with a cached token."""
    if not (home / "cache").exists():
        imgcli(devcloud, home, user, "image", "show", CIRROS, "-c", "id")  # fills the cache
    trace = home / f"trace-{uuid.uuid4().hex[:8]}.har"
    result = imgcli(devcloud, home, user, "--trace", str(trace), *args)
    entries = json.loads(trace.read_text())["log"]["entries"]
    sent = []
    for entry in entries:
        url = urlsplit(entry["request"]["url"])
        path = url.path.removeprefix("/image") + (f"?{url.query}" if url.query else "")
        sent.append(f"{entry['request']['method']} {path} {entry['response']['status']}")
    return result, sent


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr and "&#" not in result.stderr
    return result.stderr.strip()


# ------------------------------------------------------------------------------ show

def test_show_by_id_is_one_request(devcloud, homes, scratch):
    image = scratch.image(b"data", os_distro="ubuntu", tags=["b", "a"])
    by_id, sent = traced(devcloud, homes["admin"], "admin", "image", "show", image["id"],
                         "-f", "json")
    assert sent == [f"GET /v2/images/{image['id']} 200"]
    shown = json.loads(by_id.stdout)
    assert (shown["name"], shown["size"], shown["tags"]) == (image["name"], 4, image["tags"])
    assert sorted(shown["tags"]) == ["a", "b"]
    assert shown["properties"]["os_distro"] == "ubuntu"
    # A hidden image is not in Glance's name listing: a second one asks for hidden images.
    by_name, sent = traced(devcloud, homes["admin"], "admin", "image", "show", image["name"],
                           "-f", "json")
    query = f"name={image['name']}"  # Glance's default listing, as openstackclient
    assert sent == [f"GET /v2/images?{query} 200", f"GET /v2/images?{query}&os_hidden=true 200"]
    assert json.loads(by_name.stdout) == shown


def test_show_by_name_is_one_request(devcloud, homes):
    result, sent = traced(devcloud, homes["admin"], "admin", "image", "show", CIRROS,
                          "-f", "value", "-c", "id")
    assert sent == [f"GET /v2/images?name={CIRROS} 200"]
    assert result.stdout.strip() == str(uuid.uuid5(cloud.ID_NAMESPACE, CIRROS))


def test_show_a_hidden_image_by_name(devcloud, homes):
    result = imgcli(devcloud, homes["demo"], "demo", "image", "show", "hidden-image",
                    "-f", "value", "-c", "name")
    assert (result.returncode, result.stdout) == (0, "hidden-image\n")


def test_show_what_demo_may_not_see_is_not_found(devcloud, homes):
    result = imgcli(devcloud, homes["demo"], "demo", "image", "show", "private-admin-image")
    assert result.returncode == 1
    assert one_line(result) == "no image named or with ID 'private-admin-image'"


# ------------------------------------------------------------------------------ create

def test_create_is_one_post_and_prints_what_show_prints(devcloud, homes, scratch):
    name = scratch.name()
    result, sent = traced(devcloud, homes["admin"], "admin", "image", "create", name,
                          "--disk-format", "qcow2", "--min-ram", "64", "--protected",
                          "--community", "--property", "os_distro=cirros", "--tag", "t",
                          "--project", "demo", "-f", "json")
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    scratch.made.append(created["id"])
    shown = imgcli(devcloud, homes["admin"], "admin", "image", "show", created["id"],
                   "-f", "json")
    scratch.adopt(created["id"])
    assert json.loads(shown.stdout) == created
    assert [line.split(" ")[:2] for line in sent] == [
        ["GET", "/identity/v3/projects?name=demo"], ["POST", "/v2/images"]]
    record = scratch.get(created["id"])
    assert (record["disk_format"], record["container_format"], record["min_ram"],
            record["protected"], record["visibility"], record["os_distro"], record["tags"],
            record["status"]) == ("qcow2", "bare", 64, True, "community", "cirros", ["t"],
                                  "queued")
    assert record["owner"] == devcloud.login("demo")[1]["project"]["id"]


def test_create_with_the_tokens_own_project_is_only_the_post(devcloud, homes, scratch):
    result, sent = traced(devcloud, homes["admin"], "admin", "image", "create",
                          scratch.name(), "--project", "admin", "-f", "value", "-c", "id")
    scratch.adopt(result.stdout.strip())
    assert [line.split(" ")[:2] for line in sent] == [["POST", "/v2/images"]]


def test_create_refuses_what_glance_would_and_makes_nothing(devcloud, homes, scratch):
    name = scratch.name()
    for args in (["--property", "os_glance_import_task=x"], ["--min-disk", "-1"],
                 ["--property", "min_ram=5"]):
        result, sent = traced(devcloud, homes["admin"], "admin", "image", "create", name,
                              *args)
        assert (result.returncode, sent) == (2, []), args
        one_line(result)
    token, _ = devcloud.login("admin")
    listed = requests.get(f"{devcloud.glance_url}/v2/images", params={"name": name},
                          headers={"X-Auth-Token": token}, timeout=30).json()["images"]
    assert listed == []


# ------------------------------------------------------------------------------ set

def test_set_by_id_is_one_patch(devcloud, homes, scratch):
    image = scratch.image(b"data")
    result, sent = traced(devcloud, homes["admin"], "admin", "image", "set", image["id"],
                          "--name", image["name"] + "-b", "--min-disk", "3", "--protected",
                          "--property", "a=1", "--os-distro", "ubuntu")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert sent == [f"PATCH /v2/images/{image['id']} 200"]
    after = scratch.get(image["id"])
    assert (after["name"], after["min_disk"], after["protected"], after["a"],
            after["os_distro"]) == (image["name"] + "-b", 3, True, "1", "ubuntu")


def test_set_tags_reads_then_patches(devcloud, homes, scratch):
    image = scratch.image(tags=["old"])
    result, sent = traced(devcloud, homes["admin"], "admin", "image", "set", image["id"],
                          "--tag", "new", "--tag", "old")
    assert result.returncode == 0, result.stderr
    assert sent == [f"GET /v2/images/{image['id']} 200", f"PATCH /v2/images/{image['id']} 200"]
    assert sorted(scratch.get(image["id"])["tags"]) == ["new", "old"]


def test_set_by_name_is_the_lookup_and_the_patch(devcloud, homes, scratch):
    image = scratch.image(hw_rng_model="virtio")
    result, sent = traced(devcloud, homes["admin"], "admin", "image", "set", image["name"],
                          "--property", "hw_rng_model=none", "--min-ram", "128")
    assert result.returncode == 0, result.stderr
    assert [line.split("?")[0] for line in sent] == [  # a hidden image: two listings
        "GET /v2/images", "GET /v2/images", f"PATCH /v2/images/{image['id']} 200"]
    after = scratch.get(image["id"])
    assert (after["hw_rng_model"], after["min_ram"]) == ("none", 128)


def test_deactivate_and_activate_by_id_are_one_post_each(devcloud, homes, scratch):
    image = scratch.image(b"data")
    for flag, status in (("--deactivate", "deactivated"), ("--activate", "active")):
        result, sent = traced(devcloud, homes["admin"], "admin", "image", "set", image["id"],
                              flag)
        assert result.returncode == 0, result.stderr
        verb = "deactivate" if status == "deactivated" else "reactivate"
        assert sent == [f"POST /v2/images/{image['id']}/actions/{verb} 204"]
        assert scratch.get(image["id"])["status"] == status


def test_a_deactivated_image_takes_metadata_changes_as_glance_allows(devcloud, homes,
                                                                     scratch):
    image = scratch.image(b"data")
    scratch.api("POST", f"images/{image['id']}/actions/deactivate")
    result = imgcli(devcloud, homes["admin"], "admin", "image", "set", image["id"],
                    "--property", "reason=broken")
    assert result.returncode == 0, result.stderr
    after = scratch.get(image["id"])
    assert (after["status"], after["reason"]) == ("deactivated", "broken")


def test_activate_with_changes_on_a_queued_image_changes_nothing(devcloud, homes, scratch):
    image = scratch.image()
    result, sent = traced(devcloud, homes["admin"], "admin", "image", "set", image["id"],
                          "--activate", "--name", "renamed")
    assert result.returncode == 1
    assert "is queued: Glance takes --activate only for an image that is active or " \
           "deactivated; nothing changed" in one_line(result)
    assert sent == [f"GET /v2/images/{image['id']} 200"]
    assert scratch.get(image["id"])["name"] == image["name"]


def test_accept_and_back_to_pending_as_the_member(devcloud, homes, scratch):
    demo = devcloud.login("demo")[1]["project"]["id"]
    image = scratch.image(visibility="shared")
    assert scratch.api("POST", f"images/{image['id']}/members",
                       json={"member": demo}).status_code == 200

    def status() -> str:
        return scratch.api("GET", f"images/{image['id']}/members/{demo}").json()["status"]

    result, sent = traced(devcloud, homes["demo"], "demo", "image", "set", image["id"],
                          "--accept")
    assert result.returncode == 0, result.stderr
    assert sent == [f"GET /v2/images/{image['id']} 200",
                    f"PUT /v2/images/{image['id']}/members/{demo} 200"]
    assert status() == "accepted"
    assert imgcli(devcloud, homes["demo"], "demo", "image", "set", image["id"],
                  "--pending").returncode == 0
    assert status() == "pending"


def test_accept_on_an_image_not_shared_with_you(devcloud, homes, scratch):
    public = imgcli(devcloud, homes["demo"], "demo", "image", "set", CIRROS, "--accept")
    assert public.returncode == 1
    assert one_line(public) == (f"image '{CIRROS}' is public, not shared: it has no members, "
                                "so there is no membership to set to accepted; nothing "
                                "changed")
    image = scratch.image(visibility="shared")  # admin's, no members
    own = imgcli(devcloud, homes["admin"], "admin", "image", "set", image["id"], "--accept")
    assert own.returncode == 1
    assert "is not shared with project" in one_line(own)


def test_glances_own_refusal_is_one_plain_line_and_nothing_changes(devcloud, homes, scratch):
    image = scratch.image()
    result = imgcli(devcloud, homes["admin"], "admin", "image", "set", image["id"],
                    "--name", "x" * 256, "--min-ram", "5")
    assert result.returncode == 1
    assert "400 Bad Request" in one_line(result)
    after = scratch.get(image["id"])
    assert (after["name"], after["min_ram"]) == (image["name"], 0)


# ------------------------------------------------------------------------------ unset

def test_unset_reads_once_and_patches_once(devcloud, homes, scratch):
    image = scratch.image(tags=["a", "b"], extra="1", other="2")
    result, sent = traced(devcloud, homes["admin"], "admin", "image", "unset", image["id"],
                          "--tag", "a", "--property", "extra")
    assert result.returncode == 0, result.stderr
    assert sent == [f"GET /v2/images/{image['id']} 200", f"PATCH /v2/images/{image['id']} 200"]
    after = scratch.get(image["id"])
    assert (after["tags"], "extra" in after, after["other"]) == (["b"], False, "2")


def test_unset_what_is_not_there_changes_nothing(devcloud, homes, scratch):
    image = scratch.image(tags=["a"], extra="1")
    result, sent = traced(devcloud, homes["admin"], "admin", "image", "unset", image["id"],
                          "--tag", "a", "--property", "extra", "--property", "nope")
    assert result.returncode == 1
    assert one_line(result) == f"image '{image['id']}' has no property 'nope': nothing changed"
    assert sent == [f"GET /v2/images/{image['id']} 200"]
    after = scratch.get(image["id"])
    assert (after["tags"], after["extra"]) == (["a"], "1")


# ------------------------------------------------------------------------------ delete

def test_delete_by_id_is_one_request(devcloud, homes, scratch):
    image = scratch.image()
    result, sent = traced(devcloud, homes["admin"], "admin", "image", "delete", image["id"])
    assert (result.returncode, result.stderr) == (0, "")
    assert sent == [f"DELETE /v2/images/{image['id']} 204"]
    assert not scratch.exists(image["id"])


def test_delete_goes_on_past_failures_and_counts_them(devcloud, homes, scratch):
    locked, plain = scratch.image(protected=True), scratch.image()
    missing = str(uuid.uuid4())
    result = imgcli(devcloud, homes["admin"], "admin", "image", "delete", locked["name"],
                    missing, plain["id"])
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"image '{locked['name']}' is protected: run `imgcli image set --unprotected "
        f"{locked['name']}` first",
        f"no image with ID '{missing}'",
        "2 of 3 images failed to delete.",
    ]
    assert scratch.exists(locked["id"]) and not scratch.exists(plain["id"])
