"""Where image data comes from, for every upload: `image create`, `image stage`, and a copy
from another cloud. Opening costs no request to the cloud (a URL costs its own GET), so a
bad source is found before anything is created.

A `Source` is what UploadBody (upload.py) sends:

    name   for messages: the path as given, "stdin", the URL without its secrets, or what
           a caller chooses ("image 3f2a… in cloud east")
    file   any reader: `readinto(buffer) -> int` (0 only at the end) and `close()`, e.g. a
           file opened unbuffered or urllib3's response (`requests.Response.raw`)
    size   the bytes `file` will give (the PUT's Content-Length), or None (chunked)
    first  bytes already read from `file` to peek at it, sent before it
    kind   "file", "pipe", "stdin", "url", or the caller's word ("image" for a copy)
    below  the Source this one was stacked on (None at the bottom)

Openers (raise UsageError, exit 2, for what the user must fix; ImgcliError for a URL that
failed):

    open_source(path | "-" | None, stdin)   a regular file, a FIFO, or stdin
    open_url(url, timeout=, verify=)        an HTTP(S) GET, redirects followed, body streamed

Stacking, bottom to top, each returning a new Source over the old one:

    tapped(source, "sha256", hexdigest)     hashes the bytes as read (before decompression);
                                            a mismatch raises ChecksumMismatch at the end
    decompressed(source)                    gzip/bzip2/xz/zstd from the first bytes; a
                                            UsageError when the data is not compressed
    read_ahead(source)                      the reading, hashing and decompressing below on
                                            a thread, beside the upload

Every error comes out of `file.readinto()` before the read that returns 0 completes, and
UploadBody sends its last block only after that read: Glance never receives the last byte of
data found wrong (see upload.py). A copy between clouds wraps the other cloud's download:
`tapped(Source(name, response.raw, size, kind="image"), algo, its os_hash_value)`.

Imports: the standard library, imgcli.errors, imgcli.transfer.readers; requests and
imgcli.transport inside open_url().
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from imgcli.errors import ImgcliError, UsageError
from imgcli.transfer.readers import (
    BLOCK,
    PEEK,
    Chain,
    DataError,
    Decompressed,
    ReadAhead,
    Reader,
    Tap,
    compression,
    fill,
)

SCHEMES = ("http", "https")


@dataclass
class Source:
    """Image data to upload; see the module's docstring."""

    name: str
    file: Reader | BinaryIO
    size: int | None
    first: bytes | memoryview = b""
    kind: str = "file"
    below: Source | None = None
    chain: Chain | None = None  # set by reader(): counts what was read of this Source

    @property
    def bottom_read(self) -> int:
        """Bytes read so far from the Source as opened (a URL's body, a compressed file),
        when something is stacked on it; 0 otherwise."""
        chain = self.bottom.chain
        return chain.count if chain is not None else 0

    @property
    def empty(self) -> bool:
        """Nothing to send: a 0-byte file, or a pipe that was at its end when peeked at."""
        return self.size == 0 if self.size is not None else not self.first

    @property
    def bottom(self) -> Source:
        """The Source as opened, under every stacked one."""
        return self.below.bottom if self.below is not None else self

    def reader(self) -> Reader:
        """`first`, then `file`: what a Source stacked on this one reads."""
        self.chain = Chain(self.first, self.file)  # type: ignore[arg-type]
        return self.chain

    def close(self) -> None:
        self.file.close()


# -- files, pipes, stdin ----------------------------------------------------------------------

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
        return Source("stdin", file, size, kind="stdin") if size else None
    try:
        first = fill_block(file)
    except OSError as exc:
        raise UsageError(f"cannot read stdin: {exc.strerror or exc}") from None
    return Source("stdin", file, None, first, kind="stdin") if first else None


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
    return Source(path, file, None, first, kind="pipe")


def unreadable(path: str, exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return f"--file {path}: no such file; check the path"
    if exc.errno == errno.EISDIR:
        return f"--file {path} is a directory; give the path of an image file"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"--file {path}: permission denied; make it readable for this user"
    return f"--file {path}: cannot read it: {exc.strerror or exc}"


def fill_block(file: Reader | BinaryIO, size: int = BLOCK) -> memoryview:
    """Up to `size` bytes in a fresh buffer (a pipe gives 64 KiB a read): fewer only at EOF."""
    view = memoryview(bytearray(size))
    return view[:fill(file, view)]  # type: ignore[arg-type]


def head(source: Source) -> bytes:
    """The first bytes of the data, enough to tell its format, read without losing them: a
    regular file is read at offset 0 (its position is untouched), anything else is peeked
    at into `first` (which is sent first)."""
    if len(source.first) >= PEEK or source.size == 0:
        return bytes(source.first[:PEEK])
    fileno = getattr(source.file, "fileno", None)
    if source.kind in ("file", "stdin") and source.size is not None and fileno:
        try:
            return os.pread(fileno(), PEEK, os.lseek(fileno(), 0, os.SEEK_CUR))
        except OSError as exc:
            raise ImgcliError(f"cannot read {source.name}: {exc.strerror or exc}") from None
    more = fill_block(source.file, PEEK - len(source.first))
    source.first = bytes(source.first) + bytes(more)
    return bytes(source.first)


# -- a URL -------------------------------------------------------------------------------------

def check_url(url: str) -> None:
    """Before any request: an http(s) URL with a host (exit 2 otherwise)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        scheme = f"{parts.scheme}://" if parts.scheme else "no scheme"
        raise UsageError(f"--url: {scheme} is not supported; give an http:// or https:// URL")
    if not parts.hostname:
        raise UsageError("--url: the URL has no host; give http://HOST/PATH or https://...")


def open_url(url: str, *, timeout: float | None = None, verify: bool | str = True,
             user_agent: str = "imgcli") -> Source:
    """GET the URL, its body left unread: a Source whose size is Content-Length (None when
    the server sends none). Redirects are followed (up to requests' 30); a 4xx/5xx, a TLS
    or connection failure is one line, with the URL's credentials and query left out. No
    cloud credential is ever sent: this is a session of its own."""
    import requests

    from imgcli.transport import shown

    check_url(url)
    where = f"--url {shown(url)}"
    session = requests.Session()
    try:
        # identity: the bytes as the server holds them, which its checksums describe.
        response = session.get(url, stream=True, timeout=timeout, verify=verify,
                               headers={"Accept-Encoding": "identity",
                                        "User-Agent": user_agent})
    except requests.exceptions.SSLError as exc:
        raise ImgcliError(f"{where}: the TLS connection failed ({tls_reason(exc)})") from None
    except requests.exceptions.Timeout:
        raise ImgcliError(f"{where}: no answer within {timeout:g} s (--timeout)") from None
    except requests.RequestException as exc:
        raise ImgcliError(f"{where}: {request_failure(exc)}") from None
    if response.status_code >= 400:
        response.close()
        final = f" (redirected to {shown(response.url)})" if response.history else ""
        raise ImgcliError(f"{where}: the server answered {response.status_code} "
                          f"{response.reason or ''}".rstrip() + final)
    length = response.headers.get("Content-Length")
    size = int(length) if length and length.isdigit() else None
    return Source(shown(url), URLReader(response, size, where), size, kind="url")


def tls_reason(exc: BaseException) -> str:
    text = str(exc)
    for known in ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed",
                  "hostname mismatch", "WRONG_VERSION_NUMBER", "self-signed certificate"):
        if known in text:
            return f"{known}; --insecure skips the check"
    return "see --debug; --insecure skips the certificate check"


def request_failure(exc: BaseException) -> str:
    import requests

    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, requests.exceptions.InvalidSchema | requests.exceptions.InvalidURL):
        return "it (or a redirect) is not an http(s) URL"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "cannot connect (is the host name right, and the server up?)"
    return type(exc).__name__


class URLReader:
    """The body of a streamed GET, as sent (no Content-Encoding undone); a body cut short
    of its Content-Length, or a read that breaks or stalls, is one line."""

    def __init__(self, response: Any, size: int | None, where: str) -> None:
        self.response, self.size, self.where = response, size, where
        self.count = 0

    def readinto(self, buffer: Any) -> int:
        from urllib3.exceptions import HTTPError as Urllib3Error

        try:
            n = self.response.raw.readinto(buffer)
        except (OSError, Urllib3Error) as exc:
            raise DataError(f"{self.where}: the download broke off after {self.got()} bytes "
                            f"({type(exc).__name__})") from None
        self.count += n
        if not n and self.size is not None and self.count != self.size:
            raise DataError(f"{self.where}: the download broke off after {self.got()} bytes")
        return n

    def got(self) -> str:
        return f"{self.count}" + ("" if self.size is None else f" of {self.size}")

    def close(self) -> None:
        self.response.close()


# -- stacking ----------------------------------------------------------------------------------

def tapped(source: Source, algorithm: str, expected: str) -> Source:
    """The same bytes, hashed as they are read and compared at the end (--expect-checksum)."""
    tap = Tap(source.reader(), algorithm, expected, source.name)
    return Source(source.name, tap, source.size, kind=source.kind, below=source)


def decompressed(source: Source) -> Source:
    """The decompressed data (size unknown: the PUT is chunked). UsageError when it is not
    gzip, bzip2, xz or zstd, found from its first bytes before any request."""
    fmt = compression(head(source))
    if fmt is None:
        raise UsageError(f"--decompress: {source.name} is not gzip, bzip2, xz or zstd data; "
                         "leave out --decompress to upload it as it is")
    reader = Decompressed(source.reader(), fmt, source.name)
    return Source(source.name, reader, None, kind=source.kind, below=source)


def read_ahead(source: Source) -> Source:
    """The same bytes, read (and tapped, decompressed) on a thread ahead of the upload."""
    return Source(source.name, ReadAhead(source.reader()), source.size, kind=source.kind,
                  below=source)


def looks_compressed(source: Source) -> str | None:
    """The compression format the data starts like, for a warning; None if none."""
    return compression(head(source))
