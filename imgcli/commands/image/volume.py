"""`image create NAME --volume VOLUME [--force]`: an image made by Cinder from a volume, and
the image-signing options, which imgcli accepts and refuses (create.py calls `check` first).

Cost: one Cinder request for a volume ID (its `os-volume_upload_image` action; Cinder then
creates the image in Glance and copies the data, after the command has ended); a name adds
one `GET /volumes?name=…`. openstackclient sends a GET of the volume even for an ID, and
Cinder's version document first. The output is Cinder's reply to the action, as
openstackclient prints it (its keys sorted, `volume_type` reduced to the type's name): the
image is still `queued` or `saving` when the command ends (`imgcli image show` follows it).

Signing (`--sign-key-path`, `--sign-cert-id`) needs Barbican and a private key; imgcli
refuses both with one line, exit 2, before any request, so that a script learns it at once.

Imports: imgcli.api.volumes, imgcli.resolve (the ID shape), imgcli.commands.image.data
(its option table), imgcli.errors.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgcli.api import volumes
from imgcli.commands.image.data import ABSENT
from imgcli.errors import ApiError, NotFound, UsageError
from imgcli.resolve import looks_like_id

if TYPE_CHECKING:
    from imgcli.connection import Connection

# The options Cinder's upload cannot carry, beyond the data options (openstackclient warns
# "not supported when creating an image from a volume ... will be an error in a future
# version" and ignores them; imgcli refuses them, since ignoring one surprises a script).
NOT_WITH_VOLUME = (("id", "--id"), ("min_disk", "--min-disk"), ("min_ram", "--min-ram"),
                   ("properties", "--property"), ("tags", "--tag"), ("project", "--project"),
                   ("use_import", "--import"))


def add_options(parser: argparse.ArgumentParser) -> None:
    """--volume, --force, --sign-key-path and --sign-cert-id, with openstackclient's names."""
    parser.add_argument("--volume", metavar="<volume>",
                        help="Create image from a volume (name or ID): Cinder makes the image "
                             "and copies the volume's data into it (needs a block-storage "
                             "endpoint; not with --file, --url or the other data options)")
    parser.add_argument("--force", dest="force", action="store_true", default=False,
                        help="Force image creation if volume is in use (only meaningful with "
                             "--volume)")
    parser.add_argument("--sign-key-path", metavar="<sign-key-path>",
                        help="Sign the image using the specified private key (not supported "
                             "by imgcli yet: refused)")
    parser.add_argument("--sign-cert-id", metavar="<sign-cert-id>",
                        help="The certificate UUID in the key manager for the signing key "
                             "(not supported by imgcli yet: refused)")


def check(args: argparse.Namespace) -> None:
    """Refuse, before any request, signing and what --volume cannot be combined with."""
    for dest, flag in (("sign_key_path", "--sign-key-path"), ("sign_cert_id", "--sign-cert-id")):
        if getattr(args, dest, None):
            raise UsageError(f"{flag}: imgcli does not sign images yet; use openstackclient "
                             "to create a signed image")
    if not args.volume:
        return  # --force alone is accepted and means nothing, as in openstackclient
    given = [flag for dest, flag in NOT_WITH_VOLUME if getattr(args, dest, None)]
    given += ["--" + dest.replace("filename", "file").replace("_", "-")
              for dest, absent in ABSENT.items() if getattr(args, dest, absent) != absent]
    if given:
        raise UsageError(f"--volume with {given[0]}: Cinder makes the image from the volume "
                         "alone (only the name, --disk-format, --container-format, "
                         "visibility and --protected go with it)")


def upload_request(args: argparse.Namespace) -> dict[str, Any]:
    """openstackclient's os-volume_upload_image body on a Cinder with API 3.1: private and
    unprotected unless said otherwise."""
    return {"image_name": args.name, "force": args.force, "disk_format": args.disk_format,
            "container_format": args.container_format,
            "visibility": args.visibility or "private", "protected": bool(args.protected)}


def volume_id(connection: Connection, ref: str) -> str:
    """An ID as it is (no request); a name, its one look-up among the project's volumes."""
    if looks_like_id(ref):
        return ref
    found = volumes.find_volumes(connection, ref)
    if not found:
        raise NotFound(f"no volume named or with ID {ref!r}")
    if len(found) > 1:
        ids = ", ".join(sorted(str(volume.get("id")) for volume in found))
        raise ApiError(f"{len(found)} volumes are named {ref!r} ({ids}): give the ID instead")
    return str(found[0]["id"])


def record(reply: dict[str, Any]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """openstackclient's output: the reply's keys sorted, volume_type as its name."""
    info = dict(reply)
    volume_type = info.get("volume_type")
    info["volume_type"] = volume_type.get("name") if isinstance(volume_type, dict) else None
    keys = tuple(sorted(info))
    return keys, tuple(info[key] for key in keys)


def create_from_volume(connection: Connection,
                       args: argparse.Namespace) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """The upload action on the volume `args.volume` names, and its record."""
    ref = args.volume
    target = volume_id(connection, ref)
    try:
        reply = volumes.upload_to_image(connection, target, upload_request(args))
    except NotFound as exc:
        if target != ref:
            raise
        raise NotFound(f"no volume with ID {ref!r}", status=exc.status, method=exc.method,
                       url=exc.url, detail=exc.detail) from exc
    except ApiError as exc:
        # Cinder: 400 "Invalid volume: Volume status must be available to upload ...; or
        # in-use with force" when the volume is attached and --force was not given.
        if exc.mentions(400, "in-use") and not args.force:
            raise ApiError(f"{exc} (give --force to upload a volume that is in use)",
                           status=exc.status, method=exc.method, url=exc.url,
                           detail=exc.detail) from exc
        raise
    return record(reply)
