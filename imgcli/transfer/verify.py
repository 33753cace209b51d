"""What downloaded image data must hash to, and the verdict once all of it arrived.

Two checks, both hashed by one Hasher in the same pass as the download (download.py):
Glance's own hash (the record's os_hash_algo/os_hash_value, else its md5 `checksum`) and,
with `--expect-checksum ALGO:HEX`, the publisher's. One hash serves both when they use the
same algorithm. A mismatch is one line naming both values; what it says of the output
(unchanged or not created, or "discard it" for a stream) is the caller's words. No request
is sent from here.

Imports: the standard library, imgcli.errors and imgcli.transfer.hashing.
"""

from __future__ import annotations

from dataclasses import dataclass

from imgcli.errors import ApiError, ImgcliError
from imgcli.transfer.hashing import Expected, Hasher, hex_prefix


@dataclass(frozen=True)
class SaveResult:
    size: int  # bytes of image data saved, a resumed part included
    resumed_from: int  # bytes taken from a kept partial file (0: downloaded whole)
    algorithm: str | None  # what the data was checked with (None: nothing to check with)
    hexdigest: str | None
    warning: str | None  # say it on stderr: e.g. that nothing could be verified

    @property
    def verified(self) -> bool:
        return self.warning is None


class Checks:
    """Glance's hash of image `image_id` (`expected`) and the user's `check`, an
    (algorithm, hexdigest) from hashing.parse_expected_checksum, or None."""

    def __init__(self, image_id: str, expected: Expected,
                 check: tuple[str, str] | None = None) -> None:
        self.image_id = image_id
        self.expected = expected
        self.check = check
        self.algorithm = expected.algorithm if expected.verifiable else None  # Glance's
        self.algorithms = tuple(dict.fromkeys(
            name for name in (self.algorithm, check[0] if check else None) if name))

    def hasher(self) -> Hasher | None:
        return Hasher(*self.algorithms) if self.algorithms else None

    def glances(self, digests: dict[str, str]) -> str | None:
        """The data's hash in Glance's algorithm (None: Glance has none to compare)."""
        return digests.get(self.algorithm) if self.algorithm else None

    def verify(self, digests: dict[str, str], where: str, left: str | None) -> None:
        """Raise the one line of a mismatch. `where`: the output's name; `left`: what became
        of a file destination ("out.img is unchanged"), None for a stream written
        straight through (its reader is told to discard it)."""
        digest = self.glances(digests)
        if digest is not None and digest != self.expected.hexdigest:
            said = (f"the data of image {self.image_id} does not match its hash "
                    f"({self.algorithm} {hex_prefix(digest)}, Glance has "
                    f"{hex_prefix(self.expected.hexdigest)})")
            raise ApiError(f"{said}: what was written to {where} is NOT the image; discard it"
                           if left is None else f"{said}; {left} and the partial file was removed")
        if self.check is not None and digests[self.check[0]] != self.check[1]:
            # Both values whole: they are compared with a SUMS file, by eye or by grep.
            algorithm, want = self.check
            said = (f"the data of image {self.image_id} does not match --expect-checksum: "
                    f"expected {algorithm}:{want}, got {algorithm}:{digests[algorithm]}")
            raise ImgcliError(f"{said}; what was written to {where} is not the image the "
                              "checksum describes: discard it" if left is None
                              else f"{said}; {left} and the partial file was removed")

    def result(self, size: int, resumed_from: int, digests: dict[str, str]) -> SaveResult:
        """The verdict of data that passed verify()."""
        digest = self.glances(digests)
        algorithm, hexdigest = (self.algorithm, digest) if digest else \
            (self.check or (None, None))
        warning = None if hexdigest else (
            f"nothing could be verified: image {self.image_id} has no os_hash_value "
            "and no checksum")
        return SaveResult(size, resumed_from, algorithm, hexdigest, warning)
