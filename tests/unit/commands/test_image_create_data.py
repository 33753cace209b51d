"""`image create` and `image stage` with the data options of issue #22 (--expect-checksum,
--decompress, --url, --if-absent), openstacksdk's checksum properties, and interrupts, against
the model of Glance (requests-mock): the requests sent, the bytes Glance got, each error's one
line and exit status, and the half-made image deleted whenever the data was wrong."""

from __future__ import annotations

import gzip
import hashlib
import json
import lzma
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from imgcli.api import images
from tests.unit.fake_glance import OWN_PROJECT, ROOT
from tests.unit.fake_image_data import DataGlance, install_data

DATA = os.urandom(1 << 20) + bytes(700_000)  # 1.7 MiB: two blocks, the last one short
SHA256 = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def glance(seed_cloud: Any) -> DataGlance:
    return install_data(seed_cloud.mock, seed_cloud.images)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    made = {"raw": DATA, "gz": gzip.compress(DATA, 1),
            "xz": lzma.compress(DATA, format=lzma.FORMAT_XZ, preset=0)}
    paths = {}
    for suffix, content in made.items():
        paths[suffix] = tmp_path / f"disk.{suffix}"
        paths[suffix].write_bytes(content)
    return paths


def image_of(glance: DataGlance, name: str) -> dict[str, Any] | None:
    return next((i for i in glance.glance.images if i.get("name") == name), None)


def data_requests(glance: DataGlance) -> list[str]:
    return [line for line in glance.sent if not line.startswith("GET /v2/images?")]


# -- --expect-checksum -------------------------------------------------------------------------

def test_a_matching_checksum_uploads_and_records_openstacksdks_checksums(glance, run, files):
    result = run(["image", "create", "ok", "--file", str(files["raw"]),
                  "--expect-checksum", f"SHA256:{SHA256.upper()}", "-f", "json"])
    assert (result.code, result.err) == (0, "")
    image_id = json.loads(result.out)["id"]
    assert glance.sent == ["POST /v2/images", f"PUT /v2/images/{image_id}/file",
                           f"PATCH /v2/images/{image_id}"]
    patch = glance.bodies("PATCH")[0]
    assert patch == [
        {"op": "add", "path": "/owner_specified.openstack.md5",
         "value": hashlib.md5(DATA).hexdigest()},
        {"op": "add", "path": "/owner_specified.openstack.sha256", "value": SHA256},
        {"op": "add", "path": "/owner_specified.openstack.object", "value": "images/ok"}]
    shown = json.loads(result.out)["properties"]
    assert shown["owner_specified.openstack.sha256"] == SHA256  # the PATCH's answer, printed
    assert glance.data[image_id] == DATA


def test_a_checksum_mismatch_deletes_the_image_and_names_both_values(glance, run, files):
    wrong = "0" * 64
    result = run(["image", "create", "bad", "--file", str(files["raw"]),
                  "--expect-checksum", f"sha256:{wrong}"])
    image_id = glance.sent[1].split("/")[3]
    assert result.code == 1
    assert result.err.count("\n") == 1 and SHA256 in result.err and wrong in result.err
    assert result.err.endswith(f"the half-made image {image_id} was deleted\n")
    assert glance.sent[-1] == f"DELETE /v2/images/{image_id}"
    assert "PATCH" not in " ".join(glance.sent) and image_of(glance, "bad") is None


@pytest.mark.parametrize("value, words", [
    ("sha256", "takes ALGO:HEX"),
    ("sha3_256:" + "a" * 64, "unknown algorithm 'sha3_256'"),
    ("sha256:" + "g" * 64, "must be hexadecimal"),
    ("md5:" + "a" * 31, "has 32 hex digits, not 31"),
])
def test_a_malformed_checksum_is_exit_2_before_any_request(glance, run, files, value, words):
    for command in (["image", "create", "x"], ["image", "stage", "some-image"]):
        result = run([*command, "--file", str(files["raw"]), "--expect-checksum", value])
        assert result.code == 2 and words in result.err and result.err.count("\n") == 1
    assert glance.sent == []


# -- --decompress ------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["gz", "xz"])
def test_decompress_sends_the_decompressed_bytes_chunked(glance, run, files, suffix):
    packed = files[suffix].read_bytes()
    result = run(["image", "create", "z", "--file", str(files[suffix]), "--decompress",
                  "--expect-checksum", f"sha256:{hashlib.sha256(packed).hexdigest()}",
                  "-f", "value", "-c", "id", "-c", "size"])
    assert result.code == 0, result.err
    image_id, size = result.out.split()
    assert glance.data[image_id] == DATA and int(size) == len(DATA)
    put = next(r for r in glance.mock.request_history if r.method == "PUT")
    assert put.headers.get("Transfer-Encoding") == "chunked"
    assert glance.bodies("PATCH")[0][1]["value"] == SHA256  # of what Glance holds


def test_decompress_of_plain_data_is_refused_before_any_request(glance, run, files):
    result = run(["image", "create", "z", "--file", str(files["raw"]), "--decompress"])
    assert result.code == 2 and "is not gzip, bzip2, xz or zstd data" in result.err
    assert glance.sent == []


def test_corrupt_compressed_data_deletes_the_half_made_image(glance, run, files, tmp_path):
    packed = bytearray(files["xz"].read_bytes())
    packed[len(packed) // 2] ^= 0x55
    broken = tmp_path / "broken.xz"
    broken.write_bytes(bytes(packed))
    result = run(["image", "create", "z", "--file", str(broken), "--decompress"])
    assert result.code == 1 and "is not valid xz data" in result.err
    assert result.err.count("\n") == 1 and "was deleted" in result.err
    assert glance.sent[-1].startswith("DELETE ") and image_of(glance, "z") is None


def test_a_compressed_raw_image_without_decompress_gets_a_warning(glance, run, files):
    result = run(["image", "create", "z", "--file", str(files["gz"]), "--disk-format", "raw",
                  "-f", "value", "-c", "status"])
    assert result.code == 0 and result.out == "active\n"
    assert result.err.startswith("warning: ") and "looks gzip-compressed" in result.err
    quiet = run(["image", "create", "q", "--file", str(files["gz"]), "--disk-format", "qcow2",
                 "-f", "value", "-c", "status"])
    assert (quiet.code, quiet.err) == (0, "")


# -- --url -------------------------------------------------------------------------------------

def test_a_url_is_fetched_and_streamed_to_glance(glance, run, files):
    packed = files["xz"].read_bytes()
    glance.mock.get("http://files.example/disk.xz", content=packed,
                    headers={"Content-Length": str(len(packed))})
    result = run(["image", "create", "u", "--url", "http://files.example/disk.xz",
                  "--decompress", "-f", "value", "-c", "id"])
    assert result.code == 0, result.err
    assert glance.data[result.out.strip()] == DATA
    assert glance.mock.request_history[0].url == "http://files.example/disk.xz"  # first


@pytest.mark.parametrize("extra, words", [
    (["--url", "ftp://files.example/disk.img"], "ftp:// is not supported"),
    (["--url", "http://files.example/a", "--file", "x"], "--url and --file both"),
    (["--url", "http://files.example/a", "--if-absent"], "a URL can be read once"),
])
def test_url_mistakes_are_exit_2_before_any_request(glance, run, extra, words):
    result = run(["image", "create", "u", *extra])
    assert result.code == 2 and words in result.err
    assert glance.mock.request_history == []


def test_a_url_that_fails_creates_nothing(glance, run):
    glance.mock.get("http://files.example/gone.img", status_code=404)
    result = run(["image", "create", "u", "--url", "http://files.example/gone.img"])
    assert result.code == 1 and "answered 404" in result.err
    assert glance.sent == []


def test_stage_takes_a_url_and_a_mismatch_stages_nothing(glance, run):
    image = glance.add(name="staged")
    glance.mock.get("http://files.example/disk.img", content=DATA)
    result = run(["image", "stage", image["id"], "--url", "http://files.example/disk.img"])
    assert (result.code, result.err) == (0, "")
    assert glance.staged[image["id"]] == DATA
    other = glance.add(name="other")
    bad = run(["image", "stage", other["id"], "--url", "http://files.example/disk.img",
               "--expect-checksum", "md5:" + "f" * 32])
    assert bad.code == 1 and f"nothing was staged (image {other['id']}" in bad.err
    assert other["id"] not in glance.staged


# -- --if-absent -------------------------------------------------------------------------------

def test_if_absent_finds_the_same_data_with_one_request(glance, run, files):
    same = glance.add(DATA, name="base", owner=OWN_PROJECT)
    glance.add(b"other", name="base", owner=OWN_PROJECT)
    result = run(["image", "create", "base", "--file", str(files["raw"]), "--if-absent",
                  "-f", "value", "-c", "id"])
    assert (result.code, result.out) == (0, f"{same['id']}\n")
    assert "nothing was uploaded" in result.err
    assert len(glance.sent) == 1
    query = glance.mock.request_history[-1].qs
    assert query["name"] == ["base"] and query["status"] == ["active"]
    assert query["owner"] == [OWN_PROJECT]


def test_if_absent_uploads_when_only_other_data_has_the_name(glance, run, files):
    glance.add(b"other", name="base", owner=OWN_PROJECT)
    result = run(["image", "create", "base", "--file", str(files["gz"]), "--decompress",
                  "--if-absent", "-f", "value", "-c", "id"])
    assert result.code == 0, result.err
    assert glance.sent[0].startswith("GET /v2/images?")
    assert data_requests(glance)[0] == "POST /v2/images"
    assert glance.data[result.out.strip()] == DATA


def test_if_absent_with_a_pipe_is_refused(glance, run, monkeypatch):
    import sys

    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"data")
    os.close(write_fd)
    monkeypatch.setattr(sys, "stdin", open(read_fd, encoding="utf-8"))  # noqa: SIM115
    result = run(["image", "create", "p", "--if-absent"])
    assert result.code == 2 and "can be read once" in result.err
    assert glance.sent == []


# -- openstacksdk's properties -----------------------------------------------------------------

def test_a_property_the_user_set_is_kept_and_a_refused_patch_is_a_warning(glance, run, files):
    glance.mock.patch(f"{ROOT}images/{'0' * 8}-0000-4000-8000-{'0' * 12}", status_code=403)
    result = run(["image", "create", "p", "--file", str(files["raw"]), "--id",
                  f"{'0' * 8}-0000-4000-8000-{'0' * 12}", "--property",
                  "owner_specified.openstack.object=mine/p", "-f", "value", "-c", "status"])
    assert result.code == 0 and result.out == "active\n"
    assert "warning: openstacksdk's checksum properties were not recorded" in result.err
    assert glance.sent[-1] == f"GET /v2/images/{'0' * 8}-0000-4000-8000-{'0' * 12}"
    patch = glance.mock.request_history[-2].json()
    assert [op["path"] for op in patch] == ["/owner_specified.openstack.md5",
                                            "/owner_specified.openstack.sha256"]


# -- interrupts --------------------------------------------------------------------------------

def interrupting_create(monkeypatch: pytest.MonkeyPatch, times: int) -> None:
    """create_image as if Ctrl-C came `times` times while the POST was in flight."""
    real = images.create_image

    def create(conn: Any, body: dict[str, Any]) -> dict[str, Any]:
        for _ in range(times):
            os.kill(os.getpid(), signal.SIGINT)
        return real(conn, body)

    monkeypatch.setattr(images, "create_image", create)


def test_ctrl_c_during_the_create_request_waits_for_it_and_deletes_the_image(
        glance, run, files, monkeypatch):
    interrupting_create(monkeypatch, 1)
    result = run(["image", "create", "c", "--file", str(files["raw"])])
    image_id = glance.bodies("POST")[0]["id"]  # chosen before the POST
    assert result.code == 130
    assert glance.sent == ["POST /v2/images", f"DELETE /v2/images/{image_id}"]
    assert result.err == (f"interrupted as the image was created; the half-made image "
                          f"{image_id} was deleted\n")


def test_a_second_ctrl_c_stops_the_wait_and_deletes_by_the_chosen_id(glance, run, files,
                                                                     monkeypatch):
    interrupting_create(monkeypatch, 2)
    result = run(["image", "create", "c", "--file", str(files["raw"])])
    assert result.code == 130
    (delete,) = [line for line in glance.sent if line.startswith("DELETE")]
    assert "POST /v2/images" not in glance.sent  # the second Ctrl-C came before it was sent
    assert result.err.startswith("interrupted while the image was being created: Glance has "
                                 f"not made image {delete.split('/')[-1]}")


def test_an_id_the_user_chose_is_never_deleted_blind(glance, run, files, monkeypatch):
    interrupting_create(monkeypatch, 2)
    chosen = f"{'1' * 8}-1111-4111-8111-{'1' * 12}"
    result = run(["image", "create", "c", "--file", str(files["raw"]), "--id", chosen])
    assert result.code == 130 and not any(line.startswith("DELETE") for line in glance.sent)
    assert f"check with `imgcli image show {chosen}`" in result.err


@pytest.mark.parametrize("after_put", [False, True])
def test_each_interrupt_says_what_it_stopped(glance, run, files, monkeypatch, after_put):
    real_upload, real_update = images.upload, images.update_image

    def upload(conn: Any, image_id: str, body: Any, **kwargs: Any) -> None:
        if after_put:
            return real_upload(conn, image_id, body, **kwargs)
        next(iter(body))
        raise KeyboardInterrupt

    def update(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(images, "upload", upload)
    monkeypatch.setattr(images, "update_image", update if after_put else real_update)
    result = run(["image", "create", "i", "--file", str(files["raw"])])
    image_id = glance.bodies("POST")[0]["id"]
    assert result.code == 130 and "importing" not in result.err
    said = (f"interrupted after the data of image {image_id} was sent, before it was checked"
            if after_put else f"interrupted after 0 of {len(DATA)} bytes of")
    assert result.err.startswith(said), result.err
    assert result.err.endswith(f"the half-made image {image_id} was deleted\n")

