"""An image copied from one cloud (or region) to another: the new image's attributes, the
source's data as a Source for the upload, and the two ways the data moves.

- `stream`: `GET …/file` on the source (headers only), `POST /v2/images` on the target,
  `PUT …/file` on the target whose body is the source's body, read and sent in one pass
  (1 MiB blocks, no temporary file, a few MiB of memory whatever the size), then `GET` of
  the target's record: 4 requests. `ImageData` counts and hashes the bytes as they pass
  and, at the end of the data, checks them against the source record's size and
  os_hash_value; UploadBody hands on the last block only after that read, so a cut or
  damaged body never becomes a complete upload. The target's record must then show the
  size sent and the source's hash.
- `glance_download`: `POST /v2/images` and `POST …/import` (method glance-download, with
  the source's region, image ID and service interface) on the target, then the polls of
  `image import --wait` until the import has ended; the target's hash is compared with the
  source's. Glance fetches the data itself: it works between regions of one Keystone.

Whatever stops a copy once the target image exists (either cloud's refusal, a broken or
damaged body, a hash that differs, Ctrl-C, SIGTERM, SIGHUP) deletes that image and says so.

Imports: the standard library, imgcli.api.images, imgcli.errors, imgcli.transfer.*,
imgcli.trace.notes; urllib3 (as a reader's errors) and imgcli.explain only after a failure.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from threading import Event
from typing import TYPE_CHECKING, Any

from imgcli.api import images
from imgcli.errors import ApiError, ImgcliError, RequestError
from imgcli.trace.notes import note_data
from imgcli.transfer.glance import create_image, discard, no_data, stop_reason, upload_data
from imgcli.transfer.hashing import Expected, describe_data, hex_prefix
from imgcli.transfer.importing import StillImporting, wait_for_import
from imgcli.transfer.progress import Progress, StatusLine
from imgcli.transfer.sources import Source

if TYPE_CHECKING:
    from imgcli.connection import Connection

# What belongs to the source cloud and is never sent to the target: Glance's own record
# (id, status, dates, size and hashes, which the target computes from the data), the owner
# (a project of the source cloud), where the data lives there (locations, direct_url,
# stores) and Glance's reserved os_glance_* properties (import locks and results).
LEFT_OUT = frozenset({
    "id", "owner", "status", "size", "virtual_size", "checksum", "os_hash_algo",
    "os_hash_value", "created_at", "updated_at", "self", "file", "schema", "locations",
    "direct_url", "stores",
})
RESERVED_PREFIX = "os_glance_"
GLANCE_DOWNLOAD = "glance-download"


def copy_body(image: Mapping[str, Any], name: str | None = None) -> dict[str, Any]:
    """The target's `POST /v2/images` body: the source's name (or `name`), disk and container
    format, min disk and RAM, visibility, protection, hidden flag, tags and custom
    properties; none of LEFT_OUT. The ID is new (a uuid4 chosen here, so that an interrupt
    always knows which image to undo): an ID names an image in one cloud only."""
    body = {key: value for key, value in image.items()
            if key not in LEFT_OUT and not key.startswith(RESERVED_PREFIX) and value is not None}
    if name is not None:
        body["name"] = name
    body["id"] = str(uuid.uuid4())
    return body


def why_no_data(image: Mapping[str, Any]) -> str | None:
    """Why the source image cannot be copied, from its record alone; None when it can."""
    reason = no_data(image)
    if reason:
        return reason
    if image.get("status") != "active":
        return f"image {image.get('id')} is {image.get('status')}, not active"
    if not isinstance(image.get("size"), int):
        return f"image {image.get('id')} has no data (no size)"
    return None


class ImageData:
    """The source image's data as it comes down: `response.raw` read with readinto(), each
    byte counted and hashed once (with the source's os_hash_algo), and at the end of the
    data (the read that returns 0, before UploadBody hands on the last block) checked
    against the record's size and hash. A transport failure is one line."""

    def __init__(self, response: Any, expected: Expected, name: str,
                 stop: Event | None = None) -> None:
        self.response, self.expected, self.name = response, expected, name
        self.stop = stop  # set by another thread (image sync --parallel's Ctrl-C)
        self.size = expected.size or 0
        self.hash = hashlib.new(expected.algorithm) if expected.verifiable else None  # type: ignore[arg-type]
        self.count = 0
        self.checked = False

    def readinto(self, buffer: Any) -> int:
        from urllib3.exceptions import HTTPError as Urllib3Error

        if self.stop is not None and self.stop.is_set():
            raise KeyboardInterrupt("interrupted")
        try:
            n = self.response.raw.readinto(buffer)
        except (OSError, Urllib3Error) as exc:  # not OSError: urllib3 would blame the PUT
            raise ApiError(f"the download of {self.name} broke off after {self.got()} bytes "
                           f"({type(exc).__name__})") from None
        if n:
            self.count += n
            if self.count > self.size:
                raise ApiError(f"the source sent more than the {self.size} bytes its record "
                               f"says {self.name} holds")
            if self.hash is not None:
                self.hash.update(memoryview(buffer)[:n])  # releases the GIL for a block
            return n
        if not self.checked:
            self.checked = True
            self.check()
        return 0

    def check(self) -> None:
        if self.count != self.size:
            raise ApiError(f"the download of {self.name} broke off after {self.got()} bytes")
        if self.hash is not None and self.hash.hexdigest() != self.expected.hexdigest:
            raise ApiError(f"the data of {self.name} does not match its hash "
                           f"({self.expected.algorithm} {hex_prefix(self.hash.hexdigest())}, "
                           f"the source's record has {hex_prefix(self.expected.hexdigest)})")

    def got(self) -> str:
        return f"{self.count} of {self.size}"

    def close(self) -> None:
        """Drop the connection (a body not read to its end is not drained) and tell the
        trace what the body was."""
        self.response.close()
        digest = self.hash.hexdigest() if self.hash is not None and self.checked else None
        note_data(self.response, describe_data(
            self.count, self.response.headers.get("Content-Type"), self.expected.algorithm,
            digest, self.checked and self.count == self.size))


def open_source(conn: Connection, image: Mapping[str, Any], name: str,
                stop: Event | None = None) -> Source:
    """`GET …/file` on the source, its body left unread: the Source the target's PUT reads.
    `name` says which image in which cloud, for messages; `stop`, when set, interrupts the
    reading (a copy on a thread other than the one that gets signals)."""
    image_id = str(image["id"])
    response = images.download(conn, image_id)
    expected = Expected.from_image(image)
    if response.status_code != 200:  # 204: the record said active, it changed meanwhile
        response.close()
        raise ApiError(f"{name} has no data (the source answered {response.status_code})")
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and int(length) != expected.size:
        response.close()
        raise ApiError(f"the source offers {length} bytes of {name} but its record says "
                       f"{expected.size}")
    return Source(name, ImageData(response, expected, name, stop), expected.size, kind="image")


def reworded(exc: ImgcliError, message: str) -> ImgcliError:
    """The same kind of error (a refused token stays exit 3) with a new message."""
    if isinstance(exc, RequestError):
        return type(exc)(message, status=exc.status, method=exc.method, url=exc.url,
                         detail=exc.detail, hint=exc.hint)
    return type(exc)(message)


@contextmanager
def undone(conn: Connection, image: Mapping[str, Any]) -> Iterator[None]:
    """Delete the target image, and say so, if the block fails or is interrupted: the
    error keeps its kind, and a KeyboardInterrupt carries the line to print."""
    try:
        yield
    except KeyboardInterrupt as exc:
        raise KeyboardInterrupt(discard(conn, image, stop_reason(exc))) from None
    except StillImporting as exc:
        raise ApiError(discard(conn, image, f"{exc} (it was not verified)")) from None
    except ImgcliError as exc:
        raise reworded(exc, discard(conn, image, str(exc))) from exc
    except Exception as exc:  # keystoneauth's or requests' own, before a byte went out
        from imgcli.explain import explain

        raise ApiError(discard(conn, image, str(explain(exc) or exc))) from exc


def create_target(target: Connection, body: Mapping[str, Any], name: str) -> dict[str, Any]:
    """`POST /v2/images` on the target. A refusal there (an attribute it does not allow,
    such as visibility public without its admin role; a quota) is one line naming the
    target and what it refused: nothing was created, nothing copied."""
    try:
        return create_image(target, body)
    except RequestError as exc:
        if exc.status in REFUSALS:
            what = next((f" ({attribute})" for status, words, attribute in REFUSED_ATTRIBUTES
                         if exc.mentions(status, words)), "")
            raise reworded(exc, f"{name} refuses the new image{what}: "
                                f"{exc.detail or exc}; nothing was copied") from None
        raise reworded(exc, f"{name}: {exc}") from None


# Statuses of a POST that refuse the body itself, and the attributes Glance's words name.
REFUSALS = (400, 403, 409, 413)
REFUSED_ATTRIBUTES = ((403, "publicize_image", "visibility public"),
                      (403, "communitize_image", "visibility community"))


def stream(source: Connection, target: Connection, image: Mapping[str, Any],
           body: Mapping[str, Any], names: tuple[str, str], *,
           progress: Progress | None = None, timeout: float | None = None,
           stop: Event | None = None) -> tuple[dict[str, Any], str | None]:
    """Copy by streaming the data through imgcli (module doc): the target's final record
    and a warning when its hash could not be compared. `names`: the source's and the
    target's, for messages. The source's GET goes first, so a source that refuses or has
    no data costs nothing on the target."""
    source_name, target_name = names
    data = open_source(source, image, f"image {image.get('id')} in {source_name}", stop)
    try:
        created = create_target(target, body, target_name)
    except BaseException:
        data.close()
        raise
    try:
        with undone(target, created):
            sent = upload_data(target, str(created["id"]), data, progress=progress,
                               timeout=timeout)
            final = images.get_image(target, str(created["id"]))
            if final.get("size") != sent.bytes_sent:
                raise ApiError(f"{target_name} stored {final.get('size')} bytes of image "
                               f"data but {sent.bytes_sent} were sent")
            # What was sent is the source's data (ImageData checked it as it passed): the
            # target's record must now show the source's hash.
            warning = compare_records(image, final)
    finally:
        data.close()
    return final, warning


def glance_download(target: Connection, image: Mapping[str, Any], body: Mapping[str, Any],
                    target_name: str, *, region: str, interface: str, timeout: float,
                    status: StatusLine | None = None,
                    stop: Event | None = None) -> tuple[dict[str, Any], str | None]:
    """Copy by Glance's glance-download import between regions of one Keystone (module
    doc): the target's final record, and a warning when its hash could not be compared."""
    created = create_target(target, body, target_name)
    image_id = str(created["id"])
    method = {"name": GLANCE_DOWNLOAD, "glance_region": region,
              "glance_image_id": str(image["id"]), "glance_service_interface": interface}
    with undone(target, created):
        images.start_import(target, image_id, {"method": method})
        final = wait_for_import(target, image_id, timeout, status=status,
                                sleep=None if stop is None else stoppable(stop))
        warning = compare_records(image, final)
    return final, warning


def stoppable(stop: Event) -> Callable[[float], None]:
    """A sleep between import polls that ends, as an interrupt, when `stop` is set."""

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise KeyboardInterrupt("interrupted")

    return sleep


def compare_records(source: Mapping[str, Any], target: Mapping[str, Any]) -> str | None:
    """The target's size and hash against the source's: raises ApiError when they differ,
    a warning when they cannot be compared (other algorithms), None when they match."""
    if source.get("size") != target.get("size"):
        raise ApiError(f"the target holds {target.get('size')} bytes of image data but the "
                       f"source {source.get('size')}")
    mine, theirs = Expected.from_image(source), Expected.from_image(target)
    if not (mine.verifiable and theirs.verifiable):
        return "the copy could not be verified: a record has no hash"
    if mine.algorithm != theirs.algorithm:
        return (f"the copy could not be verified: the source hashes with {mine.algorithm}, "
                f"the target with {theirs.algorithm}")
    if mine.hexdigest != theirs.hexdigest:
        raise ApiError(f"the target's {theirs.algorithm} of the image data is "
                       f"{hex_prefix(theirs.hexdigest)} but the source's "
                       f"{hex_prefix(mine.hexdigest)}")
    return None


def same_data(source: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """Whether `other` is active and holds the source's data (same size, algorithm, hash)."""
    mine, theirs = Expected.from_image(source), Expected.from_image(other)
    return (other.get("status") == "active" and mine.verifiable
            and (mine.algorithm, mine.hexdigest, mine.size)
            == (theirs.algorithm, theirs.hexdigest, theirs.size))

