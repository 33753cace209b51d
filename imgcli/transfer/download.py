"""Image data coming down: written beside the destination, verified, then renamed over it.

A kept partial file (`.<name>.<image-id>.part`, beside the destination) is what a later
save of the same image to the same place resumes from with an HTTP Range request.

The folder may be shared (/tmp), so a file under that name is taken only when it is a
regular file of ours alone (safefile.open_own); anything else there is left untouched
and, with one line on stderr, the download starts in a new partial file made with
O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600: under that name when it is free, else a spare
`.<name>.<image-id>.<8 hex>.part`, which a later save finds and resumes the same way.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import select
import stat
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from imgcli import safefile
from imgcli.errors import ApiError, ImgcliError, UsageError, phrase
from imgcli.safefile import remove
from imgcli.transfer.destination import (
    check_destination,
    final_mode,
    part_path,
    part_spares,
    start_writeback,
    sync_directory,
)
from imgcli.transfer.hashing import BLOCK, Expected, Hasher, describe_data, hex_prefix
from imgcli.transfer.progress import Progress
from imgcli.transfer.upload import fill_block

if TYPE_CHECKING:
    from requests import Response

LOG = logging.getLogger(__name__)
CONTENT_RANGE = re.compile(r"bytes (\d+)-\d+/(?:\d+|\*)")
WRITEBACK_EVERY = 8 << 20  # bytes: how often the partial file's new bytes go to disk


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


class Download:
    """One image's data on its way to a file or stdout: build it with prepare_download().

    `headers` goes on the GET (a Range when a kept partial file is resumed); `save`
    takes the streamed response. After a failure, `kept_partial` names a partial file
    kept for resuming (None when there is none).
    """

    def __init__(self, destination: str | None, image_id: str, expected: Expected,
                 progress: Progress | None, stdout: BinaryIO | None,
                 real: str | None = None) -> None:
        self.destination = destination
        self.image_id = image_id
        self.expected = expected
        self.progress = progress
        self.stdout = stdout
        self.algorithm = expected.algorithm if expected.verifiable else None
        self.hasher: Hasher | None = None
        self.offset = 0  # bytes already in the kept partial file, hashed
        self.received = 0  # bytes of this response
        self.kept_partial: str | None = None
        self.target: str | None = None  # the real file to replace, or None: write straight
        self.part: str | None = None  # the partial file in use, once one is open
        self.file: Any = None  # the partial file (file mode) or the stream (stdout, device)
        self.owns_file = True  # False for stdout: it is the caller's to close
        self.digest: str | None = None  # set once the whole body was received and hashed
        self.completed = False  # the whole body arrived
        self.written_back = 0  # the partial file's bytes up to here were sent to disk
        if real is not None and replaceable(real):  # real: check_destination()'s answer
            self.target = real

    @property
    def headers(self) -> dict[str, str]:
        return {"Range": f"bytes={self.offset}-"} if self.offset else {}

    # -- before the request: a kept partial file is hashed (one pass) --------------------------

    def take_partial(self) -> None:
        """Open the partial file an earlier save kept: the first of ours (part_path(), then
        its spares) that open_own() trusts. Nothing else is opened for writing; a doubt
        about a file that is not taken is said in one line."""
        if self.target is None:
            return
        first = part_path(self.target, self.image_id)
        doubt = self.take(first)
        if self.file is not None:
            return
        for path in part_spares(first):
            why_not = self.take(path)
            if self.file is not None:
                return
            doubt = doubt or why_not
        if doubt:
            LOG.warning("%s; downloading afresh", doubt)

    def take(self, path: str) -> str | None:
        """Open `path` as the partial file if it is ours alone: None (taken, or nothing
        there), or why it was not."""
        try:
            fd = safefile.open_own(path, os.O_RDWR)
        except FileNotFoundError:
            return None
        except safefile.Untrusted as exc:
            return f"ignoring {path}: {exc}"
        self.part = path
        self.file = self.locked(fd)
        return None

    def resume_partial(self) -> None:
        if self.file is None:
            return
        size = os.fstat(self.file.fileno()).st_size
        if size == 0 or (self.expected.size is not None and size >= self.expected.size):
            self.start_over()  # nothing to resume, or more than the image: not ours to trust
            return
        self.hasher = self.new_hasher()
        if self.hasher is None:  # nothing to verify with: no need to read it
            self.offset = size
            self.file.seek(size)
            return
        while block := fill_block(self.file):
            self.hasher.update(block)
            self.offset += len(block)

    def new_partial(self) -> None:
        """A new partial file, created exclusively (safefile.create): a planted link, file
        or FIFO under the name is never opened; a spare name is used instead."""
        assert self.target is not None
        self.part = part_path(self.target, self.image_id)
        try:
            fd = safefile.create(self.part)
        except FileExistsError:
            directory, name = os.path.split(self.part)
            fd, self.part = safefile.create_unique(directory, name.removesuffix("part"),
                                                   ".part")
        self.file = self.locked(fd)

    def locked(self, fd: int) -> Any:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UsageError(f"another imgcli is already saving image {self.image_id} to "
                             f"{self.destination} (it holds {self.part})") from None
        return open(fd, "r+b", buffering=0)  # closed in finish() or fail()

    def new_hasher(self) -> Hasher | None:
        return Hasher(self.algorithm) if self.algorithm else None

    def start_over(self) -> None:
        """Drop what a kept partial file held: the data is taken from its first byte."""
        if self.hasher:
            self.hasher.close()
        self.hasher = self.new_hasher()
        self.offset = self.written_back = 0
        if self.file is not None and self.part is not None:  # a partial file of ours
            self.file.seek(0)
            self.file.truncate()
        if self.progress:
            self.progress.restart()

    # -- the response ---------------------------------------------------------------------------

    def save(self, response: Response) -> SaveResult:
        """Write the body, hash it, and only when the hash matches put it in place."""
        try:
            self.accept(response)
        except ApiError:
            self.fail(keep=True)
            raise
        length = response.headers.get("Content-Length")
        expected_length = int(length) if length and length.isdigit() else None
        if self.progress:
            if self.progress.total is None:
                self.progress.total = self.expected.size or (
                    None if expected_length is None else self.offset + expected_length)
            self.progress.skip(self.offset)
        if self.hasher is None:
            self.hasher = self.new_hasher()
        try:
            self.open_output()
            self.receive(response, expected_length)
            return self.finish()
        except KeyboardInterrupt:
            self.fail(keep=True)
            raise
        except BaseException:
            if self.file is not None:  # an error not handled below: keep what was received
                self.fail(keep=True)
            raise
        finally:
            self.describe(response)
            if self.progress:
                self.progress.finish()

    def accept(self, response: Response) -> None:
        """200 is the whole image (a server may ignore Range); 206 must start at the offset."""
        status = response.status_code
        if status == 200:
            if self.offset:
                self.start_over()
            return
        if status == 206:
            found = CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if found and int(found.group(1)) == self.offset:
                return
            raise ApiError(f"GET {response.url}: the server sent "
                           f"{response.headers.get('Content-Range', '(no Content-Range)')} "
                           f"when asked for bytes={self.offset}-; the partial file is kept")
        raise ApiError(f"GET {response.url}: unexpected {status} "
                       f"{response.reason or phrase(status)} instead of the image data")

    def open_output(self) -> None:
        if self.file is not None:
            return
        if self.target is not None:
            self.new_partial()
        elif self.destination is None or self.destination == "-":
            sys.stdout.flush()  # anything printed before the data goes before it
            self.file = self.stdout if self.stdout is not None else sys.stdout.buffer
            self.owns_file = False
        else:
            self.file = open(self.destination, "wb", buffering=0)  # a device or a FIFO

    def receive(self, response: Response, expected_length: int | None) -> None:
        from requests.exceptions import RequestException

        blocks = response.iter_content(BLOCK)
        while True:
            try:
                block = next(blocks, None)
            except (RequestException, OSError) as exc:
                raise self.broke_off(expected_length, why(exc)) from None
            if block is None:
                break
            self.write(block)
            if self.hasher:
                self.hasher.update(block)
            self.received += len(block)
            self.write_back()
            if self.progress:
                self.progress.advance(len(block))
        if expected_length is not None and self.received < expected_length:
            raise self.broke_off(expected_length, "the connection closed early")
        self.completed = True

    def write_back(self) -> None:
        end = self.offset + self.received
        if self.target is not None and end - self.written_back >= WRITEBACK_EVERY:
            start_writeback(self.file.fileno(), self.written_back, end - self.written_back)
            self.written_back = end

    def write(self, block: bytes) -> None:
        view = memoryview(block)
        try:
            while view:
                try:
                    written = self.file.write(view)
                except BlockingIOError as exc:  # a non-blocking stdout that is full
                    written = exc.characters_written
                if not written:
                    select.select([], [self.file], [])  # wait until it drains
                view = view[written or 0:]
        except BrokenPipeError:
            raise  # stdout's reader went away: the launcher's quiet exit 141
        except OSError as exc:
            self.fail(keep=False)
            raise ImgcliError(self.write_failed(exc)) from None

    @property
    def where(self) -> str:
        return "stdout" if self.destination is None or self.destination == "-" \
            else self.destination

    def write_failed(self, exc: OSError) -> str:
        where = self.where
        what = "no space left on the device" if exc.errno in (errno.ENOSPC, errno.EDQUOT) \
            else (exc.strerror or str(exc))
        done = f"after {self.offset + self.received} bytes"
        if self.target is None:
            return f"writing image {self.image_id} to {where} failed {done}: {what}"
        return (f"saving image {self.image_id} to {where} failed {done}: {what}; "
                f"{where} is unchanged and the partial file was removed")

    def broke_off(self, expected_length: int | None, reason: str) -> ApiError:
        total = "" if expected_length is None else f" of {self.offset + expected_length}"
        done = f"after {self.offset + self.received}{total} bytes ({reason})"
        if self.target is None:
            self.fail(keep=False)
            return ApiError(f"the download of image {self.image_id} broke off {done}; "
                            "the data written is incomplete")
        self.fail(keep=True)
        return ApiError(f"the download of image {self.image_id} broke off {done}; "
                        f"{self.destination} is unchanged: run the same command again to "
                        f"resume from {self.kept_partial or 'the start'}")

    # -- the end: verified and renamed, or not --------------------------------------------------

    def finish(self) -> SaveResult:
        size = self.offset + self.received
        digest = self.digest = self.hasher.hexdigest() if self.hasher else None
        if digest is not None and digest != self.expected.hexdigest:
            self.fail(keep=False)
            raise ApiError(self.mismatch(digest))
        if self.target is not None:
            self.put_in_place()
        else:
            self.file.flush()
            self.close_output()
        warning = None if digest else (
            f"nothing could be verified: image {self.image_id} has no os_hash_value "
            "and no checksum")
        return SaveResult(size, self.offset, self.algorithm, digest, warning)

    def mismatch(self, digest: str) -> str:
        got = (f"{self.algorithm} {hex_prefix(digest)}, "
               f"Glance has {hex_prefix(self.expected.hexdigest)}")
        if self.target is None:
            return (f"the data of image {self.image_id} does not match its hash ({got}): "
                    f"what was written to {self.where} is NOT the image; discard it")
        return (f"the data of image {self.image_id} does not match its hash ({got}); "
                f"{self.destination} is unchanged and the partial file was removed")

    def put_in_place(self) -> None:
        """fsync, then rename over the destination: a crash leaves the old file or the new,
        never a torn one. The writeback started during the download leaves this fsync
        about 0.01 s of work for 256 MiB (0.13 s without it)."""
        assert self.target is not None and self.part is not None
        try:  # 0600 while it was partial: the final mode only now
            os.fchmod(self.file.fileno(), final_mode(self.target))
            os.fsync(self.file.fileno())
        except OSError as exc:  # delayed allocation can report a full disk only here
            self.fail(keep=False)
            raise ImgcliError(self.write_failed(exc)) from None
        self.close_output()
        os.replace(self.part, self.target)
        sync_directory(os.path.dirname(self.target))

    def fail(self, keep: bool) -> None:
        """Close the output; keep a partial file for resuming, or remove it."""
        if self.hasher:
            self.hasher.close()
        if self.file is not None and self.part is not None:
            size = os.fstat(self.file.fileno()).st_size
            self.close_output()
            if keep and size:
                self.kept_partial = self.part
            else:
                remove(self.part)
        self.close_output()

    def close(self) -> None:
        """Release the output when save() was not reached (the GET failed): a kept partial
        file stays for the next try. A no-op after save()."""
        self.fail(keep=True)

    def close_output(self) -> None:
        if self.file is not None and self.owns_file:
            self.file.close()
        self.file = None

    def describe(self, response: Response) -> None:
        """What the trace shows for this body (it reads this attribute by name)."""
        response.imgcli_data_summary = describe_data(  # type: ignore[attr-defined]
            self.received, response.headers.get("Content-Type"), self.algorithm,
            self.digest, self.completed)


def prepare_download(destination: str | None, image_id: str, expected: Expected,
                     progress: Progress | None = None, stdout: BinaryIO | None = None,
                     resume: bool = True) -> Download:
    """Check the destination and hash any kept partial file, before the GET is sent.

    destination None or "-" is stdout (binary: sys.stdout.buffer unless given). With
    resume=False a kept partial file is emptied and written again.
    """
    real = check_destination(destination, stdout)
    download = Download(destination, image_id, expected, progress, stdout, real)
    download.take_partial()
    if resume:
        download.resume_partial()
    elif download.file is not None:
        download.start_over()
    return download


def replaceable(path: str) -> bool:
    """Whether the destination is a file to replace by renaming (it does not exist, or is
    a regular file or a link: a rename replaces the link, not its target), rather than
    a device or a FIFO to write straight through."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:  # nothing there (yet): a new file
        return True
    return stat.S_ISREG(mode) or stat.S_ISLNK(mode)


def why(exc: BaseException) -> str:
    """The one cause a user can act on, from requests' nested reprs."""
    text = repr(exc)
    if "IncompleteRead" in text or "InvalidChunkLength" in text:
        return "the connection closed early"
    if "ConnectionResetError" in text or "Connection reset" in text:
        return "the connection was reset"
    if "RemoteDisconnected" in text or "without response" in text:
        return "the server closed the connection without an answer"
    if "BrokenPipe" in text or "Broken pipe" in text:
        return "the server closed the connection"
    if "timed out" in text.lower() or "Timeout" in text:
        return "no data for too long"
    found = re.search(r"\[Errno -?\d+\] ([^\"')\]]+)", text)
    return found.group(1).strip() if found else type(exc).__name__
