"""imgcli.transfer.sources and readers: the stackable readers (tap, decompressor, read-ahead),
the URL source, and the upload body's rule that the last block waits for the data's checks."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import os
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from imgcli.errors import ImgcliError, UsageError
from imgcli.transfer import sources
from imgcli.transfer.readers import (
    BLOCK,
    ChecksumMismatch,
    CorruptData,
    DataError,
    Decompressed,
    ReadAhead,
    Tap,
    compression,
)
from imgcli.transfer.sources import Source, decompressed, open_source, read_ahead, tapped
from imgcli.transfer.upload import upload_body

# 3.5 MiB: incompressible and compressible parts, not a multiple of the block.
DATA = os.urandom(BLOCK) + bytes(BLOCK) + b"imgcli " * (BLOCK // 7) + os.urandom(BLOCK // 2)


def zstd_compress(data: bytes) -> bytes:
    zstd = pytest.importorskip("backports.zstd")
    return zstd.compress(data)


# The fastest levels: the tests are about streams, not ratios.
COMPRESSORS = {"gzip": lambda data: gzip.compress(data, 1),
               "bzip2": lambda data: bz2.compress(data, 1),
               "xz": lambda data: lzma.compress(data, format=lzma.FORMAT_XZ, preset=0),
               "zstd": zstd_compress}


class Bytes:
    """A reader over bytes that gives at most `step` bytes a read (as a pipe does)."""

    def __init__(self, data: bytes, step: int = 65536) -> None:
        self.file, self.step, self.closed = io.BytesIO(data), step, False

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        return self.file.readinto(view[:self.step])

    def close(self) -> None:
        self.closed = True


def read_all(reader: Any) -> bytes:
    out = bytearray()
    while block := sources.fill_block(reader):
        out += block
    return bytes(out)


# -- formats -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", sorted(COMPRESSORS))
def test_each_format_is_found_from_its_first_bytes_and_decompressed_whole(fmt: str) -> None:
    packed = COMPRESSORS[fmt](DATA)
    assert compression(packed[:6]) == fmt
    assert read_all(Decompressed(Bytes(packed), fmt, "x")) == DATA


@pytest.mark.parametrize("head", [b"", b"\x1f", b"QFI\xfb", b"\x00" * 8, b"BZ", b"hello"])
def test_other_data_is_not_taken_for_compressed(head: bytes) -> None:
    assert compression(head) is None


@pytest.mark.parametrize("fmt", ["gzip", "bzip2", "xz"])
def test_concatenated_streams_and_zero_padding_are_one_image(fmt: str) -> None:
    pack = COMPRESSORS[fmt]
    packed = pack(DATA[:1000]) + pack(DATA[1000:]) + (b"\0" * 8 if fmt == "xz" else b"")
    assert read_all(Decompressed(Bytes(packed), fmt, "x")) == DATA


@pytest.mark.parametrize("fmt", sorted(COMPRESSORS))
def test_a_truncated_stream_fails_on_the_read_that_finds_its_end(fmt: str) -> None:
    packed = COMPRESSORS[fmt](DATA)
    reader = Decompressed(Bytes(packed[:len(packed) - 10]), fmt, "disk.img")
    with pytest.raises(CorruptData) as caught:
        read_all(reader)
    assert isinstance(caught.value, DataError)
    assert "disk.img" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("fmt", ["gzip", "bzip2", "xz"])
def test_a_corrupt_byte_or_trailing_garbage_is_corrupt_data(fmt: str) -> None:
    packed = bytearray(COMPRESSORS[fmt](DATA))
    packed[len(packed) // 2] ^= 0xFF
    with pytest.raises(CorruptData):
        read_all(Decompressed(Bytes(bytes(packed)), fmt, "x"))
    garbage = COMPRESSORS[fmt](DATA) + b"not a stream"
    with pytest.raises(CorruptData):
        read_all(Decompressed(Bytes(garbage), fmt, "x"))


def test_zstd_without_its_package_is_one_line_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_zstd(name: str, *args: Any, **kwargs: Any) -> Any:
        if name in ("compression", "backports") or name.startswith("backports."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_zstd)
    with pytest.raises(ImgcliError) as caught:
        Decompressed(Bytes(b"\x28\xb5\x2f\xfd"), "zstd", "x")
    assert "backports.zstd" in str(caught.value) and "zstd -dc" in str(caught.value)


# -- the tap -----------------------------------------------------------------------------------

@pytest.mark.parametrize("algorithm", ["sha256", "sha512", "sha1", "md5"])
def test_the_tap_passes_the_bytes_and_checks_them_at_the_end(algorithm: str) -> None:
    good = hashlib.new(algorithm, DATA).hexdigest()
    assert read_all(Tap(Bytes(DATA), algorithm, good.upper(), "x")) == DATA


def test_a_mismatch_is_raised_by_the_read_that_finds_the_end_not_before() -> None:
    tap = Tap(Bytes(DATA), "sha256", "0" * 64, "disk.img.xz")
    got = 0
    buffer = bytearray(BLOCK)
    while got < len(DATA):
        got += tap.readinto(buffer)  # every byte comes out first
    with pytest.raises(ChecksumMismatch) as caught:
        tap.readinto(buffer)
    message = str(caught.value)
    assert hashlib.sha256(DATA).hexdigest() in message and "0" * 64 in message


def test_tapped_then_decompressed_hashes_the_compressed_bytes(tmp_path: Path) -> None:
    packed = gzip.compress(DATA)
    path = tmp_path / "disk.img.gz"
    path.write_bytes(packed)
    source = decompressed(tapped(open_source(str(path)), "sha256",  # type: ignore[arg-type]
                                 hashlib.sha256(packed).hexdigest()))
    assert source.size is None and source.bottom.name == str(path)
    assert read_all(source.file) == DATA
    assert source.bottom_read == len(packed)


def test_decompressing_data_that_is_not_compressed_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    source = open_source(str(path))
    with pytest.raises(UsageError) as caught:
        decompressed(source)  # type: ignore[arg-type]
    assert "not gzip, bzip2, xz or zstd" in str(caught.value)


def test_peeking_at_a_file_leaves_its_position_and_a_pipe_keeps_the_bytes(
        tmp_path: Path) -> None:
    path = tmp_path / "disk.img.xz"
    path.write_bytes(lzma.compress(DATA, preset=0))
    source = open_source(str(path))
    assert source is not None and sources.looks_compressed(source) == "xz"
    assert source.file.tell() == 0 and source.first == b""  # type: ignore[union-attr]
    piped = Source("stdin", Bytes(gzip.compress(DATA, 1)), None, kind="stdin")
    assert sources.looks_compressed(piped) == "gzip"
    assert read_all(decompressed(piped).file) == DATA  # the peeked bytes were not lost


# -- read-ahead --------------------------------------------------------------------------------

def test_read_ahead_gives_the_same_bytes_and_the_error_where_it_happened() -> None:
    assert read_all(ReadAhead(Bytes(DATA))) == DATA
    ahead = ReadAhead(Tap(Bytes(DATA), "md5", "0" * 32, "x"))
    with pytest.raises(ChecksumMismatch):
        read_all(ahead)


def test_closing_a_read_ahead_stops_its_thread_and_closes_what_it_reads() -> None:
    inner = Bytes(DATA * 4)
    ahead = ReadAhead(inner, depth=1)
    ahead.readinto(bytearray(10))
    ahead.close()
    assert inner.closed and not ahead.thread.is_alive()


# -- the upload body holds its last block back -------------------------------------------------

@pytest.mark.parametrize("sized", [True, False])
def test_the_last_block_is_never_sent_when_the_data_fails_at_its_end(sized: bool) -> None:
    source = Source("disk.img", Tap(Bytes(DATA), "sha256", "0" * 64, "disk.img"),
                    len(DATA) if sized else None)
    sent: list[int] = []
    with pytest.raises(ChecksumMismatch):
        for block in upload_body(source):
            sent.append(len(block))
    # The last block (the half MiB after 3 MiB) never went: Glance cannot store the image.
    assert 0 < sum(sent) <= len(DATA) - len(DATA) % BLOCK


def test_a_good_body_sends_everything_with_each_hash() -> None:
    source = Source("disk.img", Tap(Bytes(DATA), "sha1", hashlib.sha1(DATA).hexdigest(), "d"),
                    len(DATA))
    body = upload_body(source, extra=("md5", "sha256"))
    assert b"".join(bytes(block) for block in body) == DATA
    assert body.hexdigest("sha256") == hashlib.sha256(DATA).hexdigest()
    assert body.hexdigest("md5") == hashlib.md5(DATA).hexdigest()
    assert body.hexdigest() == hashlib.sha512(DATA).hexdigest()


def test_a_file_that_grows_while_it_is_sent_stops_the_upload(tmp_path: Path) -> None:
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    source = open_source(str(path))
    assert source is not None
    with path.open("ab") as more:
        more.write(b"appended")
    with pytest.raises(ImgcliError) as caught:
        b"".join(upload_body(source))
    assert "grew while it was being sent" in str(caught.value)


# -- URLs --------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, words", [
    ("ftp://host/disk.img", "ftp:// is not supported"),
    ("file:///etc/passwd", "file:// is not supported"),
    ("disk.img", "no scheme is not supported"),
    ("http:///disk.img", "has no host"),
])
def test_only_http_and_https_urls_are_taken(url: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        sources.check_url(url)
    assert words in str(caught.value)


def test_a_url_is_streamed_with_its_length_and_no_cloud_credentials(requests_mock: Any) -> None:
    requests_mock.get(re.compile(r"https://(user:pw@)?images\.example/disk\.img"), content=DATA,
                      headers={"Content-Length": str(len(DATA))})
    source = sources.open_url("https://user:pw@images.example/disk.img?sig=secret")
    assert (source.kind, source.size) == ("url", len(DATA))
    assert source.name == "https://images.example/disk.img"  # no password, no query
    assert read_all(read_ahead(source).file) == DATA
    sent = requests_mock.request_history[0]
    assert "X-Auth-Token" not in sent.headers
    assert sent.headers["Accept-Encoding"] == "identity"


def test_a_redirect_is_followed(requests_mock: Any) -> None:
    requests_mock.get("http://a.example/latest", status_code=302,
                      headers={"Location": "http://b.example/disk-1.2.img"})
    requests_mock.get("http://b.example/disk-1.2.img", content=b"data")
    assert read_all(sources.open_url("http://a.example/latest").file) == b"data"


@pytest.mark.parametrize("status", [403, 404, 500])
def test_an_error_status_is_one_line_before_anything_is_read(requests_mock: Any,
                                                             status: int) -> None:
    requests_mock.get("http://a.example/disk.img?token=abc", status_code=status)
    with pytest.raises(ImgcliError) as caught:
        sources.open_url("http://a.example/disk.img?token=abc")
    message = str(caught.value)
    assert f"answered {status}" in message and "abc" not in message
    assert not isinstance(caught.value, UsageError)


def test_a_body_shorter_than_its_length_fails_at_its_end() -> None:
    class Raw:
        def __init__(self) -> None:
            self.file = io.BytesIO(b"x" * 100)

        def readinto(self, buffer: Any) -> int:
            return self.file.readinto(buffer)

    class Response:
        raw = Raw()

        def close(self) -> None:
            pass

    reader = sources.URLReader(Response(), 200, "--url http://a/b")
    with pytest.raises(DataError) as caught:
        read_all(reader)
    assert "broke off after 100 of 200 bytes" in str(caught.value)


def test_the_read_ahead_thread_is_a_daemon() -> None:
    ahead = ReadAhead(Bytes(b""))
    assert ahead.thread.daemon and ahead.thread is not threading.main_thread()
    assert read_all(ahead) == b""


def test_the_meter_counts_both_ends_of_a_stacked_source() -> None:
    from imgcli.progress import Progress

    packed = gzip.compress(DATA, 1)
    source = decompressed(Source("--url http://a/b", Bytes(packed), len(packed), kind="url"))
    meter = Progress(None, "uploading", io.StringIO())
    meter.reading("the URL", len(packed))
    body = upload_body(read_ahead(source), progress=meter)
    assert b"".join(bytes(block) for block in body) == DATA
    assert (meter.done, meter.read) == (len(DATA), len(packed))
    line = meter.line(meter.started + 1)
    assert "sent" in line and "read from the URL" in line and "(100%)" in line
