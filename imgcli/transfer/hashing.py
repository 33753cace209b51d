"""Hashes of image data: what Glance says the bytes hash to, and hashing them as they pass."""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from imgcli.errors import ImgcliError

# 1 MiB blocks: on loopback, 256 MiB read with iter_content took 0.065 s in 1 MiB blocks,
# 0.125 s in 64 KiB and 0.11 s in 8 MiB; uploads were slower in 256 KiB and 4 MiB blocks.
BLOCK = 1 << 20
# Glance's own default (`hashing_algorithm = sha512`): a new image's os_hash_algo is not
# known before its data is uploaded, so the upload hashes with the default.
DEFAULT_ALGORITHM = "sha512"
# Blocks waiting for the hashing thread: bounds memory at a few MiB whatever the image size.
QUEUE_DEPTH = 3


def supported(algorithm: str) -> bool:
    """Glance names os_hash_algo as hashlib does (it calls hashlib.new with it)."""
    try:
        hashlib.new(algorithm)
    except (ValueError, TypeError):
        return False
    return True


def hex_prefix(hexdigest: str | None) -> str:
    """Enough of a hash to tell two apart in a one-line message."""
    if not hexdigest:
        return "(none)"
    return hexdigest[:12] + "…" if len(hexdigest) > 12 else hexdigest


@dataclass(frozen=True)
class Expected:
    """What the image's record says its data hashes to; algorithm None: nothing to check."""

    algorithm: str | None = None  # a hashlib name: "sha512", "md5", ...
    hexdigest: str | None = None
    size: int | None = None  # the record's `size`, for the meter's total

    @classmethod
    def from_image(cls, image: Mapping[str, Any]) -> Expected:
        """os_hash_algo/os_hash_value (multihash), else the md5 `checksum`, else nothing."""
        size = image.get("size")
        size = size if isinstance(size, int) and not isinstance(size, bool) else None
        algo, value = image.get("os_hash_algo"), image.get("os_hash_value")
        if isinstance(algo, str) and isinstance(value, str) and value and supported(algo):
            return cls(algo.lower(), value.lower(), size)
        checksum = image.get("checksum")
        if isinstance(checksum, str) and checksum:
            return cls("md5", checksum.lower(), size)
        return cls(None, None, size)

    @property
    def verifiable(self) -> bool:
        return bool(self.algorithm and self.hexdigest)


class Hasher:
    """Hashes blocks on a second thread while the caller reads, sends or writes the next one.

    hashlib releases the GIL for large updates, so on two cores sha512 (about 450 MB/s
    here, slower than loopback I/O) overlaps the transfer instead of adding to it: a
    256 MiB save took 0.54 s with the thread and 0.80 s without (medians of 7).
    Blocks must not be changed after update(): each is a fresh object, never a reused buffer.
    """

    def __init__(self, *algorithms: str) -> None:
        self._hashes = [hashlib.new(name) for name in algorithms]
        self.algorithms = tuple(h.name for h in self._hashes)  # hashlib's spelling: "sha512"
        self._queue: queue.Queue[Any] = queue.Queue(QUEUE_DEPTH)
        self._aborted = False
        self._digests: dict[str, str] | None = None
        # A daemon: an interrupted transfer must never keep the process alive.
        self._thread = threading.Thread(target=self._work, name="imgcli-hash", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while (block := self._queue.get()) is not None:
            if not self._aborted:
                for h in self._hashes:
                    h.update(block)

    def update(self, block: bytes | bytearray | memoryview) -> None:
        if self._digests is not None or self._aborted:
            raise ImgcliError("internal error: hashing after the hash was finished")
        self._queue.put(block)

    def digests(self) -> dict[str, str]:
        """Wait for the queued blocks, then each algorithm's hex digest."""
        if self._digests is None:
            if self._aborted:
                raise ImgcliError("internal error: the hash was abandoned")
            self._queue.put(None)
            self._thread.join()
            self._digests = {h.name: h.hexdigest() for h in self._hashes}
        return self._digests

    def hexdigest(self) -> str:
        return self.digests()[self.algorithms[0]]

    def close(self) -> None:
        """Stop without a result (a failed or interrupted transfer); safe to call twice."""
        if self._digests is None and not self._aborted:
            self._aborted = True
            self._queue.put(None)
            self._thread.join()


def describe_data(size: int, content_type: str | None, algorithm: str | None,
                  hexdigest: str | None, complete: bool = True) -> str:
    """How a trace shows an image-data body: its size and hash, never its bytes.

    e.g. ``<image data: 10485760 bytes, application/octet-stream, sha512 9f86d0...>``
    with the whole hex digest, so it can be compared with the image's os_hash_value.
    """
    parts = [f"{size} bytes" + ("" if complete else " (cut short)")]
    if content_type:
        parts.append(content_type.split(";")[0].strip())
    parts.append(f"{algorithm} {hexdigest}" if algorithm and hexdigest else "not hashed")
    return "<image data: " + ", ".join(parts) + ">"
