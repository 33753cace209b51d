"""Images across clouds on devcloud's real Keystones and Glances: `image copy` streamed from
devcloud to devcloud2 byte for byte, glance-download between devcloud's two regions,
--if-absent, `image sync` with a conflict and --dry-run, and `image list` on two clouds while
one of them is down (a clouds.yaml entry pointing at a closed port: the shared cloud is never
stopped).

Scratch images are named `it-copy-<random>`, made hidden through the API (their copies keep
os_hidden), and deleted at the end in every cloud and region they were made in.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

cloud = sys.modules["devcloud_cloud"]  # loaded by conftest.py

DATA = os.urandom(5 << 20) + b"the end"  # 5 MiB and a bit: several blocks, the last short
SOURCE, TARGET, REGION2 = "devcloud", "devcloud2", "RegionTwo"
JSON_PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}
Place = tuple[str, str]  # (cloud, region)


class Images:
    """Hidden scratch images in several clouds and regions, through Glance's API."""

    def __init__(self) -> None:
        self.prefix = f"it-copy-{uuid.uuid4().hex[:8]}"
        self.made: list[tuple[Place, str]] = []
        self.tokens: dict[str, str] = {}

    def api(self, place: Place, method: str, path: str, **kwargs: Any) -> requests.Response:
        name, region = place
        if name not in self.tokens:
            self.tokens[name] = cloud.token("admin", name)
        headers = {"X-Auth-Token": self.tokens[name], **kwargs.pop("headers", {})}
        return requests.request(method, f"{cloud.glance_url(region, name)}/v2/{path}",
                                headers=headers, timeout=120, **kwargs)

    def image(self, place: Place, data: bytes | None = DATA, **body: Any) -> dict[str, Any]:
        body = {"name": f"{self.prefix}-{uuid.uuid4().hex[:6]}", "disk_format": "raw",
                "container_format": "bare", "os_hidden": True, **body}
        made = self.api(place, "POST", "images", json=body)
        assert made.status_code == 201, made.text
        image_id = made.json()["id"]
        self.made.append((place, image_id))
        if data is not None:
            put = self.api(place, "PUT", f"images/{image_id}/file", data=data,
                           headers={"Content-Type": "application/octet-stream"})
            assert put.status_code == 204, put.text
        return self.get(place, image_id)

    def get(self, place: Place, image_id: str) -> dict[str, Any]:
        found = self.api(place, "GET", f"images/{image_id}")
        assert found.status_code == 200, found.text
        return found.json()

    def data(self, place: Place, image_id: str) -> bytes:
        return self.api(place, "GET", f"images/{image_id}/file").content

    def named(self, place: Place, name: str) -> list[dict[str, Any]]:
        """Every image of that name, hidden or not; each adopted for deletion."""
        found = []
        for hidden in ("true", "false"):
            reply = self.api(place, "GET", "images", params={"name": name, "os_hidden": hidden})
            found += reply.json()["images"]
        for image in found:
            if (place, image["id"]) not in self.made:
                self.made.append((place, image["id"]))
        return found

    def sweep(self) -> None:
        """Adopt every image named with this run's prefix, in every cloud and region: those
        a command made that a failed assertion left unadopted (copies keep the name)."""
        for place in ((SOURCE, "RegionOne"), (SOURCE, REGION2), (TARGET, "RegionOne")):
            for hidden in ("true", "false"):
                reply = self.api(place, "GET", "images", params={"os_hidden": hidden,
                                                                 "limit": "1000"})
                for image in reply.json().get("images", []):
                    if str(image.get("name")).startswith(self.prefix) and \
                            (place, image["id"]) not in self.made:
                        self.made.append((place, image["id"]))

    def delete_all(self) -> None:
        self.sweep()
        left = []
        for place, image_id in self.made:
            deadline = time.monotonic() + 60
            # Glance answers 409 while an import still holds the image, and devcloud's
            # SQLite 500 while another writer has it: try again before giving up.
            while ((status := self.api(place, "DELETE", f"images/{image_id}").status_code)
                   in (409,) or status >= 500) and time.monotonic() < deadline:
                time.sleep(0.5)
            if status not in (204, 404):
                left.append(f"{place} {image_id}: {status}")
        assert not left, f"scratch images not deleted: {left}"


@pytest.fixture
def images(devcloud: Any) -> Iterator[Images]:
    made = Images()
    try:
        yield made
    finally:
        made.delete_all()


def imgcli(tmp_path: Path, *args: str, clouds: Path | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path),
           "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "OS_CLIENT_CONFIG_FILE": str(clouds or cloud.clouds_yaml_path())}
    return subprocess.run([sys.executable, "-m", "imgcli", *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_stream_copy_between_clouds_is_byte_identical(images, tmp_path):
    source = images.image((SOURCE, "RegionOne"), tags=["it-gold"], hw_disk_bus="scsi",
                          min_ram=64)
    shown = json.loads(ok(imgcli(tmp_path, "--os-cloud", SOURCE, "image", "copy",
                                 source["id"], "--to-cloud", TARGET, "-f", "json")))
    target = (TARGET, "RegionOne")
    images.made.append((target, shown["id"]))
    assert shown["id"] != source["id"]
    copied = images.get(target, shown["id"])
    assert (copied["name"], copied["tags"], copied["min_ram"], copied["hw_disk_bus"]) == \
        (source["name"], ["it-gold"], 64, "scsi")
    assert copied["os_hash_value"] == source["os_hash_value"] and copied["os_hidden"] is True
    assert copied["owner"] != source["owner"]  # the target's own project, not the source's
    assert images.data(target, shown["id"]) == DATA


def test_glance_download_between_the_two_regions(images, tmp_path):
    source = images.image((SOURCE, "RegionOne"))
    trace = tmp_path / "copy.har"
    shown = json.loads(ok(imgcli(tmp_path, "--os-cloud", SOURCE, "--trace", str(trace),
                                 "image", "copy", source["id"], "--to-region", REGION2,
                                 "-f", "json")))
    target = (SOURCE, REGION2)
    images.made.append((target, shown["id"]))
    starts = [entry for entry in json.loads(trace.read_text())["log"]["entries"]
              if entry["request"]["method"] == "POST"
              and entry["request"]["url"].endswith("/import")]
    assert json.loads(starts[0]["request"]["postData"]["text"])["method"] == {
        "name": "glance-download", "glance_region": "RegionOne",
        "glance_image_id": source["id"], "glance_service_interface": "public"}
    assert images.data(target, shown["id"]) == DATA
    assert shown["properties"]["os_hash_value"] == source["os_hash_value"]


def test_if_absent_copies_once(images, tmp_path):
    source = images.image((SOURCE, "RegionOne"))
    args = ("--os-cloud", SOURCE, "image", "copy", source["id"], "--to-cloud", TARGET,
            "--if-absent", "-f", "value", "-c", "id")
    first = ok(imgcli(tmp_path, *args)).strip()
    again = imgcli(tmp_path, *args)
    assert ok(again).strip() == first and "nothing copied" in again.stderr
    assert [image["id"] for image in images.named((TARGET, "RegionOne"), source["name"])] == \
        [first]


def test_sync_copies_skips_and_reports_a_conflict_and_dry_run_changes_nothing(images,
                                                                           tmp_path):
    tag = f"{images.prefix}-sync"
    src, dst = (SOURCE, "RegionOne"), (TARGET, "RegionOne")
    fresh = images.image(src, tags=[tag])
    same = images.image(src, DATA[:4096], tags=[tag])
    clash = images.image(src, DATA[:8192], tags=[tag])
    images.image(dst, DATA[:4096], name=same["name"])
    images.image(dst, b"other data", name=clash["name"])
    args = ("--os-cloud", SOURCE, "image", "sync", "--to-cloud", TARGET, "--tag", tag,
            "--hidden", "-f", "json")
    planned = {row["Name"]: row["Action"] for row in json.loads(ok(imgcli(tmp_path, *args,
                                                                          "--dry-run")))}
    assert planned == {fresh["name"]: "copy", same["name"]: "skip", clash["name"]: "conflict"}
    assert images.named(dst, fresh["name"]) == []  # the dry run made nothing
    done = {row["Name"]: row for row in json.loads(ok(imgcli(tmp_path, *args)))}
    assert {name: row["Action"] for name, row in done.items()} == planned
    copied = images.named(dst, fresh["name"])
    assert [image["id"] for image in copied] == [done[fresh["name"]]["Target ID"]]
    assert images.data(dst, copied[0]["id"]) == DATA
    assert [image["size"] for image in images.named(dst, clash["name"])] == [10]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_clouds_listed_while_one_is_down(devcloud, tmp_path):
    doc = yaml.safe_load(cloud.clouds_yaml_path().read_text())
    down = dict(doc["clouds"][TARGET])
    down["auth"] = {**down["auth"], "auth_url": f"http://127.0.0.1:{closed_port()}/identity"}
    doc["clouds"]["down"] = down
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump(doc))
    before = listing(tmp_path, SOURCE, "RegionOne", clouds)
    both = imgcli(tmp_path, "--os-cloud", SOURCE, "--os-cloud", "down", "image", "list",
                  "-f", "json", clouds=clouds)
    assert both.returncode == 1
    assert both.stderr.startswith("down RegionOne: cannot connect to http://127.0.0.1:")
    assert both.stderr.count("\n") == 1
    rows = json.loads(both.stdout)
    assert {row["Cloud"] for row in rows} == {SOURCE}
    alone = listing(tmp_path, SOURCE, "RegionOne", clouds)
    assert_listed({row["ID"] for row in rows}, before, alone)


def listing(tmp_path: Path, name: str, region: str, clouds: Path | None = None) -> set[str]:
    rows = json.loads(ok(imgcli(tmp_path, "--os-cloud", name, "--os-region-name", region,
                                "image", "list", "-f", "json", clouds=clouds)))
    return {row["ID"] for row in rows}


def assert_listed(found: set[str], before: set[str], after: set[str]) -> None:
    """`found` is what a cloud listed between `before` and `after`: other work on the shared
    cloud may add or delete its own images meanwhile, never the ones in both listings."""
    assert before & after <= found <= before | after
    assert before & after  # the seeded images, at least


def test_both_clouds_and_every_region_in_one_list(devcloud, tmp_path):
    places = [(SOURCE, "RegionOne"), (SOURCE, REGION2), (TARGET, "RegionOne")]
    before = {place: listing(tmp_path, *place) for place in places}
    rows = json.loads(ok(imgcli(tmp_path, "--os-cloud", SOURCE, "--os-cloud", TARGET,
                                "--all-regions", "image", "list", "-f", "json")))
    assert list(dict.fromkeys((row["Cloud"], row["Region"]) for row in rows)) == places
    for place in places:
        found = {row["ID"] for row in rows if (row["Cloud"], row["Region"]) == place}
        assert_listed(found, before[place], listing(tmp_path, *place))
