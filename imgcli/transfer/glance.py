"""Image data and Glance's calls: the PUT that says how far it got, the verified GET of
`image save`, and the clean-up of an image whose data could not be uploaded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, BinaryIO

from imgcli.api import images
from imgcli.errors import ApiError, ImgcliError
from imgcli.transfer.download import Download, SaveResult, prepare_download, why
from imgcli.transfer.hashing import Expected
from imgcli.transfer.progress import Progress
from imgcli.transfer.upload import Source, UploadBody, upload_body

if TYPE_CHECKING:
    from imgcli.connection import Connection

# Statuses in which Glance has no data to send (GET …/file answers 204 or 4xx).
NOT_YET = frozenset({"queued", "saving", "uploading", "importing"})
GONE = frozenset({"killed", "deleted", "pending_delete"})


def upload_data(conn: Connection, image_id: str, source: Source, *, stage: bool = False,
                progress: Progress | None = None, size: int | None = None,
                timeout: float | None = None) -> UploadBody:
    """PUT the source as the image's data (or into staging), hashed as it goes.

    A refusal from Glance is its own one-line error; a connection that breaks or stalls
    after the body has started becomes one line that says how many bytes got out, instead
    of keystoneauth's "cannot connect" (the connection was made: it broke)."""
    body = upload_body(source, progress=progress)
    try:
        images.upload(conn, image_id, body, stage=stage, size=size)
    except ImgcliError:
        raise
    except KeyboardInterrupt:
        # Said by the command, which knows what to undo: how far the upload got.
        raise KeyboardInterrupt(f"interrupted after {sent(body, size)} bytes") from None
    except Exception as exc:
        broken = broke_off(body, exc, timeout, size)
        if broken is None:
            raise
        raise broken from exc
    finally:
        body.close()
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
              prefer: Sequence[str] = ()) -> SaveResult:
    """GET the image's data into `destination` (None: stdout), verified against the
    record's hash before it replaces anything; a kept partial file is resumed."""
    reason = no_data(image)
    if reason:
        raise ApiError(reason)
    image_id = str(image["id"])
    download = prepare_download(destination, image_id, Expected.from_image(image), progress,
                                stdout)
    try:
        response = images.download(conn, image_id, download.offset, prefer)
    except BaseException:
        download.close()  # a kept partial file stays for the next try
        raise
    if response.status_code == 204:  # the record said active: it changed meanwhile
        download.close()
        raise ApiError(f"image {image_id} has no data (Glance answered 204 No Content)")
    try:
        return download.save(response)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(interrupted(download)) from None


def interrupted(download: Download) -> str:
    """What Ctrl-C left: the destination as it was, and the partial file to resume from."""
    done = f"interrupted after {download.offset + download.received} bytes"
    if download.target is None:
        return f"{done}; what was written to {download.where} is incomplete"
    if download.kept_partial:
        return (f"{done}; {download.destination} is unchanged: run the same command again "
                f"to resume from {download.kept_partial}")
    return f"{done}; {download.destination} is unchanged"
