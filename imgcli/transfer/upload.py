"""The streamed PUT body of an upload (`PUT /v2/images/{id}/file` or `/stage`), hashed as
it goes, and the check of what Glance then stored. Where the data comes from is sources.py.

The last byte is held back: a block is handed to the transport only once the read after it
has returned (more data, or the end of the data with every reader's check passed: the
--expect-checksum tap, the decompressor's end of stream, a URL's Content-Length). A check
that fails raises from that read, before the last block is sent, so the PUT breaks off one
block short: Glance, which needs every byte of a Content-Length body or the final chunk of a
chunked one before it stores anything, leaves the image without data, and the caller deletes
it. Glance never sees a complete body of data found wrong.

Imports: the standard library, imgcli.errors, imgcli.transfer.{hashing,progress,sources}.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from imgcli.errors import ApiError, ImgcliError
from imgcli.transfer.hashing import BLOCK, DEFAULT_ALGORITHM, Hasher, describe_data, hex_prefix
from imgcli.transfer.progress import Progress
from imgcli.transfer.sources import Source, fill_block

__all__ = ["REPLAYED", "SizedUploadBody", "Source", "UploadBody", "check_upload", "fill_block",
           "upload_body"]

REPLAYED = ("internal error: the image data was already sent once and a stream cannot be "
            "sent again (the upload must be made with no retries and no redirects)")


class UploadBody:
    """The PUT body (`data=`): the source in 1 MiB blocks, hashed as they go (each
    algorithm on a thread of its own), each block read once and never copied into a
    growing buffer; the last block held back until the data is known good (module doc).

    requests sends an iterable as-is; an object with __len__ (SizedUploadBody) gets a
    Content-Length, one without gets Transfer-Encoding: chunked. A stream can be sent
    once only: send the PUT with connect_retries=0, status_code_retries=0,
    allow_reauth=False and redirect=False (keystoneauth would replay it otherwise); a
    second iteration raises instead of sending a short body.

    `algorithm` is the hash compared with Glance's os_hash_value; `extra` more of them
    (create's md5 and sha256 for openstacksdk's properties); md5=True adds md5.
    """

    def __init__(self, source: Source, algorithm: str = DEFAULT_ALGORITHM,
                 progress: Progress | None = None, md5: bool = False,
                 extra: tuple[str, ...] = ()) -> None:
        self.source = source
        self.algorithm = algorithm = algorithm.lower()
        self.progress = progress
        wanted = (algorithm, *(("md5",) if md5 else ()), *(a.lower() for a in extra))
        self.algorithms = tuple(dict.fromkeys(wanted))  # in order, once each
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
        # One thread per algorithm: on two cores, sha512, sha256 and md5 in one thread
        # would be slower than the upload itself (docs/performance.md).
        hashers = [Hasher(name) for name in self.algorithms]
        try:
            for block in self._held(self._read()):
                for hasher in hashers:
                    hasher.update(block)
                yield block
                self.bytes_sent += len(block)  # back here: http.client has sent it
                if self.progress:
                    self.advance(len(block))
            self._digests = {name: hasher.hexdigest()
                             for name, hasher in zip(self.algorithms, hashers, strict=True)}
            self.complete = True
        finally:
            for hasher in hashers:
                hasher.close()
            if self.progress:
                self.progress.finish()

    def advance(self, sent: int) -> None:
        """Move the meter: the bytes sent, and those read at the far end of a stacked
        source (a URL's body, a compressed file) when the meter shows both ends."""
        assert self.progress is not None
        if self.source.below is not None:
            self.progress.advance_read(self.source.bottom_read - self.progress.read)
        self.progress.advance(sent)

    @staticmethod
    def _held(blocks: Iterator[memoryview]) -> Iterator[memoryview]:
        """Each block once the next read has returned: the last one only after the read
        that found the end of the data, where the readers' checks raise (module doc)."""
        held: memoryview | None = None
        for block in blocks:
            if held is not None:
                yield held
            held = block
        if held is not None:
            yield held

    def _read(self) -> Iterator[memoryview]:
        if self.source.first:
            yield memoryview(self.source.first)  # no copy: a view of the peeked block
        while block := self._read_block():
            yield block

    def _read_block(self, size: int = BLOCK) -> memoryview:
        try:
            read_block = getattr(self.source.file, "read_block", None)
            if read_block is not None:  # a ReadAhead's blocks, taken without a copy
                return self._whole(read_block, size)
            return fill_block(self.source.file, size)
        except OSError as exc:  # not OSError: urllib3 would take it for a network failure
            raise ImgcliError(f"reading {self.source.name} failed after {self.bytes_sent} "
                              f"bytes: {exc.strerror or exc}") from None

    @staticmethod
    def _whole(read_block: Any, size: int) -> memoryview:
        """`size` bytes (fewer only at the end) from read_block(), which may give less."""
        block = read_block(size)
        if len(block) == size or not block:
            return block
        parts = [bytes(block)]
        got = len(block)
        while got < size and (more := read_block(size - got)):
            parts.append(bytes(more))
            got += len(more)
        return memoryview(b"".join(parts))

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
        if self.source.first:  # peeked at (for its format): part of `size`, sent first
            first = memoryview(self.source.first)[:size]
            left -= len(first)
            yield first
        while left > 0:
            block = self._read_block(min(BLOCK, left))
            if not block:
                raise ImgcliError(f"{self.source.name} shrank while it was being sent "
                                  f"({size - left} of {size} bytes); the upload is incomplete")
            left -= len(block)
            yield block
        # One more read, to the end of the data: the readers' checks run there, and bytes
        # appended meanwhile (Content-Length already promised `size`) stop the upload.
        if self._read_block(1):
            raise ImgcliError(f"{self.source.name} grew while it was being sent (more than "
                              f"the {size} bytes it held when opened); send it again once "
                              "nothing writes to it")


def upload_body(source: Source, algorithm: str = DEFAULT_ALGORITHM,
                progress: Progress | None = None, md5: bool = False,
                extra: tuple[str, ...] = ()) -> UploadBody:
    """The body for `PUT /v2/images/{id}/file` (or `/stage`): sized when the size is known."""
    body_class = SizedUploadBody if source.size is not None else UploadBody
    return body_class(source, algorithm, progress, md5, extra)


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
