"""`image stage`, `image import` (with --wait) and `image import info` against a model of
Glance's import API (requests-mock): the requests, the bodies, the waiting, and bad input
refused before anything is sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import imgcli.transfer.importing as importing
from tests.unit.fake_image_data import DataGlance, install_data

DATA = b"\x00staged image data\xff" * 70000  # 1.3 MiB
NAME_LIKE_ID = "0a1b2c3d-0000-4000-8000-000000000001"


@pytest.fixture
def glance(seed_cloud: Any) -> DataGlance:
    return install_data(seed_cloud.mock, seed_cloud.images)


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits --wait would make, recorded instead of slept, on a clock they advance."""
    slept: list[float] = []

    class Time:
        @staticmethod
        def monotonic() -> float:
            return 1000.0 + sum(slept)

        @staticmethod
        def sleep(seconds: float) -> None:
            slept.append(seconds)

    monkeypatch.setattr(importing, "time", Time)
    return slept


@pytest.fixture
def disk(tmp_path: Path) -> Path:
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    return path


# ------------------------------------------------------------------------------ import info

def test_import_info_is_openstackclients_record(glance, run):
    table = run(["image", "import", "info"])
    assert table.out == (
        "+----------------+-----------------------------------------+\n"
        "| Field          | Value                                   |\n"
        "+----------------+-----------------------------------------+\n"
        "| import-methods | copy-image, glance-direct, web-download |\n"
        "+----------------+-----------------------------------------+\n")
    as_json = run(["image", "import", "info", "-f", "json"])
    assert json.loads(as_json.out) == {"import-methods": ["glance-direct", "web-download",
                                                          "copy-image"]}
    assert glance.sent == ["GET /v2/info/import"] * 2


# ------------------------------------------------------------------------------ stage

def test_stage_by_id_is_one_put_of_the_file(glance, run, disk):
    image = glance.add()
    result = run(["image", "stage", "--file", str(disk), image["id"]])
    assert (result.code, result.out, result.err) == (0, "", "")
    assert glance.sent == [f"PUT /v2/images/{image['id']}/stage"]
    put = glance.mock.last_request
    assert put.headers["Content-Type"] == "application/octet-stream"
    assert put.headers["Content-Length"] == str(len(DATA))
    assert glance.staged[image["id"]] == DATA and image["status"] == "uploading"


def test_stage_by_name_looks_it_up_first(glance, run, disk):
    image = glance.add(name="it-stage")
    assert run(["image", "stage", "it-stage", "--file", str(disk)]).code == 0
    assert glance.sent == ["GET /v2/images?name=it-stage",
                           f"PUT /v2/images/{image['id']}/stage"]


def test_stage_to_an_id_that_is_not_found_sends_the_data_once(glance, run, disk):
    """An image named like the ID is not that ID: the data goes nowhere else."""
    image = glance.add(name=NAME_LIKE_ID)
    result = run(["image", "stage", NAME_LIKE_ID, "--file", str(disk)])
    assert (result.code, result.err) == (1, f"no image with ID '{NAME_LIKE_ID}'\n")
    assert glance.sent == [f"PUT /v2/images/{NAME_LIKE_ID}/stage"]
    assert image["id"] not in glance.staged


def test_stage_refused_by_glance_is_one_line(glance, run, disk):
    image = glance.add(DATA)  # active: Glance refuses to stage
    result = run(["image", "stage", image["id"], "--file", str(disk)])
    assert result.code == 1
    assert result.err.startswith("PUT http://") and "409 Conflict: Image status transition " \
        "from active to saving is not allowed" in result.err
    assert result.err.count("\n") == 1


@pytest.mark.parametrize("args, message", [
    (["--file", "{tmp}/missing.img"], "--file {tmp}/missing.img: no such file; check the path"),
    (["--file", "{tmp}"], "--file {tmp} is a directory; give the path of an image file"),
    (["--file", "{tmp}/empty.img"], "--file {tmp}/empty.img: {tmp}/empty.img is empty; "
                                    "nothing to stage"),
    ([], "no image data: give --file PATH or --url URL, or pipe the data in"),
    (["--file", "{tmp}/disk.img", "--size", "5"],
     "--size 5 but {tmp}/disk.img holds 1330000 bytes"),
    (["--size", "5"], "--size requires image data via --file, --url or stdin"),
    (["--size", "0"], "argument --size: Size must be a positive integer"),
])
def test_stage_bad_input_is_refused_before_any_request(glance, run, disk, tmp_path, args,
                                                       message):
    (tmp_path / "empty.img").write_bytes(b"")
    image = glance.add()
    result = run(["image", "stage", image["id"], *(a.format(tmp=tmp_path) for a in args)])
    assert result.code == 2
    assert message.format(tmp=tmp_path) in result.err and result.err.count("\n") == 1
    assert glance.sent == []


# ------------------------------------------------------------------------------ import

def staged(glance: DataGlance, **body: Any) -> dict[str, Any]:
    image = glance.add(**body)
    glance.staged[image["id"]] = DATA
    image.update(status="uploading", size=len(DATA))
    return image


def test_import_by_id_is_the_post_and_the_record(glance, run):
    image = staged(glance)
    result = run(["image", "import", image["id"], "-f", "json"])
    assert result.code == 0, result.err
    assert glance.sent == [f"POST /v2/images/{image['id']}/import",
                           f"GET /v2/images/{image['id']}"]
    assert glance.bodies("POST")[-1] == {"method": {"name": "glance-direct"}}
    assert json.loads(result.out)["status"] == "importing"  # not the record from before


def test_wait_polls_until_the_lock_is_gone(glance, run, no_sleep):
    image = staged(glance)
    result = run(["image", "import", image["id"], "--wait", "-f", "json"])
    assert result.code == 0, result.err
    shown = json.loads(result.out)
    assert shown["status"] == "active" and shown["size"] == len(DATA)
    assert "os_glance_import_task" not in shown["properties"]
    # importing, active with the lock still held, then the lock gone: three GETs.
    assert glance.sent[1:] == [f"GET /v2/images/{image['id']}"] * 3
    assert no_sleep == [0.25, 0.375] and result.err == ""


def test_wait_on_a_failed_import_says_glances_reason(glance, run, no_sleep):
    image = glance.add()
    result = run(["image", "import", image["id"], "--method", "web-download",
                  "--uri", "http://files/missing.img", "--wait"])
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"the import of image {image['id']} to fs failed (status queued): "
                          "Task failed due to Internal Error\n")
    assert glance.sent[-1] == f"GET /v2/images/{image['id']}/tasks"


def test_web_download_sends_the_uri(glance, run, no_sleep):
    image = glance.add()
    glance.published["http://files/disk.img"] = DATA
    result = run(["image", "import", image["id"], "--method", "web-download",
                  "--uri", "http://files/disk.img", "--wait", "-f", "value", "-c", "status"])
    assert (result.code, result.out) == (0, "active\n")
    assert glance.bodies("POST")[-1] == {"method": {"name": "web-download",
                                                    "uri": "http://files/disk.img"}}
    assert glance.data[image["id"]] == DATA


def test_a_uri_glance_refuses_is_its_one_line(glance, run):
    image = glance.add()
    result = run(["image", "import", image["id"], "--method", "web-download",
                  "--uri", "http://example.com/x.img"])
    assert result.code == 1
    assert result.err.endswith("failed: 400 Bad Request: URI for web-download does not pass "
                               "filtering: http://example.com/x.img\n")


def test_copy_image_waits_for_its_stores(glance, run, no_sleep):
    image = glance.add(DATA)
    result = run(["image", "import", image["id"], "--method", "copy-image", "--store", "fs2",
                  "--wait", "-f", "json"])
    assert result.code == 0, result.err
    assert json.loads(result.out)["properties"]["stores"] == "fs,fs2"
    assert glance.bodies("POST")[-1] == {"method": {"name": "copy-image"}, "all_stores": False,
                                         "all_stores_must_succeed": False, "stores": ["fs2"]}


def test_a_failed_copy_names_the_store_and_where_the_data_still_is(glance, run, no_sleep):
    image = glance.add(DATA)
    glance.fail_import = "Store fs2 is full"
    result = run(["image", "import", image["id"], "--method", "copy-image", "--store", "fs2",
                  "--wait"])
    assert result.code == 1
    assert result.err == (f"the import of image {image['id']} to fs2 failed (status active, "
                          "its data is in fs): Store fs2 is full\n")


def test_store_repeated_keeps_every_store_and_disallow_failure_is_sent(glance, run):
    image = glance.add(DATA)
    run(["image", "import", image["id"], "--method", "copy-image", "--store", "fs",
         "--store", "fs2", "--disallow-failure"])
    assert glance.bodies("POST")[-1] == {"method": {"name": "copy-image"}, "all_stores": False,
                                         "all_stores_must_succeed": True,
                                         "stores": ["fs", "fs2"]}
    run(["image", "import", image["id"], "--method", "copy-image", "--all-stores"])
    assert glance.bodies("POST")[-1] == {"method": {"name": "copy-image"}, "all_stores": True,
                                         "all_stores_must_succeed": False}


def test_wait_past_timeout_says_the_import_goes_on(glance, run, no_sleep):
    image = staged(glance)
    glance.keep_importing = True
    result = run(["--timeout", "10", "image", "import", image["id"], "--wait"])
    assert (result.code, result.out) == (1, "")
    assert result.err.startswith(f"image {image['id']} is still importing after ")
    assert result.err.endswith(f"(status importing); the import goes on in Glance: check it "
                               f"with `imgcli image show {image['id']}`, or wait longer with "
                               "--timeout SECONDS\n")
    assert sum(no_sleep) == pytest.approx(10)  # the last poll is at the deadline


def test_a_method_the_cloud_has_not_enabled_lists_those_it_has(glance, run):
    image = glance.add(DATA)
    glance.methods = ["glance-direct", "web-download"]
    result = run(["image", "import", image["id"], "--method", "copy-image", "--all-stores"])
    assert result.code == 1
    assert result.err == ("this cloud does not enable the import method 'copy-image'; it "
                          "enables: glance-direct, web-download\n")
    assert glance.sent == [f"POST /v2/images/{image['id']}/import", "GET /v2/info/import"]


def test_glance_direct_before_staging_says_to_stage(glance, run):
    image = glance.add()
    result = run(["image", "import", image["id"]])
    assert result.code == 1
    assert result.err.endswith("409 Conflict: Image needs to be staged before 'glance-direct' "
                               "method can be used: stage its data first with `imgcli image "
                               f"stage --file PATH {image['id']}`\n")


@pytest.mark.parametrize("args, message", [
    (["--method", "web-download"], "--method web-download needs --uri"),
    (["--method", "web-download", "--uri", "files/x"], "--uri 'files/x' is not a URL"),
    (["--uri", "http://files/x"], "--uri is only for --method web-download"),
    (["--method", "copy-image"], "--method copy-image needs --store STORE or --all-stores"),
    (["--method", "glance-download", "--remote-image", "x", "--remote-region", "r"],
     "--method glance-download (from another region's Glance) is not supported by imgcli"),
    (["--remote-region", "r"], "--remote-region is only for --method glance-download"),
    (["--store", "fs", "--all-stores"], "argument --all-stores: not allowed with argument "
                                        "--store"),
    (["--method", "nope"], "argument --method: invalid choice: 'nope'"),
])
def test_import_bad_input_is_refused_before_any_request(glance, run, args, message):
    image = glance.add()
    result = run(["image", "import", image["id"], *args])
    assert result.code == 2
    assert message in result.err and result.err.count("\n") == 1
    assert glance.sent == []


def test_import_of_an_unknown_image_is_one_line(glance, run):
    result = run(["image", "import", "no-such-image"])
    assert (result.code, result.err) == (1, "no image named or with ID 'no-such-image'\n")
