"""Image data going up: where it comes from, and the streamed PUT body that hashes it."""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from imgcli.errors import ApiError, ImgcliError, UsageError
from imgcli.transfer.hashing import BLOCK, DEFAULT_ALGORITHM, Hasher, describe_data, hex_prefix
from imgcli.transfer.progress import Progress

REPLAYED = ("internal error: the image data was already sent once and a stream cannot be "
            "sent again (the upload must be made with no retries and no redirects)")


@dataclass
class Source:
    """Where the image data comes from: a file, or stdin."""

    name: str  # the path as given, or "stdin": for messages
    file: BinaryIO  # unbuffered, read from its current position
    size: int | None  # a regular file's size (Content-Length); None for a pipe (chunked)
    first: bytes | memoryview = b""  # what peeking at a pipe read: sent before the rest

    @property
    def empty(self) -> bool:
        """Nothing to send: a 0-byte file, or a pipe that was at its end when peeked at."""
        return self.size == 0 if self.size is not None else not self.first

    def close(self) -> None:
        self.file.close()


def open_source(path: str | None, stdin: BinaryIO | Any = None) -> Source | None:
    """The data to upload, opened now so that a bad path fails before any request.

    path: a file (or a pipe such as `<(xz -dc x.xz)`), "-" for stdin, or None, which
    takes stdin when it is neither a terminal nor closed nor empty (openstackclient's
    rule, except that an empty stdin uploads nothing). None when there is nothing to send.
    """
    if path is not None and path != "-":
        return open_file(path)
    stdin = sys.stdin if stdin is None else stdin
    explicit = path == "-"
    try:
        fd = stdin.fileno()
        os.fstat(fd)
    except (OSError, ValueError, AttributeError):  # `<&-`, or a stdin with no descriptor
        if explicit:
            raise UsageError("--file -: stdin is closed; pipe the image data in") from None
        return None
    if os.isatty(fd):
        if explicit:
            raise UsageError("--file -: stdin is a terminal; pipe the image data in, "
                             "or give --file a path")
        return None
    return open_stdin(fd)


def open_stdin(fd: int) -> Source | None:
    """stdin redirected from a file knows its size; a pipe is peeked at by reading the
    first block, which is kept and sent first. None when it holds nothing."""
    file = open(fd, "rb", buffering=0, closefd=False)  # stdin itself stays open
    info = os.fstat(fd)
    if stat.S_ISREG(info.st_mode):
        size = max(info.st_size - os.lseek(fd, 0, os.SEEK_CUR), 0)
        return Source("stdin", file, size) if size else None
    try:
        first = fill_block(file)
    except OSError as exc:
        raise UsageError(f"cannot read stdin: {exc.strerror or exc}") from None
    return Source("stdin", file, None, first) if first else None


def open_file(path: str) -> Source:
    try:
        file = open(path, "rb", buffering=0)  # Source.close() closes it
        info = os.fstat(file.fileno())
    except OSError as exc:
        raise UsageError(unreadable(path, exc)) from None
    if stat.S_ISDIR(info.st_mode):
        file.close()
        raise UsageError(f"--file {path} is a directory; give the path of an image file")
    if stat.S_ISREG(info.st_mode):
        return Source(path, file, info.st_size)
    # A pipe such as <(xz -dc x.xz): peeked at like stdin, so that an empty one is known
    # before any request.
    try:
        first = fill_block(file)
    except OSError as exc:
        file.close()
        raise UsageError(unreadable(path, exc)) from None
    return Source(path, file, None, first)


def unreadable(path: str, exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return f"--file {path}: no such file; check the path"
    if exc.errno == errno.EISDIR:
        return f"--file {path} is a directory; give the path of an image file"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"--file {path}: permission denied; make it readable for this user"
    return f"--file {path}: cannot read it: {exc.strerror or exc}"


def fill_block(file: BinaryIO, size: int = BLOCK) -> memoryview:
    """Up to `size` bytes in a fresh buffer (a pipe gives 64 KiB a read): fewer only at EOF."""
    view = memoryview(bytearray(size))
    got = 0
    while got < size:
        n = file.readinto(view[got:])  # type: ignore[attr-defined]
        if not n:
            break
        got += n
    return view[:got]


class UploadBody:
    """The PUT body (`data=`): the source in 1 MiB blocks, hashed on a second thread as
    they go, each block read once and never copied into a growing buffer.

    requests sends an iterable as-is; an object with __len__ (SizedUploadBody) gets a
    Content-Length, one without gets Transfer-Encoding: chunked. A stream can be sent
    once only: send the PUT with connect_retries=0, status_code_retries=0,
    allow_reauth=False and redirect=False (keystoneauth would replay it otherwise); a
    second iteration raises instead of sending a short body.
    """

    def __init__(self, source: Source, algorithm: str = DEFAULT_ALGORITHM,
                 progress: Progress | None = None, md5: bool = False) -> None:
        self.source = source
        self.algorithm = algorithm = algorithm.lower()
        self.progress = progress
        self.algorithms = (algorithm, "md5") if md5 and algorithm != "md5" else (algorithm,)
        self.bytes_sent = 0
        self.complete = False
        self._digests: dict[str, str] | None = None
        self._blocks: Iterator[memoryview] | None = None

    def __bool__(self) -> bool:
        return True  # keystoneauth's debug log asks `if data:`; a 0-byte file is still a body

    def __repr__(self) -> str:
        return f"<image data from {self.source.name}>"  # what keystoneauth's debug log shows

    def __iter__(self) -> Iterator[memoryview]:
        if self._blocks is not None:
            raise ImgcliError(REPLAYED)
        self._blocks = self._send()
        return self._blocks

    def _send(self) -> Iterator[memoryview]:
        hasher = Hasher(*self.algorithms)
        try:
            for block in self._read():
                hasher.update(block)
                yield block
                self.bytes_sent += len(block)  # back here: http.client has sent it
                if self.progress:
                    self.progress.advance(len(block))
            self._digests = hasher.digests()
            self.complete = True
        finally:
            hasher.close()
            if self.progress:
                self.progress.finish()

    def _read(self) -> Iterator[memoryview]:
        if self.source.first:
            yield memoryview(self.source.first)  # no copy: a view of the peeked block
        while block := self._read_block():
            yield block

    def _read_block(self, size: int = BLOCK) -> memoryview:
        try:
            return fill_block(self.source.file, size)
        except OSError as exc:  # not OSError: urllib3 would take it for a network failure
            raise ImgcliError(f"reading {self.source.name} failed after {self.bytes_sent} "
                              f"bytes: {exc.strerror or exc}") from None

    @property
    def started(self) -> bool:
        """The transport began reading the body: a failure now is one mid-upload."""
        return self._blocks is not None

    def hexdigest(self, algorithm: str | None = None) -> str:
        """The hash of every byte sent; only once the whole body has gone."""
        if self._digests is None:
            raise ImgcliError("internal error: the image data has not all been sent")
        return self._digests[algorithm or self.algorithm]

    @property
    def imgcli_data_summary(self) -> str:
        """The trace's text for this body (the trace reads this attribute by name)."""
        digest = self._digests.get(self.algorithm) if self._digests else None
        return describe_data(self.bytes_sent, "application/octet-stream",
                             self.algorithm, digest, self.complete)

    def close(self) -> None:
        """Stop the hashing thread if the PUT failed before the body was read to its end."""
        if self._blocks is not None:
            self._blocks.close()  # type: ignore[attr-defined]


class SizedUploadBody(UploadBody):
    """A regular file: exactly `size` bytes, announced in Content-Length."""

    def __len__(self) -> int:
        return self.source.size or 0

    def _read(self) -> Iterator[memoryview]:
        size = self.source.size or 0
        left = size
        while left > 0:
            block = self._read_block(min(BLOCK, left))
            if not block:
                raise ImgcliError(f"{self.source.name} shrank while it was being sent "
                                  f"({size - left} of {size} bytes); the upload is incomplete")
            left -= len(block)
            yield block
        # Bytes appended meanwhile are not sent: Content-Length already promised `size`.


def upload_body(source: Source, algorithm: str = DEFAULT_ALGORITHM,
                progress: Progress | None = None, md5: bool = False) -> UploadBody:
    """The body for `PUT /v2/images/{id}/file` (or `/stage`): sized for a regular file."""
    body_class = SizedUploadBody if source.size is not None else UploadBody
    return body_class(source, algorithm, progress, md5)


def check_upload(body: UploadBody, image: Mapping[str, Any]) -> str | None:
    """After the PUT: compare what was sent with the record Glance now shows.

    Raises ApiError when they differ (the caller deletes the image and says so); returns
    a warning when nothing could be compared, None when the data is verified.
    """
    size = image.get("size")
    if isinstance(size, int) and size != body.bytes_sent:
        raise ApiError(f"Glance stored {size} bytes of image data but {body.bytes_sent} "
                       "were sent")
    algo, value = image.get("os_hash_algo"), image.get("os_hash_value")
    if isinstance(algo, str) and algo.lower() in body.algorithms and value:
        compare(algo.lower(), body.hexdigest(algo.lower()), str(value))
        return None
    checksum = image.get("checksum")
    if "md5" in body.algorithms and checksum:
        compare("md5", body.hexdigest("md5"), str(checksum))
        return None
    if algo:
        return (f"the upload could not be verified: Glance hashed the data with {algo}, "
                f"imgcli with {body.algorithm}")
    return "the upload could not be verified: Glance reports no hash for the image data"


def compare(algorithm: str, sent: str, stored: str) -> None:
    if sent.lower() != stored.lower():
        raise ApiError(f"Glance's {algorithm} of the image data is {hex_prefix(stored)} but the "
                       f"data sent hashes to {hex_prefix(sent)}")
