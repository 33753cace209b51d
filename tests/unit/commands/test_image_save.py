"""`image save`: the requests it sends, the bytes it writes, and what it leaves behind when
the data is wrong, cut short or has nowhere to go (requests-mock; the loopback server's
faults are in tests/faults/test_data_faults.py)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SEED_ENV
from tests.unit.fake_glance import ROOT
from tests.unit.fake_image_data import DataGlance, install_data

DATA = bytes(range(256)) * 9000 + b"tail"  # 2.2 MiB: three blocks, the last one short


@pytest.fixture
def glance(seed_cloud: Any) -> DataGlance:
    return install_data(seed_cloud.mock, seed_cloud.images)


class Terminal(io.TextIOWrapper):
    def isatty(self) -> bool:
        return True


def run_binary(tmp_path: Path, args: list[str], tty: bool = False) -> tuple[int, bytes, str]:
    """imgcli in-process with a stdout that has a byte buffer (as the real one does):
    (exit code, the bytes on stdout, stderr)."""
    from imgcli.shell import ImgcliApp

    raw = io.BytesIO()
    out = (Terminal if tty else io.TextIOWrapper)(raw, encoding="utf-8", write_through=True)
    err = io.StringIO()
    env = {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), **SEED_ENV}
    handlers = list(logging.getLogger().handlers)
    try:
        with contextlib.redirect_stderr(err):
            code = ImgcliApp(env=env, stdout=out, stderr=err).run(args)
    finally:
        for handler in logging.getLogger().handlers[:]:
            if handler not in handlers:
                logging.getLogger().removeHandler(handler)
    out.flush()
    return code, raw.getvalue(), err.getvalue()


def parts(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


def test_save_by_id_is_the_record_and_the_data(glance, run, tmp_path):
    image = glance.add(DATA)
    dest = tmp_path / "out.img"
    result = run(["image", "save", "--file", str(dest), image["id"]])
    assert (result.code, result.out, result.err) == (0, "", "")
    assert glance.sent == [f"GET /v2/images/{image['id']}", f"GET /v2/images/{image['id']}/file"]
    assert dest.read_bytes() == DATA and parts(tmp_path) == []


def test_save_by_name_looks_it_up_once(glance, run, tmp_path):
    image = glance.add(DATA, name="it-save")
    dest = tmp_path / "out.img"
    assert run(["image", "save", "it-save", "--file", str(dest)]).code == 0
    assert glance.sent == ["GET /v2/images?name=it-save",
                           f"GET /v2/images/{image['id']}/file"]
    assert dest.read_bytes() == DATA


def test_save_to_stdout_writes_the_bytes(glance, tmp_path):
    image = glance.add(DATA)
    code, out, err = run_binary(tmp_path, ["image", "save", image["id"]])
    assert (code, err) == (0, "") and out == DATA


def test_image_data_is_never_written_to_a_terminal(glance, tmp_path):
    image = glance.add(DATA)
    code, out, err = run_binary(tmp_path, ["image", "save", image["id"]], tty=True)
    assert (code, out) == (2, b"")
    assert err == ("refusing to write image data to a terminal; use --file PATH or redirect "
                   "stdout\n")
    assert glance.sent == []


@pytest.mark.parametrize("status", ["queued", "uploading", "importing", "saving"])
def test_an_image_without_data_is_one_line_after_one_request(glance, run, tmp_path, status):
    image = glance.add(status=status)
    image["status"] = status
    dest = tmp_path / "out.img"
    result = run(["image", "save", image["id"], "--file", str(dest)])
    assert (result.code, result.out) == (1, "")
    assert result.err == f"image {image['id']} has no data yet (status {status})\n"
    assert glance.sent == [f"GET /v2/images/{image['id']}"]
    assert not dest.exists() and parts(tmp_path) == []


def test_glance_answering_204_after_all_is_no_data(glance, run, tmp_path):
    image = glance.add(status="active")  # active, but no data: a record changed meanwhile
    dest = tmp_path / "out.img"
    result = run(["image", "save", image["id"], "--file", str(dest)])
    assert result.code == 1
    assert result.err == f"image {image['id']} has no data (Glance answered 204 No Content)\n"
    assert not dest.exists() and parts(tmp_path) == []


@pytest.mark.parametrize("existing", [b"the old image\n", None])
def test_a_flipped_byte_leaves_the_destination_as_it_was(glance, run, tmp_path, existing):
    image = glance.add(DATA)
    glance.flip_byte = 1_500_000
    dest = tmp_path / "out.img"
    if existing is not None:
        dest.write_bytes(existing)
    result = run(["image", "save", image["id"], "--file", str(dest)])
    assert result.code == 1
    assert "does not match its hash (sha512" in result.err
    state = "is unchanged" if existing is not None else "was not created"
    assert f"{dest} {state} and the partial file was removed" in result.err
    assert result.err.count("\n") == 1
    assert (dest.read_bytes() if dest.exists() else None) == existing
    assert parts(tmp_path) == []


def test_a_body_cut_short_is_kept_and_the_next_save_resumes_it(glance, run, tmp_path):
    image = glance.add(DATA)
    dest = tmp_path / "out.img"
    dest.write_bytes(b"old")
    glance.cut_after = 1_200_000
    first = run(["image", "save", image["id"], "--file", str(dest)])
    assert first.code == 1 and "broke off after" in first.err
    assert f"of {len(DATA)} bytes" in first.err and "run the same command again" in first.err
    assert dest.read_bytes() == b"old"
    [part] = parts(tmp_path)
    kept = (tmp_path / part).read_bytes()
    assert 0 < len(kept) <= 1_200_000 and DATA.startswith(kept)

    glance.cut_after = None
    again = run(["image", "save", image["id"], "--file", str(dest)])
    assert again.code == 0, again.err
    assert again.err == f"resumed from byte {len(kept)} of {len(DATA)} (a partial file an " \
                        "earlier save kept)\n"
    assert glance.mock.last_request.headers["Range"] == f"bytes={len(kept)}-"
    assert dest.read_bytes() == DATA and parts(tmp_path) == []


def test_md5_only_is_verified_and_no_hash_is_said(glance, run, tmp_path):
    md5_only = glance.add(DATA)
    md5_only.update(os_hash_algo=None, os_hash_value=None)
    assert run(["image", "save", md5_only["id"], "--file", str(tmp_path / "a")]).err == ""
    bare = glance.add(DATA)
    bare.update(os_hash_algo=None, os_hash_value=None, checksum=None)
    result = run(["image", "save", bare["id"], "--file", str(tmp_path / "b")])
    assert result.code == 0
    assert result.err == (f"warning: nothing could be verified: image {bare['id']} has no "
                          "os_hash_value and no checksum\n")
    assert (tmp_path / "b").read_bytes() == DATA


@pytest.mark.parametrize("where, words", [
    ("missing/out.img", "the directory {tmp}/missing does not exist"),
    ("", "--file {tmp}/ is a directory"),
])
def test_a_destination_that_cannot_be_written_is_refused_before_any_request(
        glance, run, tmp_path, where, words):
    image = glance.add(DATA)
    result = run(["image", "save", image["id"], "--file", f"{tmp_path}/{where}"])
    assert result.code == 2
    assert words.format(tmp=tmp_path) in result.err and result.err.count("\n") == 1
    assert glance.sent == []


def test_store_preference_is_glances_prefer_query_and_chunk_size_is_accepted(
        glance, run, tmp_path):
    image = glance.add(DATA)
    result = run(["image", "save", image["id"], "--file", str(tmp_path / "o"),
                  "--store-preference", "fs2", "--store-preference", "fs",
                  "--chunk-size", "65536"])
    assert result.code == 0
    assert glance.sent[-1] == f"GET /v2/images/{image['id']}/file?prefer=fs2%2Cfs"


def test_an_unknown_image_is_one_line(glance, run, tmp_path):
    result = run(["image", "save", "nothing-called-this", "--file", str(tmp_path / "o")])
    assert (result.code, result.err) == (1, "no image named or with ID 'nothing-called-this'\n")
    assert not (tmp_path / "o").exists()


def test_the_trace_shows_the_data_by_size_and_hash(glance, run, tmp_path):
    image = glance.add(DATA)
    trace = tmp_path / "save.md"
    har = tmp_path / "save.har"
    for path in (trace, har):
        assert run(["--trace", str(path), "image", "save", image["id"],
                    "--file", str(tmp_path / "o")]).code == 0
    summary = (f"<image data: {len(DATA)} bytes, application/octet-stream, sha512 "
               f"{hashlib.sha512(DATA).hexdigest()}>")
    assert summary in trace.read_text()
    assert summary in har.read_text() and f'"bodySize": {len(DATA)}' in har.read_text()
    assert ROOT.replace("http://", "") in trace.read_text()
