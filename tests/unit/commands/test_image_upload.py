"""`image create` with image data (--file, --file -, piped stdin, --import) against a model of
Glance (requests-mock): the requests, the bytes and hash sent, the final record printed, and
the half-made image deleted, and said so, whenever the data did not arrive whole."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import imgcli.transfer.importing as importing
from tests.unit.fake_glance import ROOT
from tests.unit.fake_image_data import DataGlance, install_data

DATA = bytes(range(251)) * 9000  # 2.2 MiB, not a multiple of the 1 MiB block


@pytest.fixture
def glance(seed_cloud: Any) -> DataGlance:
    return install_data(seed_cloud.mock, seed_cloud.images)


@pytest.fixture
def disk(tmp_path: Path) -> Path:
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    return path


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing.time, "sleep", lambda seconds: None)


def piped_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """stdin as a real pipe that a thread fills with `data`, then closes."""
    read_fd, write_fd = os.pipe()

    def fill() -> None:
        with open(write_fd, "wb") as writer:
            writer.write(data)

    threading.Thread(target=fill, daemon=True).start()
    monkeypatch.setattr(sys, "stdin", open(read_fd, encoding="utf-8"))  # noqa: SIM115


def new_image(glance: DataGlance) -> dict[str, Any]:
    return glance.glance.images[-1]


def test_create_with_a_file_is_post_put_patch_and_prints_the_final_record(glance, run, disk):
    result = run(["image", "create", "it-up", "--file", str(disk), "-f", "json"])
    assert (result.code, result.err) == (0, "")
    image = new_image(glance)
    # The PATCH records openstacksdk's checksums; its answer is the final record.
    assert glance.sent == ["POST /v2/images", f"PUT /v2/images/{image['id']}/file",
                           f"PATCH /v2/images/{image['id']}"]
    put = glance.mock.request_history[-2]
    assert put.headers["Content-Length"] == str(len(DATA))
    assert "Transfer-Encoding" not in put.headers
    assert glance.data[image["id"]] == DATA
    # The ID is chosen before the POST, so that an interrupt knows what to delete.
    assert glance.bodies("POST") == [{"name": "it-up", "container_format": "bare",
                                      "disk_format": "raw", "id": image["id"]}]
    shown = json.loads(result.out)
    assert (shown["status"], shown["size"]) == ("active", len(DATA))
    assert shown["properties"]["os_hash_value"] == hashlib.sha512(DATA).hexdigest()


def test_piped_stdin_is_uploaded_chunked(glance, run, monkeypatch):
    piped_stdin(monkeypatch, DATA)
    result = run(["image", "create", "it-pipe", "-f", "value", "-c", "status"])
    assert (result.code, result.out) == (0, "active\n"), result.err
    put = glance.mock.request_history[-2]
    assert put.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in put.headers
    assert glance.data[new_image(glance)["id"]] == DATA


def test_an_empty_stdin_uploads_nothing_and_leaves_the_image_queued(glance, run, monkeypatch):
    piped_stdin(monkeypatch, b"")
    result = run(["image", "create", "it-empty", "-f", "value", "-c", "status"])
    assert (result.code, result.out) == (0, "queued\n")
    assert glance.sent == ["POST /v2/images"]


def test_stdin_in_an_interactive_session_holds_commands_not_data(monkeypatch):
    from imgcli.commands.image.data import open_data

    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"image list\n")
    os.close(write_fd)
    with open(read_fd, encoding="utf-8") as stdin:
        args = SimpleNamespace(filename=None, size=None)
        assert open_data(SimpleNamespace(interactive_mode=True, stdin=stdin), args, "") is None
        source = open_data(SimpleNamespace(interactive_mode=False, stdin=stdin), args, "")
        assert source is not None and bytes(source.first) == b"image list\n"


@pytest.mark.parametrize("args, message", [
    (["--file", "{tmp}/missing.img"], "--file {tmp}/missing.img: no such file; check the path"),
    (["--file", "{tmp}"], "--file {tmp} is a directory; give the path of an image file"),
    (["--file", "{tmp}/empty.img"], "--file {tmp}/empty.img: {tmp}/empty.img is empty; Glance "
                                    "would make an active image with no data; nothing was "
                                    "created"),
    (["--import"], "--import needs image data: give --file PATH or --url URL, or pipe it in"),
    (["--file", "{tmp}/disk.img", "--size", "7"],
     f"--size 7 but {{tmp}}/disk.img holds {len(DATA)} bytes"),
    (["--size", "7"], "--size requires image data via --file, --url or stdin"),
    (["--file", "{tmp}/disk.img", "--disk-format", "qcow3"],
     "argument --disk-format: invalid choice: 'qcow3'"),
])
def test_bad_input_creates_nothing(glance, run, disk, tmp_path, args, message):
    (tmp_path / "empty.img").write_bytes(b"")
    result = run(["image", "create", "it-bad", *(a.format(tmp=tmp_path) for a in args)])
    assert (result.code, result.out) == (2, "")
    assert message.format(tmp=tmp_path) in result.err and result.err.count("\n") == 1
    assert glance.sent == []


def test_file_dash_with_nothing_piped_creates_nothing(glance, run, monkeypatch):
    piped_stdin(monkeypatch, b"")
    result = run(["image", "create", "it-dash", "--file", "-"])
    assert (result.code, result.err) == (2, "--file -: stdin is empty; Glance would make an "
                                            "active image with no data; nothing was created\n")
    assert glance.sent == []


def test_a_hash_that_differs_deletes_the_image_and_says_so(glance, run, disk):
    glance.wrong_hash = True
    result = run(["image", "create", "it-hash", "--file", str(disk)])
    image_id = glance.sent[1].split("/")[3]
    assert (result.code, result.out) == (1, "")
    assert result.err.startswith("Glance's sha512 of the image data is ")
    assert f"but the data sent hashes to {hashlib.sha512(DATA).hexdigest()[:12]}…" in result.err
    assert result.err.endswith(f"; the half-made image {image_id} was deleted\n")
    assert result.err.count("\n") == 1
    assert glance.sent[-1] == f"DELETE /v2/images/{image_id}"
    assert glance.glance.by_id(image_id) is None


@pytest.mark.parametrize("status, message", [
    (500, "500 Internal Server Error: Internal Server Error"),
    (415, "415 Unsupported Media Type: Image disk_format qcow2 does not match stream data raw"),
    (413, "413 Request Entity Too Large: Image exceeds the storage quota"),
])
def test_glances_refusal_of_the_data_deletes_the_image(glance, run, disk, status, message):
    glance.put_status = status
    glance.put_message = message.split(": ", 1)[1]
    result = run(["image", "create", "it-refused", "--file", str(disk)])
    image_id = glance.sent[1].split("/")[3]
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"PUT {ROOT}images/{image_id}/file failed: {message}; the half-made "
                          f"image {image_id} was deleted\n")
    assert glance.sent == ["POST /v2/images", f"PUT /v2/images/{image_id}/file",
                           f"DELETE /v2/images/{image_id}"]


def test_a_protected_half_made_image_is_unprotected_then_deleted(glance, run, disk):
    glance.put_status = 500
    result = run(["image", "create", "it-prot", "--protected", "--file", str(disk)])
    image_id = glance.sent[1].split("/")[3]
    assert result.code == 1 and "was deleted" in result.err
    assert glance.sent[-2:] == [f"PATCH /v2/images/{image_id}", f"DELETE /v2/images/{image_id}"]
    assert glance.glance.by_id(image_id) is None


def test_a_delete_that_fails_too_says_how_to_finish_it(glance, run, disk):
    glance.put_status = 500
    glance.mock.delete(re.compile(re.escape(ROOT) + r"images/[^/?]+$"), status_code=500,
                       text="database is locked")
    result = run(["image", "create", "it-stuck", "--file", str(disk)])
    image_id = glance.sent[1].split("/")[3]
    assert result.code == 1
    assert result.err.startswith(f"PUT {ROOT}images/{image_id}/file failed: 500 ")
    assert f"; deleting the half-made image {image_id} failed too (DELETE " in result.err
    assert result.err.endswith(f"): delete it with `imgcli image delete {image_id}`\n")


def test_import_stages_imports_and_waits_for_the_final_record(glance, run, disk, no_sleep):
    result = run(["image", "create", "it-imp", "--import", "--file", str(disk), "-f", "json"])
    assert (result.code, result.err) == (0, "")
    image_id = json.loads(result.out)["id"]
    assert glance.sent[:3] == ["POST /v2/images", f"PUT /v2/images/{image_id}/stage",
                               f"POST /v2/images/{image_id}/import"]
    assert set(glance.sent[3:-1]) == {f"GET /v2/images/{image_id}"}
    assert glance.sent[-1] == f"PATCH /v2/images/{image_id}"
    assert glance.bodies("POST")[-1] == {"method": {"name": "glance-direct"}}
    assert json.loads(result.out)["status"] == "active" and glance.data[image_id] == DATA


def test_a_failed_import_deletes_the_image_with_glances_reason(glance, run, disk, no_sleep):
    glance.fail_import = "Image disk_format qcow2 does not match the data"
    result = run(["image", "create", "it-impfail", "--import", "--file", str(disk)])
    image_id = glance.sent[1].split("/")[3]
    assert result.code == 1
    assert result.err == (f"the import of image {image_id} to fs failed (status queued): Image "
                          "disk_format qcow2 does not match the data; the half-made image "
                          f"{image_id} was deleted\n")
    assert glance.sent[-1] == f"DELETE /v2/images/{image_id}"


def test_size_is_sent_for_piped_data_and_checked(glance, run, monkeypatch):
    piped_stdin(monkeypatch, DATA)
    result = run(["image", "create", "it-size", "--size", str(len(DATA)), "-c", "status",
                  "-f", "value"])
    assert result.out == "active\n"
    assert glance.mock.request_history[-2].headers["X-OpenStack-Image-Size"] == str(len(DATA))
    piped_stdin(monkeypatch, DATA)
    short = run(["image", "create", "it-size2", "--size", str(len(DATA) + 1)])
    assert short.code == 1
    assert short.err.startswith(f"--size {len(DATA) + 1} but {len(DATA)} bytes were sent; "
                                "the half-made image ")


def test_progress_off_a_terminal_prints_nothing(glance, run, disk):
    result = run(["image", "create", "it-prog", "--file", str(disk), "--progress",
                  "-f", "value", "-c", "status"])
    assert (result.out, result.err) == ("active\n", "")


def test_glances_400_on_the_post_is_one_line_and_nothing_to_delete(glance, run, disk):
    glance.mock.post(ROOT + "images", status_code=400,
                     text="<html><body><h1>400 Bad Request</h1>Invalid disk format "
                          "&#x27;ploop&#x27; for image.</body></html>")
    result = run(["image", "create", "it-400", "--disk-format", "ploop", "--file", str(disk)])
    assert result.err == (f"POST {ROOT}images failed: 400 Bad Request: Invalid disk format "
                          "'ploop' for image.\n")
    assert glance.sent == ["POST /v2/images"]


def test_the_trace_shows_the_upload_by_size_and_hash(glance, run, disk, tmp_path):
    trace = tmp_path / "create.md"
    assert run(["--trace", str(trace), "image", "create", "it-trace", "--file",
                str(disk)]).code == 0
    text = trace.read_text()
    assert (f"<image data: {len(DATA)} bytes, application/octet-stream, sha512 "
            f"{hashlib.sha512(DATA).hexdigest()}>") in text
    assert DATA[:64].decode("latin-1") not in text


def test_import_on_a_cloud_without_glance_direct_lists_its_methods(glance, run, disk):
    glance.methods = ["web-download"]
    result = run(["image", "create", "it-nogd", "--import", "--file", str(disk)])
    image_id = glance.sent[1].split("/")[3]
    assert result.code == 1
    assert result.err == ("this cloud does not enable the import method 'glance-direct'; it "
                          f"enables: web-download; the half-made image {image_id} was deleted\n")
    assert glance.sent[-2:] == ["GET /v2/info/import", f"DELETE /v2/images/{image_id}"]
