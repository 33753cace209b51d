"""imgcli.transfer against a real loopback HTTP server: what goes on the wire, what lands on
disk, and what is left behind when a transfer fails."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from imgcli.errors import ApiError, ImgcliError, UsageError
from imgcli.transfer import (
    BLOCK,
    Expected,
    Progress,
    SizedUploadBody,
    check_destination,
    check_upload,
    describe_data,
    open_source,
    part_path,
    prepare_download,
    upload_body,
)
from imgcli.transfer.destination import TERMINAL
from tests.nobody import as_nobody

DATA = bytes(range(256)) * (10 * 1024 + 7)  # 2.5 MiB and a bit: three blocks, the last short
IMAGE_ID = "5f0e7c2a-1b7c-4f5e-9a3d-2c8b9e0d1f42"


def sha512(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


def expected(data: bytes = DATA) -> Expected:
    return Expected.from_image({"os_hash_algo": "sha512", "os_hash_value": sha512(data),
                                "checksum": hashlib.md5(data).hexdigest(), "size": len(data)})


# -- the loopback server -----------------------------------------------------------------------


@dataclass
class Behaviour:
    """What the server does with the next requests; tests change it between requests."""

    data: bytes = DATA
    honour_range: bool = True
    cut_after: int | None = None  # close the connection after this many body bytes
    pause_after: int | None = None  # send this many bytes, then wait for `go`
    range_shift: int = 0  # a Content-Range that starts elsewhere than asked
    status: int | None = None  # answer GET with this status and no data
    go: threading.Event = field(default_factory=threading.Event)
    requests: list[dict[str, Any]] = field(default_factory=list)


class QuietHandler(BaseHTTPRequestHandler):
    """Speaks HTTP/1.1 and keeps its access log off the test's stderr."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass


class Handler(QuietHandler):
    behaviour: Behaviour

    def do_PUT(self) -> None:
        chunked = self.headers.get("Transfer-Encoding") == "chunked"
        body = self.read_chunked() if chunked else self.rfile.read(
            int(self.headers.get("Content-Length", 0)))
        self.behaviour.requests.append({"headers": dict(self.headers), "body": body})
        self.send_response(204)
        self.end_headers()

    def read_chunked(self) -> bytes:
        parts = []
        while size := int(self.rfile.readline().split(b";")[0], 16):
            parts.append(self.rfile.read(size))
            self.rfile.readline()
        self.rfile.readline()
        return b"".join(parts)

    def do_GET(self) -> None:
        b = self.behaviour
        b.requests.append({"headers": dict(self.headers)})
        if b.status is not None:
            self.send_response(b.status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start, wanted = 0, self.headers.get("Range", "")
        if b.honour_range and wanted.startswith("bytes=") and wanted.endswith("-"):
            start = int(wanted[6:-1]) + b.range_shift
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(b.data) - 1}/{len(b.data)}")
        else:
            self.send_response(200)
        body = b.data[start:]
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if b.cut_after is not None:
            self.wfile.write(body[:b.cut_after])
            self.close_connection = True
            return
        if b.pause_after is not None:
            self.wfile.write(body[:b.pause_after])
            self.wfile.flush()
            b.go.wait(10)
            body = body[b.pause_after:]
        with contextlib.suppress(OSError):  # the client may have gone
            self.wfile.write(body)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that stops reading early (the point of several tests) resets


def serve(handler: type[BaseHTTPRequestHandler]) -> QuietServer:
    httpd = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True).start()
    return httpd


@pytest.fixture
def server() -> Iterator[tuple[str, Behaviour]]:
    behaviour = Behaviour()
    httpd = serve(type("BoundHandler", (Handler,), {"behaviour": behaviour}))
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", behaviour
    behaviour.go.set()
    httpd.shutdown()
    httpd.server_close()


def get(url: str, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.get(url + "file", headers=headers or {}, stream=True, timeout=10)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


# -- sources -----------------------------------------------------------------------------------


def test_file_source_knows_its_size(tmp_path: Path) -> None:
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    source = open_source(str(path))
    assert source is not None and source.size == len(DATA) and source.first == b""
    source.close()


@pytest.mark.parametrize("name, words", [("missing.img", "no such file"),
                                         (".", "is a directory")])
def test_bad_file_is_one_usage_line_naming_it(tmp_path: Path, name: str, words: str) -> None:
    path = str(tmp_path / name)
    with pytest.raises(UsageError) as err:
        open_source(path)
    message = str(err.value)
    assert path in message and words in message and "\n" not in message


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory another user can reach (pytest's own tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="imgcli-transfer-"))
    path.chmod(0o755)
    yield path
    path.chmod(0o755)
    for child in path.iterdir():
        child.chmod(0o644)
        child.unlink()
    path.rmdir()


def test_unreadable_file_is_refused(shared_dir: Path) -> None:
    readable, unreadable = shared_dir / "ok.img", shared_dir / "secret.img"
    readable.write_bytes(b"x")
    unreadable.write_bytes(b"x")
    readable.chmod(0o644)
    unreadable.chmod(0o000)
    if os.geteuid() != 0:
        with pytest.raises(UsageError, match="permission denied"):
            open_source(str(unreadable))
        return
    # As root, in a child that became `nobody`: the readable file opens there, so the
    # refusal below is the mode's doing and not the path's.
    assert as_nobody(lambda: open_source(str(readable))) == ""
    outcome = as_nobody(lambda: open_source(str(unreadable)))
    assert outcome == f"UsageError: --file {unreadable}: permission denied; " \
        "make it readable for this user"


def pipe_with(data: bytes) -> io.FileIO:
    """The read end of a pipe that a thread fills with `data` and then closes."""
    read_fd, write_fd = os.pipe()

    def fill() -> None:
        with open(write_fd, "wb") as writer:
            writer.write(data)

    threading.Thread(target=fill, daemon=True).start()
    return open(read_fd, "rb", buffering=0)


def test_empty_piped_stdin_is_no_upload() -> None:
    with pipe_with(b"") as stdin:
        assert open_source(None, stdin) is None
        assert open_source("-", stdin) is None


def test_dev_null_and_empty_file_as_stdin_are_no_upload(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    for path in (os.devnull, str(empty)):
        with open(path, "rb") as stdin:
            assert open_source(None, stdin) is None


def test_piped_stdin_is_peeked_without_losing_bytes() -> None:
    with pipe_with(DATA) as stdin:
        source = open_source(None, stdin)
        assert source is not None and source.size is None
        assert source.first == DATA[:BLOCK]  # a whole block, though a pipe gives 64 KiB a read
        assert bytes(source.first) + source.file.read() == DATA


def test_file_as_stdin_sends_from_its_position(tmp_path: Path) -> None:
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    with open(path, "rb", buffering=0) as stdin:
        stdin.seek(100)
        source = open_source(None, stdin)
        assert source is not None and source.size == len(DATA) - 100


def test_terminal_or_closed_stdin() -> None:
    leader, follower = os.openpty()
    try:
        with open(follower, "rb", buffering=0, closefd=False) as tty:
            assert open_source(None, tty) is None
            with pytest.raises(UsageError, match="stdin is a terminal"):
                open_source("-", tty)
    finally:
        os.close(leader)
        os.close(follower)
    closed = open(os.devnull, "rb")
    closed.close()
    assert open_source(None, closed) is None
    with pytest.raises(UsageError, match="stdin is closed"):
        open_source("-", closed)


# -- upload ------------------------------------------------------------------------------------


def test_file_upload_has_content_length_and_arrives_intact(
        server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, behaviour = server
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    source = open_source(str(path))
    assert source is not None
    body = upload_body(source)
    assert isinstance(body, SizedUploadBody)
    response = requests.put(url + "file", data=body, timeout=10)
    assert response.status_code == 204
    seen = behaviour.requests[-1]
    assert seen["headers"].get("Content-Length") == str(len(DATA))
    assert "Transfer-Encoding" not in seen["headers"]
    assert seen["body"] == DATA
    assert body.bytes_sent == len(DATA) and body.complete
    assert body.hexdigest() == sha512(DATA)


def test_piped_upload_is_chunked_and_arrives_intact(server: tuple[str, Behaviour]) -> None:
    url, behaviour = server
    meter = FakeTTY()
    with pipe_with(DATA) as stdin:
        source = open_source(None, stdin)
        assert source is not None
        body = upload_body(source, progress=Progress(None, "uploading", meter), md5=True)
        assert not hasattr(body, "__len__")
        requests.put(url + "file", data=body, timeout=10)
    seen = behaviour.requests[-1]
    assert seen["headers"].get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in seen["headers"]
    assert seen["body"] == DATA
    assert body.hexdigest() == sha512(DATA)
    assert body.hexdigest("md5") == hashlib.md5(DATA).hexdigest()
    # No total for a pipe: bytes and rate only, and the line cleared at the end.
    assert meter.getvalue().startswith("\r\x1b[Kuploading 1.0 MiB  ")
    assert "left" not in meter.getvalue() and meter.getvalue().endswith("\r\x1b[K")


def test_upload_body_refuses_a_second_send(server: tuple[str, Behaviour],
                                           tmp_path: Path) -> None:
    url, behaviour = server
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    source = open_source(str(path))
    assert source is not None
    body = upload_body(source)
    requests.put(url + "file", data=body, timeout=10)
    with pytest.raises(ImgcliError, match="cannot be sent again"):
        requests.put(url + "file", data=body, timeout=10)
    time.sleep(0.1)  # the server's thread records what the second try sent, if anything
    first, *again = behaviour.requests
    assert first["body"] == DATA
    # The headers of the second try may have gone out, but never a body the server could
    # take for complete: it is shorter than its Content-Length.
    assert all(len(seen["body"]) < len(DATA) for seen in again)


def test_keystoneauth_retry_of_a_stream_raises_instead_of_sending_short(
        tmp_path: Path) -> None:
    """A server that drops the first connection: keystoneauth's connect retry would send
    the body again, from where the first try stopped."""
    from keystoneauth1 import session as ks_session

    seen: list[int] = []

    class Dropper(QuietHandler):
        def do_PUT(self) -> None:
            seen.append(len(self.rfile.read(1000)))
            self.close_connection = True  # no answer at all

    httpd = serve(Dropper)
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    source = open_source(str(path))
    assert source is not None
    try:
        with pytest.raises(ImgcliError, match="cannot be sent again"):
            ks_session.Session().request(
                f"http://127.0.0.1:{httpd.server_address[1]}/file", "PUT",
                data=upload_body(source), connect_retries=1, connect_retry_delay=0.01,
                authenticated=False)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert seen[:1] == [1000]


def test_documented_put_options_override_the_image_adapters_retries(tmp_path: Path) -> None:
    """imgcli's image adapter retries 503s: the upload's own options must switch that off
    (an explicit keyword beats the adapter's default), or the retry refuses to resend."""
    from keystoneauth1 import adapter, session

    puts: list[int] = []

    class Busy(QuietHandler):
        def do_PUT(self) -> None:
            puts.append(len(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

    httpd = serve(Busy)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/file"
    images = adapter.Adapter(session.Session(), connect_retries=2, status_code_retries=2,
                             retriable_status_codes=[503], raise_exc=False)
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)

    def put(**options: Any) -> Any:
        source = open_source(str(path))
        assert source is not None
        return images.put(url, data=upload_body(source), authenticated=False,
                          status_code_retry_delay=0.01, **options)

    try:
        with pytest.raises(ImgcliError, match="cannot be sent again"):
            put()
        reply = put(connect_retries=0, status_code_retries=0, allow_reauth=False,
                    redirect=False)
        assert reply.status_code == 503
        # Two whole bodies, one per put(); the refused retry sent headers at most.
        time.sleep(0.1)
        assert [n for n in puts if n == len(DATA)] == [len(DATA)] * 2
        assert len(puts) <= 3
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_file_that_shrinks_while_sent_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    source = open_source(str(path))
    assert source is not None
    source.size = len(DATA) + 10  # as if it had been truncated after open
    with pytest.raises(ImgcliError, match="shrank while it was being sent"):
        b"".join(upload_body(source))


def sent_body(data: bytes, tmp_path: Path, **kwargs: Any) -> Any:
    path = tmp_path / "disk.img"
    path.write_bytes(data)
    source = open_source(str(path))
    assert source is not None
    body = upload_body(source, **kwargs)
    assert b"".join(body) == data
    return body


def test_check_upload(tmp_path: Path) -> None:
    body = sent_body(DATA, tmp_path, md5=True)
    good = {"size": len(DATA), "os_hash_algo": "sha512", "os_hash_value": sha512(DATA),
            "checksum": hashlib.md5(DATA).hexdigest()}
    assert check_upload(body, good) is None
    with pytest.raises(ApiError, match="Glance's sha512 .* but the data sent hashes to"):
        check_upload(body, {**good, "os_hash_value": sha512(b"other")})
    with pytest.raises(ApiError, match="Glance stored 5 bytes"):
        check_upload(body, {**good, "size": 5})
    # A cloud configured for another algorithm: the md5 checksum still verifies...
    assert check_upload(body, {**good, "os_hash_algo": "sha256", "os_hash_value": "ab"}) is None
    # ...unless it was not computed: then say so.
    plain = sent_body(DATA, tmp_path)
    warning = check_upload(plain, {**good, "os_hash_algo": "sha256", "os_hash_value": "ab"})
    assert warning and "could not be verified" in warning and "sha256" in warning


def test_upload_trace_summary_has_size_and_hash_not_bytes(tmp_path: Path) -> None:
    body = sent_body(b"\x00secret-bytes" * 100, tmp_path)
    summary = body.imgcli_data_summary
    assert summary == describe_data(1300, "application/octet-stream", "sha512",
                                    sha512(b"\x00secret-bytes" * 100))
    assert "secret" not in summary and summary.startswith("<image data: 1300 bytes, ")


# -- download ----------------------------------------------------------------------------------


def test_good_download_is_renamed_into_place(server: tuple[str, Behaviour],
                                             tmp_path: Path) -> None:
    url, _ = server
    dest = tmp_path / "out.img"
    download = prepare_download(str(dest), IMAGE_ID, expected())
    assert download.headers == {}
    response = get(url, download.headers)
    result = download.save(response)
    assert dest.read_bytes() == DATA
    assert result.verified and result.size == len(DATA) and result.resumed_from == 0
    assert result.hexdigest == sha512(DATA)
    assert leftovers(tmp_path) == []
    assert response.imgcli_data_summary == describe_data(  # type: ignore[attr-defined]
        len(DATA), "application/octet-stream", "sha512", sha512(DATA))


@pytest.mark.parametrize("existing", [b"old content\n", None])
def test_flipped_byte_leaves_destination_as_it_was(server: tuple[str, Behaviour],
                                                   tmp_path: Path,
                                                   existing: bytes | None) -> None:
    url, behaviour = server
    behaviour.data = DATA[:1000] + bytes([DATA[1000] ^ 1]) + DATA[1001:]
    dest = tmp_path / "out.img"
    if existing is not None:
        dest.write_bytes(existing)
    download = prepare_download(str(dest), IMAGE_ID, expected())
    with pytest.raises(ApiError) as err:
        download.save(get(url))
    assert "does not match its hash" in str(err.value) and "is unchanged" in str(err.value)
    assert (dest.read_bytes() if dest.exists() else None) == existing
    assert leftovers(tmp_path) == []


def test_cut_short_keeps_partial_then_resume_completes(server: tuple[str, Behaviour],
                                                       tmp_path: Path) -> None:
    url, behaviour = server
    dest = tmp_path / "out.img"
    dest.write_bytes(b"old")
    behaviour.cut_after = BLOCK + 123
    download = prepare_download(str(dest), IMAGE_ID, expected())
    with pytest.raises(ApiError) as err:
        download.save(get(url))
    part = part_path(str(dest), IMAGE_ID)
    assert "broke off" in str(err.value) and "run the same command again" in str(err.value)
    assert part in str(err.value) and download.kept_partial == part
    assert dest.read_bytes() == b"old"
    # What urllib3 handed over before the connection closed: the whole first block (the
    # 123 bytes after it were still in its buffer when it raised).
    kept = Path(part).read_bytes()
    assert DATA.startswith(kept) and BLOCK <= len(kept) <= BLOCK + 123

    behaviour.cut_after = None
    progress = Progress(None, stream=io.StringIO())
    resumed = prepare_download(str(dest), IMAGE_ID, expected(), progress)
    assert resumed.headers == {"Range": f"bytes={len(kept)}-"}
    result = resumed.save(get(url, resumed.headers))
    assert behaviour.requests[-1]["headers"]["Range"] == f"bytes={len(kept)}-"
    assert result.verified and result.resumed_from == len(kept) and result.size == len(DATA)
    assert progress.done == len(DATA) and progress.skipped == len(kept)
    assert dest.read_bytes() == DATA
    assert leftovers(tmp_path) == []


def test_resumed_partial_is_verified_too(server: tuple[str, Behaviour],
                                         tmp_path: Path) -> None:
    """A kept partial file that was damaged on disk fails the whole-file hash."""
    url, _ = server
    dest = tmp_path / "out.img"
    Path(part_path(str(dest), IMAGE_ID)).write_bytes(b"X" + DATA[1:5000])
    download = prepare_download(str(dest), IMAGE_ID, expected())
    assert download.headers == {"Range": "bytes=5000-"}
    with pytest.raises(ApiError, match="does not match its hash"):
        download.save(get(url, download.headers))
    assert not dest.exists() and leftovers(tmp_path) == []


def test_server_ignoring_range_starts_over(server: tuple[str, Behaviour],
                                           tmp_path: Path) -> None:
    url, behaviour = server
    dest = tmp_path / "out.img"
    Path(part_path(str(dest), IMAGE_ID)).write_bytes(DATA[:5000])
    behaviour.honour_range = False
    download = prepare_download(str(dest), IMAGE_ID, expected())
    assert download.headers == {"Range": "bytes=5000-"}
    result = download.save(get(url, download.headers))
    assert result.verified and result.resumed_from == 0 and result.size == len(DATA)
    assert dest.read_bytes() == DATA and leftovers(tmp_path) == []


@pytest.mark.parametrize("change, words", [
    ({"range_shift": 1}, "the server sent bytes 5001-.* when asked for bytes=5000-"),
    ({"status": 404}, "unexpected 404 Not Found instead of the image data"),
])
def test_wrong_answer_to_range_keeps_partial(server: tuple[str, Behaviour], tmp_path: Path,
                                             change: dict[str, Any], words: str) -> None:
    url, behaviour = server
    dest = tmp_path / "out.img"
    part = Path(part_path(str(dest), IMAGE_ID))
    part.write_bytes(DATA[:5000])
    for key, value in change.items():
        setattr(behaviour, key, value)
    download = prepare_download(str(dest), IMAGE_ID, expected())
    with pytest.raises(ApiError, match=words):
        download.save(get(url, download.headers))
    assert part.read_bytes() == DATA[:5000] and download.kept_partial == str(part)
    assert not dest.exists()


def test_a_second_save_of_the_same_image_is_refused_while_one_runs(
        tmp_path: Path) -> None:
    dest = tmp_path / "out.img"
    Path(part_path(str(dest), IMAGE_ID)).write_bytes(DATA[:10])
    first = prepare_download(str(dest), IMAGE_ID, expected())
    with pytest.raises(UsageError, match="another imgcli is already saving"):
        prepare_download(str(dest), IMAGE_ID, expected())
    first.fail(keep=True)
    assert prepare_download(str(dest), IMAGE_ID, expected()).offset == 10


@contextlib.contextmanager
def tiny_filesystem(path: Path, size: str) -> Iterator[bool]:
    """A real tmpfs of `size` when this process may mount one (root in a container usually
    may); yields False when it may not."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(path)], capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(path)], check=False)


def test_full_disk_leaves_destination_and_no_partial(server: tuple[str, Behaviour],
                                                     tmp_path: Path) -> None:
    url, _ = server
    small = tmp_path / "small"
    with tiny_filesystem(small, "1m") as mounted:
        if not mounted:
            pytest.skip("cannot mount a tmpfs here (needs root); test_full_disk_simulated "
                        "covers the same path with a write that fails")
        dest = small / "out.img"
        dest.write_bytes(b"old")
        download = prepare_download(str(dest), IMAGE_ID, expected())
        with pytest.raises(ImgcliError) as err:
            download.save(get(url))
        message = str(err.value)
        assert "no space left" in message and "is unchanged" in message, message
        assert dest.read_bytes() == b"old" and leftovers(small) == []


def test_full_disk_simulated(server: tuple[str, Behaviour], tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The same as above without a tmpfs: the partial file's second write fails ENOSPC."""
    from imgcli.transfer.download import Download

    url, _ = server
    real_open = Download.open_output

    def open_then_fill_up(self: Download) -> None:
        real_open(self)
        writes = iter([True])

        class Full:
            def __getattr__(self, name: str) -> Any:
                return getattr(file, name)

            def write(self, data: Any) -> int:
                if next(writes, False):
                    return file.write(data)
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        file = self.file
        self.file = Full()

    monkeypatch.setattr(Download, "open_output", open_then_fill_up)
    dest = tmp_path / "out.img"
    download = prepare_download(str(dest), IMAGE_ID, expected())
    with pytest.raises(ImgcliError, match="no space left on the device"):
        download.save(get(url))
    assert not dest.exists() and leftovers(tmp_path) == []


def test_full_device_as_destination_is_one_line(server: tuple[str, Behaviour]) -> None:
    url, _ = server
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    download = prepare_download("/dev/full", IMAGE_ID, expected())
    with pytest.raises(ImgcliError, match="to /dev/full failed after 0 bytes: no space left"):
        download.save(get(url))
    assert os.path.exists("/dev/full") and stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_interrupt_mid_body_keeps_partial_and_propagates(server: tuple[str, Behaviour],
                                                         tmp_path: Path) -> None:
    """A real SIGINT while the body is half received (the server holds back the rest)."""
    url, behaviour = server
    behaviour.pause_after = BLOCK + 10
    dest = tmp_path / "out.img"
    dest.write_bytes(b"old")
    part = Path(part_path(str(dest), IMAGE_ID))
    main = threading.main_thread().ident
    assert main == threading.get_ident()

    def interrupt_when_written() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if part.exists() and part.stat().st_size >= BLOCK:
                break
            time.sleep(0.01)
        signal.pthread_kill(main, signal.SIGINT)  # type: ignore[arg-type]

    download = prepare_download(str(dest), IMAGE_ID, expected())
    threading.Thread(target=interrupt_when_written, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        download.save(get(url))
    behaviour.go.set()
    assert dest.read_bytes() == b"old"
    assert download.kept_partial == str(part)
    assert DATA.startswith(part.read_bytes()) and part.stat().st_size >= BLOCK


def test_md5_only_and_no_hash(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, _ = server
    md5_only = Expected.from_image({"checksum": hashlib.md5(DATA).hexdigest()})
    result = prepare_download(str(tmp_path / "a.img"), IMAGE_ID, md5_only).save(get(url))
    assert result.verified and result.algorithm == "md5"
    nothing = Expected.from_image({"os_hash_algo": None, "checksum": None})
    result = prepare_download(str(tmp_path / "b.img"), IMAGE_ID, nothing).save(get(url))
    assert not result.verified and result.hexdigest is None
    assert result.warning and "nothing could be verified" in result.warning
    assert (tmp_path / "b.img").read_bytes() == DATA


@pytest.mark.parametrize("image, want", [
    ({"os_hash_algo": "SHA512", "os_hash_value": "AB", "checksum": "cd", "size": 3},
     Expected("sha512", "ab", 3)),
    ({"os_hash_algo": "no-such-algo", "os_hash_value": "ab", "checksum": "cd"},
     Expected("md5", "cd")),
    ({"os_hash_algo": "sha512", "os_hash_value": None, "checksum": "cd"},
     Expected("md5", "cd")),
    ({"size": True}, Expected()),
])
def test_expected_from_image(image: dict[str, Any], want: Expected) -> None:
    assert Expected.from_image(image) == want


def test_written_bytes_go_to_disk_during_the_download(server: tuple[str, Behaviour],
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """So that the fsync before the rename has little left to wait for."""
    import imgcli.transfer.download as download_module

    url, _ = server
    ranges: list[tuple[int, int]] = []
    monkeypatch.setattr(download_module, "WRITEBACK_EVERY", BLOCK)
    monkeypatch.setattr(download_module, "start_writeback",
                        lambda fd, start, length: ranges.append((start, length)))
    prepare_download(str(tmp_path / "out.img"), IMAGE_ID, expected()).save(get(url))
    assert ranges[0][0] == 0 and len(ranges) >= 2
    assert all(a + n == b for (a, n), (b, _) in zip(ranges, ranges[1:], strict=False))
    assert len(DATA) - BLOCK <= sum(n for _, n in ranges) <= len(DATA)


def test_existing_file_mode_is_kept(server: tuple[str, Behaviour], tmp_path: Path) -> None:
    url, _ = server
    dest = tmp_path / "out.img"
    dest.write_bytes(b"old")
    dest.chmod(0o640)
    prepare_download(str(dest), IMAGE_ID, expected()).save(get(url))
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640 and dest.read_bytes() == DATA


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_stdout_destination(server: tuple[str, Behaviour]) -> None:
    url, behaviour = server
    with pytest.raises(UsageError) as err:
        check_destination(None, FakeTTY())
    assert str(err.value) == TERMINAL
    out = io.BytesIO()
    result = prepare_download(None, IMAGE_ID, expected(), stdout=out).save(get(url))
    assert out.getvalue() == DATA and result.verified
    behaviour.data = DATA[:-1] + b"!"
    with pytest.raises(ApiError, match="written to stdout is NOT the image; discard it"):
        prepare_download("-", IMAGE_ID, expected(), stdout=io.BytesIO()).save(get(url))


def test_destination_checks(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a directory"):
        check_destination(str(tmp_path))
    with pytest.raises(UsageError, match="directory .*/nowhere does not exist"):
        check_destination(str(tmp_path / "nowhere" / "out.img"))
    check_destination(str(tmp_path / "new.img"))
    check_destination(os.devnull)


def test_unwritable_directory_is_refused(shared_dir: Path) -> None:
    locked = shared_dir / "locked"
    locked.mkdir(mode=0o555)
    locked.chmod(0o555)
    dest = str(locked / "out.img")
    try:
        if os.geteuid() != 0:
            with pytest.raises(UsageError, match="is not writable"):
                check_destination(dest)
            return
        assert as_nobody(lambda: check_destination(str(shared_dir / "x"))) \
            .startswith("UsageError: ")  # shared_dir is root's: not writable for nobody either
        outcome = as_nobody(lambda: check_destination(dest))
        assert outcome == f"UsageError: --file {dest}: the directory {locked} is not writable"
        read_only = shared_dir / "read-only.img"
        read_only.write_bytes(b"keep")
        read_only.chmod(0o444)
        assert as_nobody(lambda: check_destination(str(read_only))) == \
            f"UsageError: --file {read_only} is not writable; choose another path"
    finally:
        locked.chmod(0o755)
        locked.rmdir()


# -- progress and trace ------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_is_silent_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(1000, stream=stream)
    progress.advance(500)
    progress.finish()
    assert stream.getvalue() == "" and progress.done == 500


def test_progress_on_a_terminal() -> None:
    stream, clock = FakeTTY(), Clock()
    progress = Progress(4 << 20, "saving", stream=stream, clock=clock)
    clock.now += 1
    progress.advance(1 << 20)
    line = stream.getvalue()
    assert line == "\r\x1b[Ksaving 1.0 MiB of 4.0 MiB (25%)  1.0 MiB/s  0:03 left"
    for _ in range(5):  # within the redraw interval: counted, not drawn
        clock.now += 0.01
        progress.advance(1)
    assert stream.getvalue() == line and progress.done == (1 << 20) + 5
    progress.finish()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_describe_data_without_hash() -> None:
    assert describe_data(10, None, None, None, complete=False) == \
        "<image data: 10 bytes (cut short), not hashed>"


# -- additions for the commands: a named pipe, a terminal by path, the import status line -----


def test_a_named_pipe_is_peeked_at_so_that_empty_is_known_before_sending(
        tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    for data in (b"", DATA):
        os.mkfifo(fifo)
        writer = threading.Thread(target=fifo.write_bytes, args=(data,), daemon=True)
        writer.start()
        source = open_source(str(fifo))
        assert source is not None and source.size is None
        assert source.empty == (data == b"")
        assert bytes(source.first) + source.file.read() == data
        source.close()
        writer.join(5)
        fifo.unlink()


def test_a_terminal_named_as_the_destination_is_refused() -> None:
    leader, follower = os.openpty()
    try:
        with pytest.raises(UsageError) as err:
            check_destination(os.ttyname(follower))
        assert str(err.value) == TERMINAL
    finally:
        os.close(leader)
        os.close(follower)
    check_destination(os.devnull)  # a device that is not a terminal is written straight


def test_status_line_redraws_on_a_terminal_only() -> None:
    from imgcli.transfer import StatusLine

    tty, pipe = FakeTTY(), io.StringIO()
    for stream in (tty, pipe):
        line = StatusLine(stream)
        line.show("importing image x: importing (0 s)")
        line.show("importing image x: active (1 s)")
        line.finish()
    assert tty.getvalue() == ("\r\x1b[Kimporting image x: importing (0 s)"
                              "\r\x1b[Kimporting image x: active (1 s)\r\x1b[K")
    assert pipe.getvalue() == ""
