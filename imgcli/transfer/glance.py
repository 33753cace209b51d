"""Image data and Glance's calls: the create that an interrupt cannot orphan, the PUT that
says how far it got, the verified GET of `image save`, and the clean-up of an image whose
data could not be uploaded.

Imports: the standard library, imgcli.api.images, imgcli.errors, imgcli.transfer.*,
imgcli.trace.notes; imgcli.explain, requests and keystoneauth1 only after a failure.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, BinaryIO

from imgcli.api import images
from imgcli.errors import ApiError, ImgcliError, NotFound
from imgcli.trace.notes import note_data
from imgcli.transfer.destination import check_destination
from imgcli.transfer.download import Download, SaveResult, why
from imgcli.transfer.hashing import Expected
from imgcli.transfer.progress import Progress
from imgcli.transfer.sources import Source
from imgcli.transfer.upload import UploadBody, upload_body

if TYPE_CHECKING:
    from imgcli.connection import Connection

# Statuses in which Glance has no data to send (GET …/file answers 204 or 4xx).
NOT_YET = frozenset({"queued", "saving", "uploading", "importing"})
GONE = frozenset({"killed", "deleted", "pending_delete"})
HELD = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def stop_reason(exc: BaseException) -> str:
    """"interrupted", or "interrupted by SIGTERM" (signals.Interrupted says which)."""
    return str(exc) or "interrupted"


@contextmanager
def held_signals() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP wait until the block has ended, then act as they would
    have (the handler in place before is called, or the default action taken). A second
    one acts at once: a request that hangs must not make the command impossible to stop.
    Signal handlers belong to the main thread: elsewhere this holds nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    before = {signum: signal.getsignal(signum) for signum in HELD}

    def hold(signum: int, frame: Any) -> None:
        if caught:
            restore()
            deliver(signum)
        caught.append(signum)

    def restore() -> None:
        for signum, handler in before.items():
            signal.signal(signum, handler)

    def deliver(signum: int) -> None:
        handler = before[signum]
        if callable(handler):
            handler(signum, None)  # Python's KeyboardInterrupt, or imgcli.signals' Interrupted
        elif handler == signal.SIG_DFL:
            os.kill(os.getpid(), signum)

    for signum, handler in before.items():
        if handler != signal.SIG_IGN:  # an ignored SIGHUP (nohup) stays ignored
            signal.signal(signum, hold)
    try:
        yield
    finally:
        restore()
        if caught:
            deliver(caught[0])


def create_image(conn: Connection, body: Mapping[str, Any],
                 chosen: bool = False) -> dict[str, Any]:
    """`POST /v2/images` for a create that uploads: `body` must hold the image's `id`
    (chosen by the caller, e.g. uuid4; Glance accepts it), so that an interrupt always
    knows which image to undo.

    A signal that lands while the POST is in flight is held until Glance has answered, then
    raised as KeyboardInterrupt after the new image is deleted: the message says so. A
    second signal stops the wait: the image is then deleted by its ID if Glance made it
    (a 404 means it did not, yet); an ID the user chose (`chosen`, --id) is never deleted
    blind, since it may name an image that already existed."""
    image: dict[str, Any] | None = None
    try:
        with held_signals():
            image = images.create_image(conn, dict(body))
    except KeyboardInterrupt as exc:
        what = stop_reason(exc)
        if image is not None:
            raise KeyboardInterrupt(discard(conn, image, f"{what} as the image was created")) \
                from None
        raise KeyboardInterrupt(interrupted_create(conn, str(body["id"]), what, chosen)) \
            from None
    return image


def interrupted_create(conn: Connection, image_id: str, what: str, chosen: bool = False) -> str:
    """What a create stopped while its POST was in flight left behind."""
    from imgcli.explain import explain

    if chosen:
        return (f"{what} while image {image_id} was being created; check with `imgcli image "
                f"show {image_id}` whether it exists")
    try:
        images.delete_image(conn, image_id)
    except NotFound:
        return f"{what} while the image was being created: Glance has not made image {image_id}"
    except Exception as exc:
        said = exc if isinstance(exc, ImgcliError) else explain(exc) or exc
        return (f"{what} while image {image_id} was being created; deleting it failed ({said}): "
                f"delete it with `imgcli image delete {image_id}` if it exists")
    return f"{what} while the image was being created; image {image_id} was deleted"


def upload_data(conn: Connection, image_id: str, source: Source, *, stage: bool = False,
                progress: Progress | None = None, size: int | None = None,
                timeout: float | None = None, extra: tuple[str, ...] = ()) -> UploadBody:
    """PUT the source as the image's data (or into staging), hashed as it goes (sha512, and
    each of `extra`).

    A refusal from Glance is its own one-line error; a connection that breaks or stalls
    after the body has started becomes one line that says how many bytes got out, instead
    of keystoneauth's "cannot connect" (the connection was made: it broke)."""
    body = upload_body(source, progress=progress, extra=extra)
    try:
        images.upload(conn, image_id, body, stage=stage, size=size)
    except ImgcliError:
        raise
    except KeyboardInterrupt as exc:
        # Said by the command, which knows what to undo: how far the upload got.
        raise KeyboardInterrupt(f"{stop_reason(exc)} after {sent(body, size)} bytes of "
                                f"{source.name} were sent") from None
    except Exception as exc:
        broken = broke_off(body, exc, timeout, size)
        if broken is None:
            raise
        raise broken from exc
    finally:
        body.close()
        note_data(body, body.imgcli_data_summary)  # what --trace shows for the body
    if size is not None and body.bytes_sent != size:
        raise ApiError(f"--size {size} but {body.bytes_sent} bytes were sent")
    return body


def sent(body: UploadBody, size: int | None = None) -> str:
    """`N of M` bytes sent (M when known: a file's size, or --size)."""
    total = body.source.size if body.source.size is not None else size
    return f"{body.bytes_sent}" + ("" if total is None else f" of {total}")


def broke_off(body: UploadBody, exc: BaseException, timeout: float | None,
              size: int | None = None) -> ApiError | None:
    """The one line for a transport failure once the body has started, else None."""
    import requests
    from keystoneauth1 import exceptions as ks_exc

    if not body.started or not isinstance(exc, ks_exc.ConnectionError
                                          | requests.RequestException):
        return None  # nothing was sent: session.explain says why it could not connect
    done = sent(body, size)
    reason = why(exc)
    wait = f"{timeout:g} s" if timeout else "too long"
    if reason == "no data for too long":
        if body.complete:
            return ApiError(f"Glance did not answer within {wait} after the whole upload "
                            f"({body.bytes_sent} bytes); raise --timeout for a slow store")
        return ApiError(f"the upload stalled: Glance took no data for {wait} after {done} "
                        "bytes (--timeout)")
    return ApiError(f"the upload broke off after {done} bytes ({reason})")


def discard(conn: Connection, image: Mapping[str, Any], reason: str) -> str:
    """Delete an image whose data did not arrive whole; `reason` and what became of it.

    A protected image is unprotected first: the half-made image is imgcli's own doing."""
    from imgcli.explain import explain

    image_id = str(image["id"])
    try:
        if image.get("protected"):
            images.update_image(conn, image_id,
                                [{"op": "replace", "path": "/protected", "value": False}])
        images.delete_image(conn, image_id)
    except Exception as exc:  # the reason stays the headline; this is the aftermath
        said = exc if isinstance(exc, ImgcliError) else explain(exc) or exc
        return (f"{reason}; deleting the half-made image {image_id} failed too ({said}): "
                f"delete it with `imgcli image delete {image_id}`")
    return f"{reason}; the half-made image {image_id} was deleted"


def no_data(image: Mapping[str, Any]) -> str | None:
    """Why Glance has no data to send for this image, from the record alone; None when
    it may have some (active; deactivated is Glance's to refuse or allow)."""
    status = str(image.get("status"))
    if status in NOT_YET:
        return f"image {image.get('id')} has no data yet (status {status})"
    if status in GONE:
        return f"image {image.get('id')} has no data (status {status})"
    return None


def save_data(conn: Connection, image: Mapping[str, Any], destination: str | None, *,
              stdout: BinaryIO | None = None, progress: Progress | None = None,
              prefer: Sequence[str] = (), check: tuple[str, str] | None = None,
              resume: str | None = None) -> SaveResult:
    """GET the image's data into `destination` (None: stdout), verified against the
    record's hash (and `check`, --expect-checksum's (algorithm, hexdigest)) before it
    replaces anything; a kept partial file is resumed.

    An interruption (SIGINT, SIGTERM, SIGHUP) at any point from here is re-raised as a
    KeyboardInterrupt whose message says what it left: the destination as it was, the
    bytes really in the kept partial file, and `resume`, the command that resumes."""
    reason = no_data(image)
    if reason:
        raise ApiError(reason)
    image_id = str(image["id"])
    download = Download(destination, image_id, Expected.from_image(image), progress, stdout,
                        check_destination(destination, stdout), check)
    try:
        download.prepare()  # hashes a kept partial file: it can take a while
        response = images.download(conn, image_id, download.offset, prefer)
        if response.status_code == 204:  # the record said active: it changed meanwhile
            raise ApiError(f"image {image_id} has no data (Glance answered 204 No Content)")
        return download.save(response)
    except KeyboardInterrupt as exc:
        download.close()  # a kept partial file stays for the next try
        signum = getattr(exc, "signum", signal.SIGINT)  # imgcli.signals.Interrupted's
        raise KeyboardInterrupt(download.interrupted(signum, resume)) from None
    except BaseException:
        download.close()  # a no-op after save(), which has kept or removed what it must
        raise
