"""Image data commands as a real process against a loopback Glance that misbehaves: a flipped
byte, a body cut in the middle, a 5xx or a dropped connection during an upload, a stalled
server under --timeout, Ctrl-C, and an interrupted download resumed. Each ends in one line,
the documented exit code, nothing half-made left in Glance and nothing damaged on disk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakecloud.data import LoopbackGlance

DATA = os.urandom(3 << 20) + b"end"  # 3 MiB and a bit: a few blocks either way
BIG = 48 << 20  # bytes: enough to fill loopback's socket buffers when the server stops reading


@pytest.fixture
def glance() -> Iterator[tuple[LoopbackGlance, str]]:
    """Just enough of Glance's image API for create, save and delete, with faults."""
    with LoopbackGlance() as model:
        yield model, model.endpoint


def command(endpoint: str, *args: str, timeout: float = 10) -> list[str]:
    return [sys.executable, "-m", "imgcli", "--os-token", "fake-token", "--os-endpoint",
            endpoint, "--timeout", str(timeout), *args]


def env(home: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home),
            "XDG_CACHE_HOME": str(home / "cache"), "XDG_CONFIG_HOME": str(home / "config")}


def imgcli(endpoint: str, home: Path, *args: str, timeout: float = 10,
           stdin: Any = subprocess.DEVNULL) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(command(endpoint, *args, timeout=timeout), env=env(home),
                            cwd=home, stdin=stdin, capture_output=True, timeout=90)
    assert b"Traceback" not in result.stderr, result.stderr.decode()
    return result


def one_line(result: subprocess.CompletedProcess[bytes]) -> str:
    text = result.stderr.decode()
    assert text.count("\n") == 1, text
    return text.strip()


def parts(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


# ------------------------------------------------------------------------------ download

def test_a_flipped_byte_is_refused_and_the_old_file_kept(glance, tmp_path):
    model, url = glance
    image_id = model.add(DATA)
    model.flip_byte = len(DATA) // 2
    dest = tmp_path / "out.img"
    dest.write_bytes(b"yesterday's image")
    result = imgcli(url, tmp_path, "image", "save", image_id, "--file", str(dest))
    assert result.returncode == 1
    line = one_line(result)
    assert "does not match its hash" in line and f"{dest} is unchanged" in line
    assert dest.read_bytes() == b"yesterday's image" and parts(tmp_path) == []


def test_a_body_cut_in_the_middle_is_resumed_by_the_next_save(glance, tmp_path):
    model, url = glance
    image_id = model.add(DATA)
    model.cut_after = len(DATA) // 2
    dest = tmp_path / "out.img"
    first = imgcli(url, tmp_path, "image", "save", image_id, "--file", str(dest))
    assert first.returncode == 1
    assert "broke off after" in one_line(first) and "run the same command again" in \
        one_line(first)
    assert not dest.exists() and len(parts(tmp_path)) == 1
    model.cut_after = None
    second = imgcli(url, tmp_path, "image", "save", image_id, "--file", str(dest))
    assert second.returncode == 0, second.stderr
    kept = int(one_line(second).split()[3])
    assert one_line(second) == (f"resumed from byte {kept} of {len(DATA)} (a partial file an "
                                "earlier save kept)")
    assert 0 < kept <= len(DATA) // 2 and model.ranges == [None, f"bytes={kept}-"]
    assert dest.read_bytes() == DATA and parts(tmp_path) == []


def test_a_stalled_download_ends_at_the_timeout_and_keeps_what_came(glance, tmp_path):
    model, url = glance
    image_id = model.add(DATA)
    model.stall_after = 1 << 20
    dest = tmp_path / "out.img"
    started = time.monotonic()
    result = imgcli(url, tmp_path, "image", "save", image_id, "--file", str(dest), timeout=1)
    assert time.monotonic() - started < 20
    assert result.returncode == 1
    assert "broke off after" in one_line(result) and "(no data for too long)" in \
        one_line(result)
    assert not dest.exists() and len(parts(tmp_path)) == 1


def test_ctrl_c_during_a_download_leaves_the_destination_and_keeps_the_partial(
        glance, tmp_path):
    model, url = glance
    image_id = model.add(DATA)
    model.stall_after = 1 << 20
    dest = tmp_path / "out.img"
    dest.write_bytes(b"old")
    proc = subprocess.Popen(command(url, "image", "save", image_id, "--file", str(dest)),
                            env=env(tmp_path), cwd=tmp_path, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not parts(tmp_path) or (tmp_path / parts(tmp_path)[0]).stat().st_size < 1 << 20:
        assert time.monotonic() < deadline, "the download never started"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    [part] = parts(tmp_path)
    assert proc.returncode == 130
    assert err.decode().startswith("interrupted after ")
    kept = (tmp_path / part).stat().st_size  # the count is the kept file's, not behind it
    assert err.decode().startswith(f"interrupted after {kept} bytes; {dest} is unchanged; the "
                                   f"{kept} bytes are kept in {tmp_path / part}: resume with "
                                   f"`imgcli ")
    assert err.decode().endswith(f" image save {image_id} --file {dest}`\n")
    assert dest.read_bytes() == b"old"


# ------------------------------------------------------------------------------ upload

@pytest.fixture
def disk(tmp_path: Path) -> Path:
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    return path


def created(model: LoopbackGlance) -> str:
    return next(line for line in model.log if line.startswith("PUT ")).split("/")[4]


def test_a_5xx_during_the_upload_deletes_the_image(glance, tmp_path, disk):
    model, url = glance
    model.put_error_after = 1 << 20
    result = imgcli(url, tmp_path, "image", "create", "it-5xx", "--file", str(disk))
    image_id = created(model)
    assert result.returncode == 1
    assert one_line(result) == (f"PUT {url}/v2/images/{image_id}/file failed: 500 Internal "
                                f"Server Error: the store failed; the half-made image "
                                f"{image_id} was deleted")
    assert model.log[-1] == f"DELETE /image/v2/images/{image_id}" and not model.images


def test_a_connection_dropped_mid_upload_says_how_far_it_got(glance, tmp_path, disk):
    model, url = glance
    model.drop_after = 1 << 20
    result = imgcli(url, tmp_path, "image", "create", "it-drop", "--file", str(disk))
    image_id = created(model)
    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith("the upload broke off after ") and f" of {len(DATA)} bytes (" in line
    assert line.endswith(f"; the half-made image {image_id} was deleted")
    assert "cannot connect" not in line and not model.images


def test_a_server_that_stops_reading_is_a_stall_at_the_timeout(glance, tmp_path):
    model, url = glance
    big = tmp_path / "big.img"
    with open(big, "wb") as f:
        f.truncate(BIG)
    model.stall_after = 1 << 20
    started = time.monotonic()
    result = imgcli(url, tmp_path, "image", "create", "it-stall", "--file", str(big),
                    timeout=1)
    assert time.monotonic() - started < 30
    model.release.set()
    image_id = created(model)
    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith("the upload stalled: Glance took no data for 1 s after ")
    assert line.endswith(f" of {BIG} bytes (--timeout); the half-made image {image_id} was "
                         "deleted")
    assert not model.images


def test_ctrl_c_during_the_upload_deletes_the_image_and_says_so(glance, tmp_path):
    model, url = glance
    big = tmp_path / "big.img"
    with open(big, "wb") as f:
        f.truncate(BIG)
    model.stall_after = 2 << 20
    proc = subprocess.Popen(command(url, "image", "create", "it-int", "--file", str(big)),
                            env=env(tmp_path), cwd=tmp_path, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while model.received < 2 << 20:
        assert time.monotonic() < deadline, "the upload never started"
        time.sleep(0.02)
    time.sleep(0.2)  # the client is now blocked on a full socket
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    model.release.set()
    image_id = created(model)
    assert proc.returncode == 130 and out == b""
    line = err.decode().strip()
    assert line.startswith("interrupted after ") and f" of {BIG} bytes" in line, line
    assert line.endswith(f"; the half-made image {image_id} was deleted")
    assert not model.images


def test_piped_stdin_goes_up_chunked_and_an_empty_one_uploads_nothing(glance, tmp_path):
    model, url = glance
    result = subprocess.run(command(url, "image", "create", "it-pipe", "-f", "json"),
                            env=env(tmp_path), cwd=tmp_path, input=DATA, capture_output=True,
                            timeout=90)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["status"] == "active" and model.data[shown["id"]] == DATA
    empty = imgcli(url, tmp_path, "image", "create", "it-none", "-f", "value", "-c", "status")
    assert (empty.returncode, empty.stdout) == (0, b"queued\n")
    assert sum(line.startswith("PUT ") for line in model.log) == 1


def test_save_to_a_pipe_then_up_again_is_byte_identical(glance, tmp_path):
    model, url = glance
    image_id = model.add(DATA)
    saved = subprocess.run(command(url, "image", "save", image_id), env=env(tmp_path),
                           cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=90)
    assert (saved.returncode, saved.stderr) == (0, b"") and saved.stdout == DATA
