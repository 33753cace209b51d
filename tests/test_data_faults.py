"""Image data commands as a real process against a loopback Glance that misbehaves: a flipped
byte, a body cut in the middle, a 5xx or a dropped connection during an upload, a stalled
server under --timeout, Ctrl-C, and an interrupted download resumed. Each ends in one line,
the documented exit code, nothing half-made left in Glance and nothing damaged on disk."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

DATA = os.urandom(3 << 20) + b"end"  # 3 MiB and a bit: a few blocks either way
BIG = 48 << 20  # bytes: enough to fill loopback's socket buffers when the server stops reading


@dataclass
class Faults:
    """What the server does next; the tests change it between runs."""

    flip_byte: int | None = None  # GET …/file: this byte changed
    cut_after: int | None = None  # GET …/file: close after this many body bytes
    stall_after: int | None = None  # GET …/file or PUT: stop (no data, no reading) here
    put_error_after: int | None = None  # PUT: after reading this much, answer 500
    drop_after: int | None = None  # PUT: after reading this much, close without answer
    release: threading.Event = field(default_factory=threading.Event)


class Glance:
    """Just enough of Glance's image API for create, save and delete, with faults."""

    def __init__(self) -> None:
        self.images: dict[str, dict[str, Any]] = {}
        self.data: dict[str, bytes] = {}
        self.faults = Faults()
        self.log: list[str] = []
        self.received = 0  # bytes of the current PUT read so far
        self.ranges: list[str | None] = []  # the Range header of each GET …/file

    def record(self, image_id: str) -> dict[str, Any]:
        return self.images[image_id]

    def add(self, data: bytes) -> str:
        image_id = str(uuid.uuid4())
        self.images[image_id] = {"id": image_id, "name": "x", "status": "active",
                                 "size": len(data), "disk_format": "raw",
                                 "container_format": "bare", "visibility": "private",
                                 "os_hash_algo": "sha512",
                                 "os_hash_value": hashlib.sha512(data).hexdigest(),
                                 "checksum": hashlib.md5(data).hexdigest(), "tags": []}
        self.data[image_id] = data
        return image_id


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    glance: Glance

    def log_message(self, *args: Any) -> None:
        pass

    def reply(self, status: int, doc: Any = None, close: bool = False) -> None:
        body = json.dumps(doc).encode() if doc is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def image_id(self) -> str:
        return self.path.split("?")[0].split("/")[4]

    def do_POST(self) -> None:
        g = self.glance
        g.log.append("POST " + self.path)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        image_id = str(uuid.uuid4())
        g.images[image_id] = {"id": image_id, "status": "queued", "size": None, "tags": [],
                              "visibility": "shared", "protected": False, **body}
        self.reply(201, g.images[image_id])

    def do_GET(self) -> None:
        g = self.glance
        g.log.append("GET " + self.path)
        if self.path.endswith("/file"):
            g.ranges.append(self.headers.get("Range"))
            return self.send_data()
        image = g.images.get(self.image_id())
        self.reply(200 if image else 404, image or {"message": "No image found"})

    def do_DELETE(self) -> None:
        self.glance.log.append("DELETE " + self.path)
        self.reply(204 if self.glance.images.pop(self.image_id(), None) else 404)

    def do_PUT(self) -> None:
        g, f = self.glance, self.glance.faults
        g.log.append("PUT " + self.path)
        g.received = 0
        chunks = self.read_body()
        kept = bytearray()
        for chunk in chunks:
            kept += chunk
            g.received = len(kept)
            if f.put_error_after is not None and len(kept) >= f.put_error_after:
                self.reply(500, {"message": "the store failed"}, close=True)
                for _ in chunks:  # drain: the client reads the answer after sending
                    pass
                return
            if f.drop_after is not None and len(kept) >= f.drop_after:
                self.close_connection = True
                return
            if f.stall_after is not None and len(kept) >= f.stall_after:
                f.release.wait(30)
                self.close_connection = True
                return
        data = bytes(kept)
        g.data[self.image_id()] = data
        g.images[self.image_id()].update(
            status="active", size=len(data), os_hash_algo="sha512",
            os_hash_value=hashlib.sha512(data).hexdigest(),
            checksum=hashlib.md5(data).hexdigest())
        self.reply(204)

    def read_body(self) -> Iterator[bytes]:
        if self.headers.get("Transfer-Encoding") == "chunked":
            while size := int(self.rfile.readline().split(b";")[0], 16):
                yield self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return
        left = int(self.headers["Content-Length"])
        while left:
            chunk = self.rfile.read(min(left, 64 << 10))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk

    def send_data(self) -> None:
        g, f = self.glance, self.glance.faults
        data = g.data[self.image_id()]
        if f.flip_byte is not None:
            data = data[:f.flip_byte] + bytes([data[f.flip_byte] ^ 1]) + data[f.flip_byte + 1:]
        start, wanted = 0, self.headers.get("Range", "")
        if wanted.startswith("bytes="):
            start = int(wanted[6:].rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        stop = f.cut_after if f.cut_after is not None else f.stall_after
        try:
            if stop is None:
                self.wfile.write(body)
                return
            self.wfile.write(body[:stop])
            self.wfile.flush()
            if f.stall_after is not None:
                f.release.wait(30)
        except OSError:
            pass
        self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that go away mid-body are the point of these tests


@pytest.fixture
def glance() -> Iterator[tuple[Glance, str]]:
    model = Glance()
    httpd = Server(("127.0.0.1", 0), type("Bound", (Handler,), {"glance": model}))
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield model, f"http://127.0.0.1:{httpd.server_address[1]}/image"
    model.faults.release.set()
    httpd.shutdown()
    httpd.server_close()


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
    model.faults.flip_byte = len(DATA) // 2
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
    model.faults.cut_after = len(DATA) // 2
    dest = tmp_path / "out.img"
    first = imgcli(url, tmp_path, "image", "save", image_id, "--file", str(dest))
    assert first.returncode == 1
    assert "broke off after" in one_line(first) and "run the same command again" in \
        one_line(first)
    assert not dest.exists() and len(parts(tmp_path)) == 1
    model.faults.cut_after = None
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
    model.faults.stall_after = 1 << 20
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
    model.faults.stall_after = 1 << 20
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
    assert err.decode().endswith(f" bytes; {dest} is unchanged: run the same command again to "
                                 f"resume from {tmp_path / part}\n")
    assert dest.read_bytes() == b"old"


# ------------------------------------------------------------------------------ upload

@pytest.fixture
def disk(tmp_path: Path) -> Path:
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    return path


def created(model: Glance) -> str:
    return next(line for line in model.log if line.startswith("PUT ")).split("/")[4]


def test_a_5xx_during_the_upload_deletes_the_image(glance, tmp_path, disk):
    model, url = glance
    model.faults.put_error_after = 1 << 20
    result = imgcli(url, tmp_path, "image", "create", "it-5xx", "--file", str(disk))
    image_id = created(model)
    assert result.returncode == 1
    assert one_line(result) == (f"PUT {url}/v2/images/{image_id}/file failed: 500 Internal "
                                f"Server Error: the store failed; the half-made image "
                                f"{image_id} was deleted")
    assert model.log[-1] == f"DELETE /image/v2/images/{image_id}" and not model.images


def test_a_connection_dropped_mid_upload_says_how_far_it_got(glance, tmp_path, disk):
    model, url = glance
    model.faults.drop_after = 1 << 20
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
    model.faults.stall_after = 1 << 20
    started = time.monotonic()
    result = imgcli(url, tmp_path, "image", "create", "it-stall", "--file", str(big),
                    timeout=1)
    assert time.monotonic() - started < 30
    model.faults.release.set()
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
    model.faults.stall_after = 2 << 20
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
    model.faults.release.set()
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
