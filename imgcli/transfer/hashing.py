"""Hashes of image data: what Glance says the bytes hash to, what the user expects them to
hash to (`--expect-checksum ALGO:HEX`), and hashing them as they pass.

Imports: the standard library, imgcli.errors and imgcli.transfer.threads.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from imgcli.errors import ImgcliError, UsageError
from imgcli.transfer import threads

# 1 MiB blocks: faster on loopback than smaller or larger ones, up and down, at a small
# peak RSS (see docs/performance.md#the-1-mib-block).
BLOCK = 1 << 20
# Glance's own default (`hashing_algorithm = sha512`): a new image's os_hash_algo is not
# known before its data is uploaded, so the upload hashes with the default.
DEFAULT_ALGORITHM = "sha512"
# Blocks waiting for the hashing thread: bounds memory at a few MiB whatever the image size.
QUEUE_DEPTH = 3
# Seconds: how often an idle hashing thread looks whether its hash was abandoned.
WAKE = 0.5


# What `--expect-checksum` accepts (what publishers' SUMS files use), and each hex length.
EXPECTABLE = {"sha256": 64, "sha512": 128, "sha1": 40, "md5": 32}
HEX_DIGITS = frozenset("0123456789abcdef")


def parse_expected_checksum(text: str) -> tuple[str, str]:
    """`--expect-checksum ALGO:HEX` as (algorithm, lower-case hexdigest).

    ALGO is sha256, sha512, sha1 or md5 (any case). Raises UsageError (exit 2, before any
    request) naming what to fix: no colon, an unknown algorithm, a digest that is not hex,
    or one of the wrong length for its algorithm."""
    option = "--expect-checksum"
    algorithm, colon, hexdigest = text.strip().partition(":")
    algorithm, hexdigest = algorithm.strip().lower(), hexdigest.strip().lower()
    if not colon:
        raise UsageError(f"{option} takes ALGO:HEX, e.g. sha256:<64 hex digits> "
                         f"(ALGO is one of {', '.join(EXPECTABLE)})")
    if algorithm not in EXPECTABLE:
        raise UsageError(f"{option}: unknown algorithm {algorithm!r}; use one of "
                         f"{', '.join(EXPECTABLE)}")
    if not hexdigest or not HEX_DIGITS.issuperset(hexdigest):
        raise UsageError(f"{option}: the {algorithm} digest must be hexadecimal digits "
                         "(0-9, a-f)")
    if len(hexdigest) != EXPECTABLE[algorithm]:
        raise UsageError(f"{option}: a {algorithm} digest has {EXPECTABLE[algorithm]} hex "
                         f"digits, not {len(hexdigest)}")
    return algorithm, hexdigest


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

    hashlib releases the GIL for large updates, so on two cores sha512 (slower than
    loopback I/O) overlaps the transfer instead of adding to it (see
    docs/performance.md#the-hashing-thread).
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
        threads.start(self._thread)  # signals stay the main thread's (threads.py says why)

    def _work(self) -> None:
        while True:
            try:
                # A timeout, so that an abandoned hash ends even when the wake-up is lost:
                # a signal's KeyboardInterrupt can land inside the caller's put() and leave
                # the queue's condition without its notify (seen under SIGTERM).
                block = self._queue.get(timeout=WAKE)
            except queue.Empty:
                if self._aborted:
                    return
                continue
            if block is None:
                return
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
            try:
                self._queue.put_nowait(None)
            except queue.Full:
                pass  # the thread skips the queued blocks, then sees _aborted within WAKE
            self._thread.join(2 * WAKE)  # a daemon: never kept waiting for longer


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
