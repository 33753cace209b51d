"""Stackable readers for image data on its way up: each wraps another reader and is one.

A reader is any object with `readinto(buffer) -> int` (0 only at the end of the data) and
`close()`: a file opened unbuffered, urllib3's response (`requests.Response.raw`), or one of
these. sources.py stacks them into a Source; UploadBody (upload.py) reads the top one.

- `Chain`: bytes already read (a peek) and then the reader they came from; counts bytes.
- `Tap`: hashes every byte as it passes; at the end of the data, a hash other than the
  expected one raises ChecksumMismatch from that last read.
- `Decompressed`: gzip, bzip2, xz (the standard library's decompressor objects) or zstd
  (compression.zstd, or its backport when installed), block by block, concatenated streams
  included; a truncated or corrupt stream raises CorruptData.
- `ReadAhead`: the reader below (with its hashing and decompressing) on a thread, a few
  blocks ahead, so that it runs beside the upload instead of between its blocks.

Every error is raised from readinto(), as a one-line ImgcliError, never later: the data is
wrong before its last byte is handed on (the rule UploadBody relies on, see upload.py).

Imports: the standard library (zlib, bz2, lzma only for compressed data), imgcli.errors;
backports.zstd (the `zstd` extra) only for zstd data on Python < 3.14.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from typing import Any, Protocol

from imgcli.errors import ImgcliError

BLOCK = 1 << 20  # hashing.BLOCK: the size of every block read, decompressed or sent
AHEAD = 4  # blocks a ReadAhead keeps ready: a few MiB of memory whatever the image size

# The first bytes of each format (its magic number) and the tools' file suffixes.
MAGIC = {"gzip": b"\x1f\x8b", "bzip2": b"BZh", "xz": b"\xfd7zXZ\x00", "zstd": b"\x28\xb5\x2f\xfd"}
PEEK = max(len(magic) for magic in MAGIC.values())


class Reader(Protocol):
    def readinto(self, buffer: Any) -> int: ...

    def close(self) -> None: ...


class DataError(ImgcliError):
    """The data itself failed (not the cloud): raised by a reader while it is read."""


class ChecksumMismatch(DataError):
    """The data read does not hash to what --expect-checksum says."""


class CorruptData(DataError):
    """Compressed data that is truncated or not valid in its format."""


def fill(reader: Reader, view: memoryview) -> int:
    """Read until `view` is full or the data ends; how many bytes were read."""
    got = 0
    while got < len(view):
        n = reader.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def compression(head: bytes | memoryview) -> str | None:
    """The format whose magic number `head` (the data's first bytes) starts with, if any."""
    data = bytes(head[:PEEK])
    return next((name for name, magic in MAGIC.items() if data.startswith(magic)), None)


class Chain:
    """`first` (bytes already read from `file`), then the rest of `file`; counts bytes."""

    def __init__(self, first: bytes | memoryview, file: Reader) -> None:
        self.first = memoryview(first)
        self.file = file
        self.count = 0

    def readinto(self, buffer: Any) -> int:
        if self.first:
            n = min(len(buffer), len(self.first))
            buffer[:n] = self.first[:n]
            self.first = self.first[n:]
        else:
            n = self.file.readinto(buffer)
        self.count += n
        return n

    def close(self) -> None:
        self.file.close()


class Tap:
    """Hashes the bytes read through it; at the end of the data (the read that returns 0),
    compares the hash with `expected` and raises ChecksumMismatch when they differ."""

    def __init__(self, file: Reader, algorithm: str, expected: str, name: str) -> None:
        self.file = file
        self.algorithm, self.expected, self.name = algorithm, expected.lower(), name
        self.hash = hashlib.new(algorithm)
        self.count = 0
        self.checked = False

    def readinto(self, buffer: Any) -> int:
        n = self.file.readinto(buffer)
        if n:
            self.hash.update(memoryview(buffer)[:n])  # releases the GIL for a large block
            self.count += n
            return n
        if not self.checked:
            self.checked = True
            actual = self.hash.hexdigest()
            if actual != self.expected:
                raise ChecksumMismatch(
                    f"{self.name} does not match --expect-checksum: its {self.algorithm} is "
                    f"{actual}, expected {self.expected} ({self.count} bytes read)")
        return 0

    def close(self) -> None:
        self.file.close()


class Inflate:
    """zlib's gzip decompressor with the interface of lzma's and bz2's (needs_input, eof,
    unused_data, decompress(data, max_length)): zlib keeps the input it could not use
    in unconsumed_tail instead of inside."""

    def __init__(self) -> None:
        import zlib

        self.zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)  # 16: a gzip header and trailer
        self.needs_input = True

    @property
    def eof(self) -> bool:
        return self.zlib.eof

    @property
    def unused_data(self) -> bytes:
        return self.zlib.unused_data

    def decompress(self, data: bytes, max_length: int) -> bytes:
        out = self.zlib.decompress(self.zlib.unconsumed_tail + data, max_length)
        # Output cut at max_length may leave some inside zlib: ask again before reading more.
        self.needs_input = not self.zlib.unconsumed_tail and len(out) < max_length
        return out


def decompressor(fmt: str) -> Any:
    """A new decompressor object (imported only for compressed data)."""
    if fmt == "gzip":
        return Inflate()
    if fmt == "bzip2":
        import bz2

        return bz2.BZ2Decompressor()
    if fmt == "xz":
        import lzma

        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    return zstd_module().ZstdDecompressor()


def zstd_module() -> Any:
    """compression.zstd (Python 3.14) or its backport, imported only for zstd data."""
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        try:
            from backports import zstd  # type: ignore[import-not-found,no-redef]
        except ImportError:
            raise ImgcliError("zstd data needs the backports.zstd package on Python < 3.14 "
                              "(pip install 'imgcli[zstd]'), or decompress it first: "
                              "zstd -dc FILE | imgcli image create ... --file -") from None
    return zstd


class Decompressed:
    """The decompressed bytes of `file`, which holds `fmt` data (one stream or several
    concatenated, as `cat a.gz b.gz` or pxz make; zero bytes between them are padding)."""

    def __init__(self, file: Reader, fmt: str, name: str) -> None:
        self.file, self.fmt, self.name = file, fmt, name
        self.errors = decompression_errors(fmt)
        self.engine = decompressor(fmt)
        self.pending = b""  # compressed bytes read but not given to the engine yet
        self.consumed = 0  # compressed bytes read
        self.ended = False

    def readinto(self, buffer: Any) -> int:
        out = self.read_block(len(buffer))
        buffer[:len(out)] = out
        return len(out)

    def read_block(self, size: int) -> memoryview:
        """Up to `size` decompressed bytes in a new object (b"" only at the end): what
        ReadAhead takes without copying them into a buffer of its own."""
        while not self.ended:
            try:
                out = self._step(size)
            except self.errors as exc:
                raise CorruptData(f"{self.name} is not valid {self.fmt} data (after "
                                  f"{self.consumed} compressed bytes: {exc})") from None
            if out:
                return memoryview(out)
        return memoryview(b"")

    def _step(self, want: int) -> bytes:
        if self.engine.eof:  # one stream ended: more data is padding or the next stream
            self.pending = self.engine.unused_data + self.pending
            self.pending = self.pending.lstrip(b"\0")
            if not self.pending and not self._read():
                self.ended = True
                return b""
            if self.pending.lstrip(b"\0"):
                self.engine = decompressor(self.fmt)
            return b""
        data = b""
        if self.engine.needs_input:
            if not self.pending and not self._read():
                raise CorruptData(f"{self.name} ends in the middle of its {self.fmt} data "
                                  f"(truncated after {self.consumed} compressed bytes)")
            data, self.pending = self.pending, b""
        return self.engine.decompress(data, max_length=want)

    def _read(self) -> bool:
        block = bytearray(BLOCK)
        n = self.file.readinto(block)
        self.consumed += n
        self.pending = bytes(memoryview(block)[:n])
        return n > 0

    def close(self) -> None:
        self.file.close()


def decompression_errors(fmt: str) -> tuple[type[BaseException], ...]:
    import lzma
    import zlib

    errors: tuple[type[BaseException], ...] = (OSError, EOFError, ValueError, zlib.error,
                                               lzma.LZMAError)
    if fmt == "zstd":
        errors += (zstd_module().ZstdError,)
    return errors


class ReadAhead:
    """Reads `file` on a thread, up to AHEAD blocks before they are asked for; readinto()
    hands them out, and raises the thread's error where the data ended.

    The thread is a daemon: an interrupted upload never waits for it (it may be blocked in
    a read from a pipe or a socket); close() tells it to stop."""

    def __init__(self, file: Reader, depth: int = AHEAD) -> None:
        self.file = file
        self.queue: queue.Queue[Any] = queue.Queue(depth)
        self.stopping = threading.Event()
        self.current = memoryview(b"")
        self.ended = False
        self.thread = threading.Thread(target=self._work, name="imgcli-read", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        read_block = getattr(self.file, "read_block", None)
        try:
            while not self.stopping.is_set():
                if read_block is not None:  # a new object each time: no copy needed
                    block = read_block(BLOCK)
                else:
                    block = memoryview(bytearray(BLOCK))
                    block = block[:fill(self.file, block)]
                self._put(block)
                if not block:
                    return
        except BaseException as exc:  # handed to the reader, raised there
            self._put(exc)

    def _put(self, item: Any) -> None:
        while not self.stopping.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def readinto(self, buffer: Any) -> int:
        block = self.read_block(len(buffer))
        buffer[:len(block)] = block
        return len(block)

    def read_block(self, size: int) -> memoryview:
        """Up to `size` bytes of the next block, without a copy (the blocks are never
        written to again, so a hashing thread may keep them); empty only at the end."""
        while not self.current:
            if self.ended:
                return memoryview(b"")
            item = self.queue.get()  # a signal interrupts the wait (POSIX lock acquire)
            if isinstance(item, BaseException):
                self.ended = True
                raise item
            if not item:
                self.ended = True
                return memoryview(b"")
            self.current = memoryview(item)
        block, self.current = self.current[:size], self.current[size:]
        return block

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=1)
        self.file.close()
