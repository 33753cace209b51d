"""The partial file a download is written to, beside its destination: a kept one found
and resumed, or a new one created; locked while in use; sent to disk as it grows; at the
end renamed over the destination, or kept for resuming, or removed.

It is handed to the disk as it grows by the download (download.py's write_back).

A kept partial file (`.<name>.<image-id>.part`, beside the destination) is what a later
save of the same image to the same place resumes from with an HTTP Range request.

The folder may be shared (/tmp), so a file under that name is taken only when it is a
regular file of ours alone (safefile.open_own); anything else there is left untouched
and, with one line on stderr, the download starts in a new partial file made with
O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600: under that name when it is free, else a spare
`.<name>.<image-id>.<8 hex>.part`, which a later save finds and resumes the same way.
No request is sent from here.

Imports: the standard library, imgcli.errors, imgcli.safefile, imgcli.transfer.destination
and imgcli.transfer.sources (fill_block, to read a kept file in whole blocks).
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from typing import Any

from imgcli import safefile
from imgcli.errors import UsageError
from imgcli.transfer.destination import final_mode, part_path, part_spares, sync_directory
from imgcli.transfer.sources import fill_block

LOG = logging.getLogger(__name__)


class PartialFile:
    """One partial file of ours, open for reading and writing and locked (flock): a second
    imgcli saving the same image to the same place is refused instead of interleaving."""

    def __init__(self, path: str, fd: int, busy: str) -> None:
        self.path = path
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UsageError(f"{busy} (it holds {path})") from None
        self.file: Any = open(fd, "r+b", buffering=0)  # closed by close()

    @classmethod
    def find(cls, target: str, image_id: str, busy: str) -> PartialFile | None:
        """The partial file an earlier save kept: the first of ours (part_path(), then its
        spares) that open_own() trusts. Nothing else is opened for writing; a doubt about
        a file that is not taken is said in one line. `busy`: the error if it is locked."""
        first = part_path(target, image_id)
        found, doubt = cls.take(first, busy)
        if found is not None:
            return found
        for path in part_spares(first):
            found, why_not = cls.take(path, busy)
            if found is not None:
                return found
            doubt = doubt or why_not
        if doubt:
            LOG.warning("%s; downloading afresh", doubt)
        return None

    @classmethod
    def take(cls, path: str, busy: str) -> tuple[PartialFile | None, str | None]:
        """`path` as the partial file if it is ours alone, else None and why not (None:
        nothing there)."""
        try:
            fd = safefile.open_own(path, os.O_RDWR)
        except FileNotFoundError:
            return None, None
        except safefile.Untrusted as exc:
            return None, f"ignoring {path}: {exc}"
        return cls(path, fd, busy), None

    @classmethod
    def create(cls, target: str, image_id: str, busy: str) -> PartialFile:
        """A new partial file, created exclusively (safefile.create): a planted link, file
        or FIFO under the name is never opened; a spare name is used instead."""
        path = part_path(target, image_id)
        try:
            fd = safefile.create(path)
        except FileExistsError:
            directory, name = os.path.split(path)
            fd, path = safefile.create_unique(directory, name.removesuffix("part"), ".part")
        return cls(path, fd, busy)

    @property
    def size(self) -> int:
        """The bytes really in the file (what a resume would start from)."""
        return os.fstat(self.file.fileno()).st_size

    def blocks(self) -> Iterator[memoryview]:
        """The kept bytes from the start, in whole blocks (to hash them before resuming)."""
        self.file.seek(0)
        while block := fill_block(self.file):
            yield block

    def seek(self, offset: int) -> None:
        self.file.seek(offset)

    def empty(self) -> None:
        """Drop what it held: the data is written again from its first byte."""
        self.file.seek(0)
        self.file.truncate()

    def put_in_place(self, target: str) -> None:
        """fsync, then rename over the destination: a crash leaves the old file or the new,
        never a torn one. The writeback started during the download leaves this fsync
        little to do (docs/performance.md). Raises OSError (delayed allocation can report
        a full disk only at the fsync); the file is then still open, for the caller to
        remove."""
        os.fchmod(self.file.fileno(), final_mode(target))  # 0600 while it was partial
        os.fsync(self.file.fileno())
        self.file.close()
        self.file = None
        os.replace(self.path, target)
        sync_directory(os.path.dirname(target))

    def close(self, keep: bool = True) -> int:
        """Close it, and remove it unless `keep`; the bytes it held (0: removed)."""
        if self.file is None:
            return 0
        size = self.size
        self.file.close()
        self.file = None
        if keep and size:
            return size
        safefile.remove(self.path)
        return 0
