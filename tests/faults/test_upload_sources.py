"""`image create` as a real process, its data from a source that turns out wrong: a URL whose
body is cut short of its Content-Length, a corrupt .xz, a file whose last byte differs from
--expect-checksum, and SIGTERM while a URL is being streamed. Each ends in one line and a
non-zero exit, the half-made image deleted, and Glance never given a whole body of bad data
(the loopback Glance stores nothing unless it read every byte)."""

from __future__ import annotations

import hashlib
import lzma
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakecloud.data import LoopbackGlance
from fakecloud.loopback import QuietHandler, serve, stop
from tests.faults.test_data_faults import command, env, imgcli, one_line

BLOCK = 1 << 20
DATA = os.urandom(2 * BLOCK) + b"tail" * 1000  # two blocks and a short one


class Files:
    """A web server for one file, with faults: a Content-Length larger than the body
    (`announce`), a pause after `pause_after` bytes until `release`."""

    def __init__(self, body: bytes) -> None:
        self.body, self.announce = body, len(body)
        self.pause_after: int | None = None
        self.release, self.paused = threading.Event(), threading.Event()
        files = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                self.send_response(200)
                self.send_header("Content-Length", str(files.announce))
                self.end_headers()
                body = files.body
                if files.pause_after is not None:
                    self.wfile.write(body[:files.pause_after])
                    self.wfile.flush()
                    files.paused.set()
                    files.release.wait(30)
                    body = body[files.pause_after:]
                self.wfile.write(body)
                self.close_connection = True

        self.server = serve(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/disk.img"

    def close(self) -> None:
        self.release.set()
        stop(self.server)


@pytest.fixture
def glance() -> Iterator[LoopbackGlance]:
    with LoopbackGlance() as model:
        yield model


def nothing_left(glance: LoopbackGlance) -> None:
    """The image was made, then deleted; Glance stored no data at all."""
    assert [entry.split()[0] for entry in glance.log].count("POST") == 1
    assert glance.images == {} and glance.data == {}
    assert len(glance.deleted) == 1 and glance.deleted[0]["status"] == "queued"


def test_a_url_body_cut_short_deletes_the_image(glance: LoopbackGlance, tmp_path: Path) -> None:
    files = Files(DATA)
    files.announce = len(DATA) + 5000  # the server promises more than it sends
    try:
        result = imgcli(glance.endpoint, tmp_path, "image", "create", "cut", "--url", files.url)
    finally:
        files.close()
    assert result.returncode == 1
    line = one_line(result)
    assert f"the download broke off after {len(DATA)} of {len(DATA) + 5000} bytes" in line
    assert "was deleted" in line
    nothing_left(glance)


def test_a_corrupt_xz_deletes_the_image(glance: LoopbackGlance, tmp_path: Path) -> None:
    packed = bytearray(lzma.compress(DATA, preset=0))
    packed[-40] ^= 0x01  # in the last block's data or the index: found at the end
    path = tmp_path / "disk.img.xz"
    path.write_bytes(bytes(packed))
    result = imgcli(glance.endpoint, tmp_path, "image", "create", "xz", "--file", str(path),
                    "--decompress")
    assert result.returncode == 1
    line = one_line(result)
    assert "is not valid xz data" in line and "was deleted" in line
    nothing_left(glance)


@pytest.mark.parametrize("piped", [False, True])
def test_a_checksum_that_differs_at_the_last_byte_never_sends_it(
        glance: LoopbackGlance, tmp_path: Path, piped: bool) -> None:
    expected = hashlib.sha256(DATA).hexdigest()
    path = tmp_path / "disk.img"
    path.write_bytes(DATA[:-1] + bytes([DATA[-1] ^ 1]))
    args = ["image", "create", "last", "--expect-checksum", f"sha256:{expected}"]
    if piped:
        with path.open("rb") as data:
            pipe = subprocess.Popen(["cat"], stdin=data, stdout=subprocess.PIPE)
            result = imgcli(glance.endpoint, tmp_path, *args, stdin=pipe.stdout)
            pipe.wait()
    else:
        result = imgcli(glance.endpoint, tmp_path, *args, "--file", str(path))
    assert result.returncode == 1
    line = one_line(result)
    assert expected in line and hashlib.sha256(path.read_bytes()).hexdigest() in line
    nothing_left(glance)
    # The short last block was held back: Glance got at most the two whole blocks.
    assert glance.received <= 2 * BLOCK


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_while_a_url_streams_deletes_the_image(glance: LoopbackGlance, tmp_path: Path,
                                                        signum: int) -> None:
    files = Files(DATA)
    files.pause_after = 2 * BLOCK + 100  # the first block sent, the second held back
    proc: subprocess.Popen[bytes] | None = None
    try:
        proc = subprocess.Popen(command(glance.endpoint, "image", "create", "sig", "--url",
                                        files.url), env=env(tmp_path), cwd=tmp_path,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        assert files.paused.wait(30)
        deadline = time.monotonic() + 30
        while glance.received < BLOCK and time.monotonic() < deadline:
            time.sleep(0.02)  # the first block is in Glance: the upload is under way
        # Glance can read the block from the socket before the client's sendall() returns
        # and counts it as sent: let the client get back to its (paused) read first.
        time.sleep(0.3)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        files.close()
        if proc is not None and proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signum
    text = err.decode()
    assert text.count("\n") == 1 and "Traceback" not in text, text
    name = signal.Signals(signum).name
    said = "interrupted" if signum == signal.SIGINT else f"interrupted by {name}"
    assert text.startswith(f"{said} after {BLOCK} of {len(DATA)} bytes of"), text
    assert "was deleted" in text and "importing" not in text
    nothing_left(glance)


def test_the_image_id_is_chosen_before_the_post(glance: LoopbackGlance, tmp_path: Path) -> None:
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    result = imgcli(glance.endpoint, tmp_path, "image", "create", "ok", "--file", str(path),
                    "-f", "value", "-c", "id")
    assert result.returncode == 0, result.stderr
    image_id = result.stdout.decode().strip()
    post: dict[str, Any] = next(r for r in glance.requests if r["method"] == "POST")
    assert image_id in post["body"].decode() and glance.data[image_id] == DATA
