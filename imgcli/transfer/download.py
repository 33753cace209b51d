"""Image data coming down (`image save`): the GET's answer checked, each block written once
and hashed in the same pass, then verified before it replaces anything.

A file destination is written to a partial file beside it (partial.py), which is renamed
over the destination only once the data matched Glance's own hash and, with
--expect-checksum, the one the user gave. Stdout, a device or a FIFO is written straight
through. Every other ending is one line saying what became of the destination (unchanged,
or not created) and of the partial file: removed when its data is wrong or the disk is
full; kept, with the command that resumes from it, when the connection broke off or a
signal (SIGINT, SIGTERM, SIGHUP) interrupted the download. No request is sent from here:
glance.save_data() sends the GET.

Imports: the standard library, imgcli.errors, imgcli.trace.notes (the trace's hook) and
imgcli.transfer's destination, hashing, partial, progress and verify; requests inside
receive().
"""

from __future__ import annotations

import errno
import os
import re
import select
import signal
import sys
from typing import TYPE_CHECKING, Any, BinaryIO

from imgcli.errors import ApiError, ImgcliError, phrase
from imgcli.trace.notes import note_data
from imgcli.transfer.destination import check_destination, replaceable, start_writeback
from imgcli.transfer.hashing import BLOCK, Expected, Hasher, describe_data
from imgcli.transfer.partial import PartialFile
from imgcli.transfer.progress import Progress
from imgcli.transfer.verify import Checks, SaveResult

__all__ = ["Download", "SaveResult", "prepare_download", "why"]

if TYPE_CHECKING:
    from requests import Response

CONTENT_RANGE = re.compile(r"bytes (\d+)-\d+/(?:\d+|\*)")
# Bytes: how often the partial file's new bytes are handed to the disk (start_writeback),
# so that the fsync before the rename has little left to do (docs/performance.md).
WRITEBACK_EVERY = 8 << 20


class Download:
    """One image's data on its way to a file or stdout: build it with prepare_download().

    `headers` goes on the GET (a Range when a kept partial file is resumed); `save`
    takes the streamed response. After a failure, `kept_partial` names a partial file
    kept for resuming (None when there is none) and `kept_bytes` the bytes it holds.
    `check`: --expect-checksum's (algorithm, hexdigest), verified beside Glance's hash.
    """

    def __init__(self, destination: str | None, image_id: str, expected: Expected,
                 progress: Progress | None, stdout: BinaryIO | None,
                 real: str | None = None, check: tuple[str, str] | None = None) -> None:
        self.destination = destination
        self.image_id = image_id
        self.expected = expected
        self.checks = Checks(image_id, expected, check)  # verify.py: what the data must hash to
        self.algorithm = self.checks.algorithm  # Glance's
        self.algorithms = self.checks.algorithms  # one hashing thread for both checks
        self.progress = progress
        self.stdout = stdout
        self.hasher: Hasher | None = None
        self.offset = 0  # bytes already in the kept partial file, hashed
        self.received = 0  # bytes of this response written out
        self.writing = 0  # bytes of a write under way: some may be out if it is interrupted
        self.kept_partial: str | None = None
        self.kept_bytes = 0
        self.target: str | None = None  # the real file to replace, or None: write straight
        self.existed = False  # the target was there before: "unchanged", not "not created"
        self.part: PartialFile | None = None
        self.written_back = 0  # the partial file's bytes up to here were handed to the disk
        self.file: Any = None  # the partial file's, or the stream (stdout, device)
        self.owns_file = True  # False for stdout: it is the caller's to close
        self.digests: dict[str, str] = {}  # set once the whole body was received and hashed
        self.completed = False  # the whole body arrived
        if real is not None and replaceable(real):  # real: check_destination()'s answer
            self.target = real
            self.existed = os.path.lexists(real)

    @property
    def busy(self) -> str:
        """The error when another imgcli holds the partial file (PartialFile's lock)."""
        return f"another imgcli is already saving image {self.image_id} to {self.destination}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Range": f"bytes={self.offset}-"} if self.offset else {}

    # -- before the request: a kept partial file is taken and hashed (one pass) ---------------

    def prepare(self, resume: bool = True) -> None:
        """Take the partial file an earlier save kept, if any; hash it to resume from its
        end, or (resume=False) empty it."""
        if self.target is None:
            return
        self.part = PartialFile.find(self.target, self.image_id, self.busy)
        if self.part is None:
            return
        self.file = self.part.file
        if resume:
            self.resume_partial()
        else:
            self.start_over()

    def resume_partial(self) -> None:
        assert self.part is not None
        size = self.part.size
        if size == 0 or (self.expected.size is not None and size >= self.expected.size):
            self.start_over()  # nothing to resume, or more than the image: not ours to trust
            return
        self.hasher = self.new_hasher()
        if self.hasher is None:  # nothing to verify with: no need to read it
            self.offset = size
            self.part.seek(size)
            return
        for block in self.part.blocks():
            self.hasher.update(block)
            self.offset += len(block)

    def new_hasher(self) -> Hasher | None:
        return self.checks.hasher()

    def start_over(self) -> None:
        """Drop what a kept partial file held: the data is taken from its first byte."""
        if self.hasher:
            self.hasher.close()
        self.hasher = self.new_hasher()
        self.offset = self.written_back = 0
        if self.part is not None and self.part.file is not None:
            self.part.empty()
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
        except BaseException:
            # An interruption, or an error not handled below: keep what was received.
            self.fail(keep=True)
            raise
        finally:
            note_data(response, self.summary(response))  # what --trace shows for the body
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
            self.part = PartialFile.create(self.target, self.image_id, self.busy)
            self.file = self.part.file
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
            self.write_back()
            if self.progress:
                self.progress.advance(len(block))
        if expected_length is not None and self.received < expected_length:
            raise self.broke_off(expected_length, "the connection closed early")
        self.completed = True

    def write_back(self) -> None:
        end = self.offset + self.received
        if self.part is not None and end - self.written_back >= WRITEBACK_EVERY:
            start_writeback(self.file.fileno(), self.written_back, end - self.written_back)
            self.written_back = end

    def write(self, block: bytes) -> None:
        """Write all of it; `received` counts each byte as it is written out, so that an
        interruption reports what really is in the output."""
        view = memoryview(block)
        try:
            while view:
                self.writing = len(view)
                try:
                    written = self.file.write(view)
                except BlockingIOError as exc:  # a non-blocking stdout that is full
                    written = exc.characters_written
                if not written:
                    select.select([], [self.file], [])  # wait until it drains
                written = written or 0
                self.received += written
                self.writing = 0
                view = view[written:]
        except BrokenPipeError:
            raise  # stdout's reader went away: the launcher's quiet exit 141
        except OSError as exc:
            self.fail(keep=False)
            raise ImgcliError(self.write_failed(exc)) from None

    # -- the end: verified and renamed, or not --------------------------------------------------

    def finish(self) -> SaveResult:
        self.digests = self.hasher.digests() if self.hasher else {}
        try:
            self.checks.verify(self.digests, self.where,
                               None if self.target is None else self.left)
        except ImgcliError:
            self.fail(keep=False)  # the data is wrong: nothing to resume
            raise
        if self.part is not None:
            self.put_in_place()
        else:
            self.file.flush()
            self.close_output()
        return self.checks.result(self.offset + self.received, self.offset, self.digests)

    def put_in_place(self) -> None:
        assert self.target is not None and self.part is not None
        try:
            self.part.put_in_place(self.target)
        except OSError as exc:  # delayed allocation can report a full disk only at the fsync
            self.fail(keep=False)
            raise ImgcliError(self.write_failed(exc)) from None
        self.part = None
        self.file = None

    def fail(self, keep: bool) -> None:
        """Close the output; keep a partial file for resuming (when it holds anything), or
        remove it. Safe to call twice."""
        if self.hasher:
            self.hasher.close()
        if self.part is not None:
            self.kept_bytes = self.part.close(keep) or self.kept_bytes
            if self.kept_bytes:
                self.kept_partial = self.part.path
            self.file = None
        self.close_output()

    def close(self) -> None:
        """Release the output when save() was not reached (the GET failed or was
        interrupted): a kept partial file stays for the next try. A no-op after save()."""
        self.fail(keep=True)

    def close_output(self) -> None:
        if self.file is not None and self.owns_file:
            self.file.close()
        self.file = None

    def summary(self, response: Response) -> str:
        """What the trace shows for this body: its size and hash, never its bytes."""
        return describe_data(self.received, response.headers.get("Content-Type"),
                             self.algorithm, self.checks.glances(self.digests), self.completed)

    # -- what each ending says --------------------------------------------------------------------

    @property
    def where(self) -> str:
        return "stdout" if self.destination is None or self.destination == "-" \
            else self.destination

    @property
    def left(self) -> str:
        """What became of a file destination: nothing was done to it either way."""
        return f"{self.where} is unchanged" if self.existed else f"{self.where} was not created"

    def write_failed(self, exc: OSError) -> str:
        what = "no space left on the device" if exc.errno in (errno.ENOSPC, errno.EDQUOT) \
            else (exc.strerror or str(exc))
        done = f"after {self.offset + self.received} bytes"
        if self.target is None:
            return f"writing image {self.image_id} to {self.where} failed {done}: {what}"
        return (f"saving image {self.image_id} to {self.where} failed {done}: {what}; "
                f"{self.left} and the partial file was removed")

    def broke_off(self, expected_length: int | None, reason: str) -> ApiError:
        total = "" if expected_length is None else f" of {self.offset + expected_length}"
        done = f"after {self.offset + self.received}{total} bytes ({reason})"
        if self.target is None:
            self.fail(keep=False)
            return ApiError(f"the download of image {self.image_id} broke off {done}; "
                            "the data written is incomplete")
        self.fail(keep=True)
        return ApiError(f"the download of image {self.image_id} broke off {done}; "
                        f"{self.left}: run the same command again to "
                        f"resume from {self.kept_partial or 'the start'}")

    def interrupted(self, signum: int, resume: str | None = None) -> str:
        """What a signal left: the destination as it was, and the bytes really in the kept
        partial file with the command that resumes from it (`resume`, else in words)."""
        # Ctrl-C is "interrupted", as the upload says it; another signal is named.
        cause = "interrupted" if signum == signal.SIGINT else \
            f"interrupted by {signal.Signals(signum).name}"
        if self.target is None:
            # A signal can end a write whose bytes are out (Python runs its handler as the
            # call returns), so a write under way counts as "up to" its length.
            done = f"{self.received} to {self.received + self.writing}" if self.writing \
                else str(self.received)
            if done == "0":
                return f"{cause} before any image data was written to {self.where}"
            return f"{cause} after {done} bytes; what was written to {self.where} is incomplete"
        if not self.kept_partial:
            return f"{cause} before any image data arrived; {self.left}"
        how = f"resume with `{resume}`" if resume else "run the same command again to resume"
        return (f"{cause} after {self.kept_bytes} bytes; {self.left}; the {self.kept_bytes} "
                f"bytes are kept in {self.kept_partial}: {how}")


def prepare_download(destination: str | None, image_id: str, expected: Expected,
                     progress: Progress | None = None, stdout: BinaryIO | None = None,
                     resume: bool = True, check: tuple[str, str] | None = None) -> Download:
    """Check the destination and hash any kept partial file, before the GET is sent.

    destination None or "-" is stdout (binary: sys.stdout.buffer unless given). With
    resume=False a kept partial file is emptied and written again. `check`: the
    (algorithm, hexdigest) of --expect-checksum (hashing.parse_expected_checksum).
    """
    real = check_destination(destination, stdout)
    download = Download(destination, image_id, expected, progress, stdout, real, check)
    download.prepare(resume)
    return download


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
