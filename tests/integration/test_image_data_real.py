"""Image data on devcloud's real Keystone and Glance: several MiB up and down byte-identical,
by file and by pipe; stage and import (glance-direct, web-download, copy-image) with --wait;
the requests each data command makes with a cached token (from a HAR trace); Glance's
refusals as one line; `image import info` next to openstackclient's.

Scratch images are named `it-data-<random>` and hidden (those made through the API are
created hidden; those `image create` makes are hidden right after), and deleted at the end.
"""

from __future__ import annotations

import hashlib
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
from osc_pair import run_pair
from scratch import ScratchImages

cloud = sys.modules["devcloud_cloud"]  # loaded by conftest.py

DATA = os.urandom(6 << 20) + b"the end"  # 6 MiB and a bit: several blocks, the last short
PATCH = "application/openstack-images-v2.1-json-patch"


@pytest.fixture
def scratch(devcloud: Any) -> Iterator[ScratchImages]:
    with ScratchImages(devcloud, "it-data") as made:
        yield made


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data-admin")


def imgcli(devcloud: Any, home: Path, *args: str, data: bytes | None = None,
           stdin: Any = subprocess.DEVNULL) -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
           **devcloud.admin_env}
    result = subprocess.run([sys.executable, "-m", "imgcli", *args], env=env, cwd=home,
                            input=data, stdin=None if data is not None else stdin,
                            capture_output=True, timeout=180)
    assert b"Traceback" not in result.stderr, result.stderr.decode()
    return result


def traced(devcloud: Any, home: Path, *args: str,
           data: bytes | None = None) -> tuple[subprocess.CompletedProcess[bytes], list[str]]:
    """The run and its requests, `METHOD /path status`, with a cached token."""
    if not (home / "cache").exists():
        imgcli(devcloud, home, "image", "import", "info")  # fills the token cache
    trace = home / f"trace-{uuid.uuid4().hex[:8]}.har"
    result = imgcli(devcloud, home, "--trace", str(trace), *args, data=data)
    sent = []
    for entry in json.loads(trace.read_text())["log"]["entries"]:
        url = urlsplit(entry["request"]["url"])
        path = url.path.removeprefix("/image") + (f"?{url.query}" if url.query else "")
        sent.append(f"{entry['request']['method']} {path} {entry['response']['status']}")
    return result, sent


def one_line(result: subprocess.CompletedProcess[bytes]) -> str:
    text = result.stderr.decode()
    assert text.count("\n") == 1, text
    return text.strip()


def sha512(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


# ------------------------------------------------------------------------------ up and down

def test_a_file_goes_up_and_comes_down_byte_identical(devcloud, home, scratch, tmp_path):
    disk = tmp_path / "disk.img"
    disk.write_bytes(DATA)
    name = scratch.name()
    made, sent = traced(devcloud, home, "image", "create", name, "--file", str(disk),
                        "-f", "json")
    assert made.returncode == 0, made.stderr
    shown = json.loads(made.stdout)
    scratch.adopt(shown["id"])
    assert made.stderr == b""
    assert (shown["status"], shown["size"]) == ("active", len(DATA))
    assert shown["properties"]["os_hash_value"] == sha512(DATA)
    # The PATCH records openstacksdk's checksums; its answer is the final record.
    assert sent == ["POST /v2/images 201", f"PUT /v2/images/{shown['id']}/file 204",
                    f"PATCH /v2/images/{shown['id']} 200"]

    out = tmp_path / "out.img"
    saved, sent = traced(devcloud, home, "image", "save", shown["id"], "--file", str(out))
    assert (saved.returncode, saved.stdout, saved.stderr) == (0, b"", b"")
    assert sent == [f"GET /v2/images/{shown['id']} 200",
                    f"GET /v2/images/{shown['id']}/file 200"]
    assert out.read_bytes() == DATA
    assert sorted(p.name for p in tmp_path.iterdir()) == ["disk.img", "out.img"]


def test_a_pipe_goes_up_and_comes_down_byte_identical(devcloud, home, scratch):
    made = imgcli(devcloud, home, "image", "create", scratch.name(), "-f", "value", "-c", "id",
                  "-c", "status", data=DATA)
    assert made.returncode == 0, made.stderr
    image_id, status = made.stdout.decode().split()
    scratch.adopt(image_id)
    assert status == "active" and scratch.get(image_id)["os_hash_value"] == sha512(DATA)
    saved = imgcli(devcloud, home, "image", "save", image_id)
    assert (saved.returncode, saved.stderr) == (0, b"") and saved.stdout == DATA


def test_an_empty_stdin_leaves_a_queued_image(devcloud, home, scratch):
    name = scratch.name()
    made = imgcli(devcloud, home, "image", "create", name, "-f", "value", "-c", "id",
                  "-c", "status")
    image_id, status = made.stdout.decode().split()
    scratch.adopt(image_id)
    assert status == "queued"
    refused = imgcli(devcloud, home, "image", "save", image_id, "--file", str(home / "q.img"))
    assert refused.returncode == 1
    assert one_line(refused) == f"image {image_id} has no data yet (status queued)"
    assert not (home / "q.img").exists()


def test_a_format_glance_refuses_leaves_no_image(devcloud, home, scratch, tmp_path):
    disk = tmp_path / "disk.img"
    disk.write_bytes(DATA)
    name = scratch.name()
    result = imgcli(devcloud, home, "image", "create", name, "--disk-format", "qcow2",
                    "--file", str(disk))
    assert result.returncode == 1
    line = one_line(result)
    assert "failed: 4" in line and "qcow2" in line, line
    assert line.endswith(" was deleted")
    assert scratch.by_name(name) == []


# ------------------------------------------------------------------------------ import

def test_stage_then_import_with_wait(devcloud, home, scratch, tmp_path):
    image = scratch.image()
    disk = tmp_path / "disk.img"
    disk.write_bytes(DATA)
    staged, sent = traced(devcloud, home, "image", "stage", image["id"], "--file", str(disk))
    assert (staged.returncode, staged.stdout, staged.stderr) == (0, b"", b"")
    assert sent == [f"PUT /v2/images/{image['id']}/stage 204"]
    assert scratch.get(image["id"])["status"] == "uploading"
    done, sent = traced(devcloud, home, "image", "import", image["id"], "--wait", "-f", "json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["status"] == "active" and shown["properties"]["os_hash_value"] == sha512(DATA)
    assert "os_glance_import_task" not in shown["properties"]
    assert sent[0] == f"POST /v2/images/{image['id']}/import 202"
    assert set(sent[1:]) == {f"GET /v2/images/{image['id']} 200"}


def test_import_without_wait_is_the_post_and_the_record(devcloud, home, scratch):
    image = scratch.image(DATA, stage=True)
    done, sent = traced(devcloud, home, "image", "import", image["id"], "-f", "json")
    assert done.returncode == 0, done.stderr
    assert sent == [f"POST /v2/images/{image['id']}/import 202",
                    f"GET /v2/images/{image['id']} 200"]
    # Glance sets `importing` from its task, a moment after the 202: any of the three.
    assert json.loads(done.stdout)["status"] in ("uploading", "importing", "active")


def test_create_with_import_waits_and_verifies(devcloud, home, scratch, tmp_path):
    disk = tmp_path / "disk.img"
    disk.write_bytes(DATA)
    made = imgcli(devcloud, home, "image", "create", scratch.name(), "--import", "--file",
                  str(disk), "-f", "json")
    assert made.returncode == 0, made.stderr
    shown = json.loads(made.stdout)
    scratch.adopt(shown["id"])
    assert made.stderr == b""
    assert shown["status"] == "active" and shown["properties"]["os_hash_value"] == sha512(DATA)


def test_web_download_with_wait(devcloud, home, scratch):
    image = scratch.image()
    url = scratch.publish(DATA)
    done = imgcli(devcloud, home, "image", "import", image["id"], "--method", "web-download",
                  "--uri", url, "--wait", "-f", "json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["status"] == "active" and shown["size"] == len(DATA)
    assert shown["properties"]["os_hash_value"] == sha512(DATA)


def test_a_failed_web_download_says_glances_reason(devcloud, home, scratch):
    image = scratch.image()
    missing = scratch.publish(b"x").rsplit("/", 1)[0] + f"/{scratch.name()}-missing.img"
    done = imgcli(devcloud, home, "image", "import", image["id"], "--method", "web-download",
                  "--uri", missing, "--wait")
    assert (done.returncode, done.stdout) == (1, b"")
    line = one_line(done)
    assert line.startswith(f"the import of image {image['id']} to fs failed (status queued): ")
    assert scratch.get(image["id"])["status"] == "queued"


def test_a_uri_glance_refuses_is_its_400_in_one_line(devcloud, home, scratch):
    image = scratch.image()
    done = imgcli(devcloud, home, "image", "import", image["id"], "--method", "web-download",
                  "--uri", "http://example.com/x.img")
    assert done.returncode == 1
    assert one_line(done).endswith("failed: 400 Bad Request: URI for web-download does not "
                                   "pass filtering: http://example.com/x.img")


def test_copy_image_to_the_second_store_with_wait(devcloud, home, scratch):
    image = scratch.image(DATA)
    done = imgcli(devcloud, home, "image", "import", image["id"], "--method", "copy-image",
                  "--store", "fs2", "--wait", "-f", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["properties"]["stores"] == "fs,fs2"
    again = imgcli(devcloud, home, "image", "save", image["id"], "--store-preference", "fs2")
    assert again.stdout == DATA


def test_import_info_is_openstackclients(devcloud, osc_bin, home):
    for args in ([], ["-f", "json"], ["-f", "value"]):
        osc, ours = run_pair(devcloud, osc_bin, home, "admin", ["image", "import", "info",
                                                                *args])
        assert (osc.code, ours.code) == (0, 0), ours.err
        assert ours.out == osc.out
    _, sent = traced(devcloud, home, "image", "import", "info")
    assert sent == ["GET /v2/info/import 200"]


def test_save_writes_the_bytes_openstackclient_writes(devcloud, osc_bin, home, scratch):
    image = scratch.image(DATA)
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
           **devcloud.admin_env}
    osc = subprocess.run([str(osc_bin / "openstack"), "image", "save", image["id"], "--file",
                          "osc.img"], env=env, cwd=home, stdin=subprocess.DEVNULL,
                         capture_output=True, timeout=180)
    ours = imgcli(devcloud, home, "image", "save", image["id"], "--file", "ours.img")
    assert (osc.returncode, ours.returncode) == (0, 0), ours.stderr
    assert (home / "ours.img").read_bytes() == (home / "osc.img").read_bytes() == DATA
