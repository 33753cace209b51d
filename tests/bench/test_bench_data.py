"""The image-data benchmark's harness: a download whose bytes are wrong, or an upload that
leaves Glance holding other bytes, is a failed run, never a time.

fakecloud's LoopbackGlance (the few calls the harness and the tools make, in a thread) serves one
source image; fake "tools" (Python scripts) download or upload it and then misbehave as told;
the real curl, sha512sum and hashlib rows run against the same server. No real cloud.
"""

from __future__ import annotations

import random
import re
import shutil
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks import data, run
from benchmarks.data import DOWNLOAD, HASH, UPLOAD, Contender
from fakecloud.data import LoopbackGlance

TOKEN = "bench-data-test-token"
SIZE = 2 * data.MIB + 777  # not a whole number of blocks
RUNS = 3


# The fake tools: each takes the cloud's URL and token, then does its job, then misbehaves
# as MODE says. "fail-every": exit 1 on every Nth call, warm-up included (the flattering
# case: a fast failure).
PRELUDE = """\
import hashlib, http.client, json, os, sys, urllib.parse
calls = int(open(COUNTER).read()) + 1 if os.path.exists(COUNTER) else 1
open(COUNTER, "w").write(str(calls))
if MODE == "fail-every" and calls % N == 0:
    sys.exit("boom")
url, token = sys.argv[1:3]
parts = urllib.parse.urlsplit(url)

def call(method, path, body=None, kind="application/json"):
    conn = http.client.HTTPConnection(parts.netloc)
    conn.request(method, parts.path + path, body=body,
                 headers={"X-Auth-Token": token, "Content-Type": kind})
    reply = conn.getresponse()
    return reply.read()
"""

DOWNLOADER = """\
image_id, out = sys.argv[3:5]
data = bytearray(call("GET", "/v2/images/" + image_id + "/file"))
if MODE == "flip":
    data[len(data) // 2] ^= 1
if MODE == "short":
    del data[-1:]
if MODE != "nothing":
    open(out, "wb").write(data)
"""

UPLOADER = """\
name, src = sys.argv[3:5]
def make():
    image = json.loads(call("POST", "/v2/images", json.dumps(
        {"name": name, "disk_format": "raw", "container_format": "bare"})))
    if MODE == "queued":
        return
    data = bytearray(open(src, "rb").read())
    if MODE == "flip":
        data[0] ^= 1
    call("PUT", "/v2/images/" + image["id"] + "/file", bytes(data), "application/octet-stream")
if MODE != "nothing":
    make()
if MODE == "twice":
    make()
"""

HASHER = "print(hashlib.sha512(b'other bytes').hexdigest(), sys.argv[3])\n"


def fake(tmp: Path, name: str, body: str, mode: str = "ok", n: int = 0) -> str:
    path = tmp / "bin" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"#!{sys.executable} -IS\nMODE, N, COUNTER = {mode!r}, {n}, "
                    f"{str(path) + '.calls'!r}\n" + PRELUDE + body)
    path.chmod(0o755)
    return str(path)


def downloader(tmp: Path, tool: str, mode: str = "ok", n: int = 0) -> Contender:
    exe = fake(tmp, f"down-{tool}-{mode}", DOWNLOADER, mode, n)
    return Contender(tool, DOWNLOAD, (exe, "{url}", "{token}", "{id}", "{out}"))


def uploader(tmp: Path, tool: str, mode: str = "ok", n: int = 0) -> Contender:
    """hides=False: the fake makes a visible image, as openstack and imgcli do."""
    exe = fake(tmp, f"up-{tool}-{mode}", UPLOADER, mode, n)
    return Contender(tool, UPLOAD, (exe, "{url}", "{token}", "{name}", "{src}"), hides=False)


def real(tool: str, case: str) -> Contender:
    return next(c for c in data.contenders() if (c.tool, c.case) == (tool, case))


needs_curl = pytest.mark.skipif(not shutil.which("curl") or not shutil.which("sha512sum"),
                                reason="curl and sha512sum run as themselves")


@pytest.fixture(scope="module")
def cloud() -> Iterator[LoopbackGlance]:
    """Glance's image calls, in memory: records, data (sha512 on PUT), hidden images."""
    with LoopbackGlance(token=TOKEN) as glance:
        yield glance


def make_bench(cloud: LoopbackGlance, tmp: Path, plan: list[Contender]) -> data.DataBench:
    glance = data.Glance(cloud.endpoint, lambda: TOKEN)
    source = tmp / "source.raw"
    digest = data.write_source(source, SIZE, seed=3)
    image_id = data.upload_source(glance, source, digest, "test")
    return data.DataBench(plan, glance, data.Data(source, SIZE, digest, image_id), tmp,
                          {"OS_AUTH_URL": "http://127.0.0.1:1/identity"},
                          {"python": sys.executable}, run.Launcher(tmp), "test")


@pytest.fixture(scope="module")
def mixed(cloud: LoopbackGlance, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One bench with every failure mode (each run is a process: one bench keeps it fast)."""
    tmp = tmp_path_factory.mktemp("mixed")
    plan = [
        downloader(tmp, "imgcli"),
        downloader(tmp, "openstack", "flip"),
        downloader(tmp, "glance", "short"),
        Contender("sha512sum", HASH, (fake(tmp, "hash", HASHER), "{url}", "{token}", "{src}")),
        uploader(tmp, "imgcli"),
        uploader(tmp, "openstack", "flip"),
        uploader(tmp, "glance", "fail-every", 3),
    ]
    if shutil.which("curl") and shutil.which("sha512sum"):
        plan += [real("curl -o", DOWNLOAD), real("curl -T", UPLOAD),
                 real("sha512 (hashlib)", HASH)]
    bench = make_bench(cloud, tmp, plan)
    try:
        bench.run(RUNS, random.Random(5))
    finally:
        bench.launcher.close()
        bench.cleanup()
    images = dict(cloud.images)
    bench.glance.delete(bench.data.image_id)
    lines = data.render_table(bench.rows, "2 MiB", {}, floor=1.0)
    cells = {(c[0], c[1]): c for c in
             ([x.strip() for x in line.strip("|").split(" | ")] for line in lines[2:])}
    return {"bench": bench, "cells": cells, "tmp": tmp,
            "images": images, "deleted": list(cloud.deleted)}


SECONDS = re.compile(r"\d+\.\d\d")


def assert_failed_without_a_figure(cells: list[str], failed: str, reason: str) -> None:
    assert cells[3] == failed
    assert not SECONDS.search(" | ".join(cells[4:9])), cells  # no range, ratio or RSS
    assert cells[4:9] == ["–"] * 5
    assert reason in cells[9]


def test_a_good_download_has_figures(mixed):
    cells = mixed["cells"]["imgcli", DOWNLOAD]
    assert SECONDS.fullmatch(cells[3]) and re.fullmatch(r"\d+\.\d\d–\d+\.\d\d", cells[4])
    assert re.fullmatch(r"\d+", cells[8])  # peak RSS, above the floor given


def test_a_download_with_one_byte_changed_fails_every_run(mixed):
    assert_failed_without_a_figure(
        mixed["cells"]["openstack", DOWNLOAD], f"{RUNS} of {RUNS} failed",
        f"{RUNS}× the bytes written do not hash to the image's os_hash_value")


def test_a_short_download_fails(mixed):
    assert_failed_without_a_figure(
        mixed["cells"]["glance", DOWNLOAD], f"{RUNS} of {RUNS} failed",
        f"{RUNS}× {SIZE - 1} bytes written, the image has {SIZE}")


def test_a_hash_that_prints_another_digest_fails(mixed):
    assert_failed_without_a_figure(mixed["cells"]["sha512sum", HASH],
                                   f"{RUNS} of {RUNS} failed", "printed another sha512")


def test_an_upload_that_leaves_a_wrong_hash_fails(mixed):
    assert_failed_without_a_figure(
        mixed["cells"]["openstack", UPLOAD], f"{RUNS} of {RUNS} failed",
        f"{RUNS}× Glance's sha512 of the image is not the file's")


def test_one_failed_upload_in_three_fails_the_row(mixed):
    # calls 1 (warm-up), 2, 3, 4: the third fails, the second timed run.
    assert_failed_without_a_figure(mixed["cells"]["glance", UPLOAD], f"1 of {RUNS} failed",
                                   "1× exit 1: boom")


def test_no_ratio_against_a_failed_row(mixed):
    cells = mixed["cells"]["imgcli", DOWNLOAD]
    assert cells[7] == "n/a"  # × openstack: its every run failed
    assert f"no ratio: openstack download: {RUNS} of {RUNS} failed" in cells[9]


@needs_curl
def test_curl_and_hash_rows_count_against_the_same_server(mixed):
    cells = mixed["cells"]
    for key in (("curl -o", DOWNLOAD), ("curl -T", UPLOAD), ("sha512 (hashlib)", HASH)):
        assert SECONDS.fullmatch(cells[key][3]), cells[key]
    assert cells["curl -o", DOWNLOAD][5] == "1.00×"
    assert re.fullmatch(r"\d+\.\d\d×", cells["imgcli", DOWNLOAD][5])  # × curl
    assert re.fullmatch(r"\d+\.\d\d×", cells["imgcli", DOWNLOAD][6])  # × max(curl, sha512)
    assert re.fullmatch(r"\d+\.\d\d×", cells["imgcli", UPLOAD][5])  # × curl -T
    assert cells["imgcli", UPLOAD][6] == ""  # no hash bound for an upload


def test_every_image_made_is_deleted_and_was_hidden(mixed):
    bench = mixed["bench"]
    assert list(mixed["images"]) == [bench.data.image_id]  # only the source is left
    made = [i for i in mixed["deleted"] if i["name"].startswith("bench-data-test-")]
    # per upload run: imgcli and curl -T 1 each, openstack 1, glance 1 (but not when it
    # failed before creating one), warm-ups included
    assert len(made) >= 3 * (RUNS + 1)
    assert all(i["os_hidden"] for i in made)  # the fakes made them visible: the harness hid


def test_no_download_is_left_to_be_resumed(mixed):
    assert not any((mixed["tmp"] / "out").iterdir())


# --- the checks and the table, without processes --------------------------------------------

@pytest.fixture
def source(tmp_path: Path) -> data.Data:
    path = tmp_path / "source.raw"
    return data.Data(path, SIZE, data.write_source(path, SIZE, seed=1), "id")


def test_the_source_is_the_same_for_a_seed_and_incompressible(source, tmp_path):
    again = tmp_path / "again.raw"
    assert data.write_source(again, SIZE, seed=1) == source.sha512 == data.sha512_of(again)
    assert data.write_source(again, SIZE, seed=2) != source.sha512
    raw = source.path.read_bytes()
    assert len(raw) == SIZE and len(zlib.compress(raw)) > 0.99 * SIZE


def test_check_file(source, tmp_path):
    out = tmp_path / "out"
    assert data.check_file(out, source) == "no file written"
    raw = bytearray(source.path.read_bytes())
    out.write_bytes(raw)
    assert data.check_file(out, source) is None
    raw[-1] ^= 0x80
    out.write_bytes(raw)
    assert data.check_file(out, source) == ("the bytes written do not hash to the image's "
                                            "os_hash_value")
    out.write_bytes(raw + b"x")
    assert data.check_file(out, source) == f"{SIZE + 1} bytes written, the image has {SIZE}"


def image(source: data.Data, **changes: Any) -> dict[str, Any]:
    return {"status": "active", "size": source.size, "os_hash_algo": "sha512",
            "os_hash_value": source.sha512, **changes}


@pytest.mark.parametrize(("images", "reason"), [
    ([{}], None),
    ([], "no image named n"),
    ([{}, {}], "2 images named n"),
    ([{"status": "queued"}], "image queued, not active"),
    ([{"size": 5}], f"Glance stored 5 bytes of {SIZE}"),
    ([{"os_hash_value": "0" * 128}], "Glance's sha512 of the image is not the file's"),
    ([{"os_hash_algo": "md5"}], "Glance's sha512 of the image is not the file's"),
], ids=["ok", "none", "two", "queued", "size", "hash", "algorithm"])
def test_check_image(source, images, reason):
    assert data.check_image([image(source, **i) for i in images], "n", source) == reason


def test_check_digest(source):
    assert data.check_digest(f"{source.sha512}  file\n".encode(), source) is None
    assert data.check_digest(source.sha512.upper().encode(), source) is None
    assert data.check_digest(b"", source) == "printed another sha512"
    assert data.check_digest(b"0" * 128, source) == "printed another sha512"


def test_fill_replaces_only_known_placeholders():
    values = {"id": "ID", "out": "/o"}
    assert data.fill("{url}/v2/images/{id}/file", values) == "{url}/v2/images/ID/file"
    assert data.fill("{'a': 1}", values) == "{'a': 1}"


def test_the_hashlib_row_hashes_as_it_says(source):
    code = next(c for c in data.contenders() if c.tool == "sha512 (hashlib)").argv[2]
    import subprocess

    out = subprocess.run([sys.executable, "-c", code, str(source.path)], capture_output=True,
                         check=True).stdout
    assert data.check_digest(out, source) is None


NAMES = {"save": ("imgcli", DOWNLOAD), "curl": ("curl -o", DOWNLOAD),
         "sha": ("sha512 (hashlib)", HASH), "osc": ("openstack", DOWNLOAD),
         "upload": ("imgcli", UPLOAD), "curl_t": ("curl -T", UPLOAD)}
GOOD = dict(save=(1.0, 1.1, 0.9), curl=(0.8,), sha=(0.9,), osc=(3.0,), upload=(3.5,),
            curl_t=(3.0,))


def keyed(**walls: tuple[float, ...] | str) -> dict[data.Key, run.Row]:
    """Rows keyed as the bench keys them: walls, or a failure's text (then 1 of 2 failed)."""
    made = {}
    for short, value in walls.items():
        tool, case = NAMES[short]
        samples = ([run.Sample(w, 40, 0) for w in value] if isinstance(value, tuple)
                   else [run.Sample(1, 40, 0), run.Sample(1, 40, 0, value)])
        made[tool, case] = run.Row(tool, case, None, "", samples)
    return made


def test_targets_give_each_figure_and_verdict():
    assert data.targets(keyed(**GOOD)) == [
        "- Memory, save: peak RSS ≤ 64 MiB: 40 MiB (highest of 3 runs) — met",
        "- Memory, upload: peak RSS ≤ 64 MiB: 40 MiB (highest of 1 run) — met",
        "- save within 1.3× of max(curl -o, sha512): 1.11× — met",
        "- save at least 2.5× faster than openstack: 3.00× faster (0.33× its time) — met",
        "- upload within 1.2× of curl -T: 1.17× — met",
    ]


def test_targets_not_met():
    lines = data.targets(keyed(**{**GOOD, "save": (2.0,), "curl_t": (2.0,)}))
    assert lines[2] == "- save within 1.3× of max(curl -o, sha512): 2.22× — **not met**"
    assert lines[3] == ("- save at least 2.5× faster than openstack: 1.50× faster "
                        "(0.67× its time) — **not met**")
    assert lines[4] == "- upload within 1.2× of curl -T: 1.75× — **not met**"


def test_a_failed_imgcli_run_meets_no_target():
    lines = data.targets(keyed(**{**GOOD, "save": "exit 1: boom"}))
    assert lines[0] == ("- Memory, save: peak RSS ≤ 64 MiB: no figure (imgcli download: "
                        "1 of 2 failed) — **not met**")
    assert lines[2] == ("- save within 1.3× of max(curl -o, sha512): no figure (imgcli "
                        "download: 1 of 2 failed) — **not met**")
    assert "no figure" in lines[3] and "1.2×" in lines[4] and "met" in lines[4]


def test_a_failed_bound_row_meets_no_target():
    lines = data.targets(keyed(**{**GOOD, "sha": "printed another sha512"}))
    assert lines[2] == ("- save within 1.3× of max(curl -o, sha512): no figure (sha512 "
                        "(hashlib) hash: 1 of 2 failed) — **not met**")


def test_ratio_to_several_rows_is_to_the_slowest_and_needs_them_all_valid():
    r = keyed(**GOOD)
    save, curl, sha = r["imgcli", DOWNLOAD], r["curl -o", DOWNLOAD], r["sha512 (hashlib)", HASH]
    assert run.ratio(save, curl, sha) == pytest.approx(1.0 / 0.9)
    assert run.ratio(save, curl) == pytest.approx(1.0 / 0.8)
    bad = keyed(sha="x")["sha512 (hashlib)", HASH]
    assert run.ratio(save, curl, bad) is None


def test_rss_at_the_launchers_floor_is_not_shown_as_the_tools():
    r = keyed(**GOOD)["curl -o", DOWNLOAD]
    assert data.rss_cell(r, floor=40.2) == "≤ 40"
    assert data.rss_cell(r, floor=20) == "40"


def test_skipped_rows_say_why_and_show_nothing():
    row = run.Row("imgcli", DOWNLOAD, None, "", skipped="this imgcli has no `image save` yet")
    cells = data.data_cells(row, {("imgcli", DOWNLOAD): row}, "256 MiB")
    assert cells[3:9] == ["–"] * 6 and cells[9] == "this imgcli has no `image save` yet"


def test_leftover_images_are_deleted_at_the_end(cloud, tmp_path):
    plan = [real("curl -T", UPLOAD)]
    bench = make_bench(cloud, tmp_path, plan)
    try:
        job = bench.job(plan[0])  # creates its image, then (say) the run never happens
        assert len(bench.glance.named(next(iter(bench.names)))) == 1 and job.argv
    finally:
        bench.launcher.close()
        bench.cleanup()
        bench.glance.delete(bench.data.image_id)
    assert not any(i["name"].startswith("bench-data-test-") for i in cloud.images.values())


def test_a_row_not_run_is_not_measured_rather_than_failed():
    made = keyed(**GOOD)
    del made["imgcli", UPLOAD]
    lines = data.targets(made)
    assert lines[1] == ("- Memory, upload: peak RSS ≤ 64 MiB: no figure (imgcli upload: "
                        "not run) — not measured")
    assert lines[4] == ("- upload within 1.2× of curl -T: no figure (imgcli upload: not run) "
                        "— not measured")


FAKE_IMGCLI = """\
#!/bin/sh
case "$*" in
  help) echo "  image list     List available images"; echo "  image save     Save an image";;
  "image create --help") echo "usage: imgcli image create [--id <id>] <image-name>";;
esac
"""


def test_imgcli_rows_wait_for_its_data_commands(tmp_path):
    imgcli = tmp_path / "imgcli"
    imgcli.write_text(FAKE_IMGCLI)
    imgcli.chmod(0o755)
    why = data.imgcli_not_ready(imgcli)
    assert why == {UPLOAD: "this imgcli's `image create` has no --file yet"}
    args = data.parse_args(["--skip", "glance@upload", "--skip", "openstack"])
    exes = {"imgcli": str(imgcli), "openstack": str(tmp_path / "nowhere" / "openstack"),
            "glance": sys.executable, "python": sys.executable}
    skipped = data.skips(args, exes, why, data.contenders())
    assert skipped["imgcli", UPLOAD] == why[UPLOAD] and ("imgcli", DOWNLOAD) not in skipped
    assert skipped["openstack", DOWNLOAD] == f"{exes['openstack']} not found"
    assert skipped["glance", UPLOAD] == "skipped (--skip)"
    assert ("glance", DOWNLOAD) not in skipped


def test_the_harness_tries_its_own_calls_again_after_a_500(cloud, monkeypatch):
    monkeypatch.setattr(data.Glance, "RETRIES", (0, 0))
    glance = data.Glance(cloud.endpoint, lambda: TOKEN)
    image_id = glance.create("bench-data-test-retry")["id"]
    try:
        cloud.fail_next["PATCH"] = 2
        glance.hide(image_id)  # the third try
        assert cloud.images[image_id]["os_hidden"] is True
        cloud.fail_next["PATCH"] = 3
        with pytest.raises(RuntimeError, match="500"):
            glance.hide(image_id)
    finally:
        cloud.fail_next.clear()
        glance.delete(image_id)


def test_an_upload_that_cannot_be_checked_does_not_count(cloud, tmp_path, monkeypatch):
    monkeypatch.setattr(data.Glance, "RETRIES", (0,))
    plan = [uploader(tmp_path, "imgcli")]
    bench = make_bench(cloud, tmp_path, plan)
    try:
        job = bench.job(plan[0])
        cloud.fail_next["GET"] = 2
        assert job.check(b"").startswith("not checked: GET /v2/images?")
    finally:
        cloud.fail_next.clear()
        bench.launcher.close()
        bench.cleanup()
        bench.glance.delete(bench.data.image_id)
