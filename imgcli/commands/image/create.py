"""`image create NAME`: openstackclient's options, the POST, then the image data if there is
some (--file, --file -, piped stdin, --url; --decompress, --expect-checksum: data.py; --import
stages it and imports it with glance-direct), and the record as `image show` prints it: the
final one, after the upload.

With data: POST (the image's `id` chosen here, uuid4, so that an interrupt always knows what
to delete), PUT, then one PATCH that records openstacksdk's owner_specified.openstack.md5,
.sha256 and .object as `openstack image create` would have them, and whose answer is the
final record, its hash compared with the one computed while sending: 3 requests (--import:
PUT to stage, POST …/import and the polls of its wait instead of the PUT). --if-absent adds
one GET before the POST, and ends there when an image already holds the data. Whatever stops
the upload (Glance's error, a broken connection or URL, a checksum that differs, corrupt
compressed data, Ctrl-C, SIGTERM, SIGHUP) deletes the half-made image and says so.

Imports: imgcli.records, imgcli.api, imgcli.commands.*, imgcli.errors; imgcli.transfer and
imgcli.explain inside functions.
"""

from __future__ import annotations

import argparse
import uuid
from typing import TYPE_CHECKING, Any

from imgcli import records
from imgcli.api import identity, images
from imgcli.commands.base import ShowOne
from imgcli.commands.image import options, volume
from imgcli.commands.image.data import (
    add_data_options,
    data_digest,
    meter,
    open_data,
    same_image,
)
from imgcli.commands.image.imports import start
from imgcli.commands.options import add_project_options, unique
from imgcli.errors import ApiError, ImgcliError, UsageError

if TYPE_CHECKING:
    from imgcli.connection import Connection
    from imgcli.transfer import Source, UploadBody

# The attributes create has an option for (--property NAME=... is refused for them).
CREATE_OPTIONS = {**options.options_for(
    "min_disk", "min_ram", "container_format", "disk_format", "protected", "visibility",
    "owner", "tags"), "name": "the <image-name> argument", "id": "--id"}


def create_body(args: argparse.Namespace, owner: str | None) -> dict[str, Any]:
    """The POST /v2/images body: what the options say, and nothing they leave unsaid."""
    body: dict[str, Any] = {"name": args.name, "container_format": args.container_format,
                            "disk_format": args.disk_format}
    for key in ("id", "min_disk", "min_ram", "visibility", "protected"):
        value = getattr(args, key)
        if value is not None:
            body[key] = value
    if args.tags:
        body["tags"] = unique(args.tags)
    if owner:
        body["owner"] = owner
    # openstacksdk's owner_specified.openstack.* come after the data (sdk_checksums).
    return {**args.properties, **body}


# openstacksdk's own record of an upload (openstack/image/v2/_proxy.py, create_image): its
# duplicate check and Ansible read them. openstack 10.5.0 sends them in the POST, md5 and
# sha256 empty (it asks for no validation); imgcli sends them filled in, after the data.
SDK_MD5 = "owner_specified.openstack.md5"
SDK_SHA256 = "owner_specified.openstack.sha256"
SDK_OBJECT = "owner_specified.openstack.object"
SDK_CONTAINER = "images"  # openstacksdk's _OBJECT_AUTOCREATE_CONTAINER


def sdk_checksums(body: UploadBody, name: str,
                  properties: dict[str, str]) -> list[dict[str, Any]]:
    """The JSON-Patch that records them; a value the user set with --property stays."""
    values = {SDK_MD5: body.hexdigest("md5"), SDK_SHA256: body.hexdigest("sha256"),
              SDK_OBJECT: f"{SDK_CONTAINER}/{name}"}
    return [{"op": "add", "path": f"/{key}", "value": value}
            for key, value in values.items() if key not in properties]


class CreateImage(ShowOne):
    """Create/upload an image"""


    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("name", metavar="<image-name>", help="New image name")
        parser.add_argument("--id", metavar="<id>", type=options.image_id,
                            help="Image ID to reserve")
        options.add_format_options(parser, defaults=True)
        options.add_size_options(parser)
        options.add_protected_options(parser)
        options.add_visibility_options(parser)
        options.add_property_and_tag_options(parser, CREATE_OPTIONS)
        add_project_options(parser, "Set an alternate project on this image (name or ID)")
        volume.add_options(parser)  # --volume, --force, --sign-key-path, --sign-cert-id
        options.add_v1_options(parser, "location", "copy-from", "checksum", "store")
        add_data_options(parser, "Upload image from local file (- for stdin; without "
                                 "--file, piped stdin is uploaded)", create=True)
        parser.add_argument("--import", dest="use_import", action="store_true",
                            help="Force the use of glance image import instead of direct "
                                 "upload: stage the data, import it (glance-direct) and wait "
                                 "for the import to end, at most --timeout seconds")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     tuple[Any, ...]]:
        args = parsed_args
        volume.check(args)  # signing, and options --volume cannot take: exit 2, nothing sent
        if args.volume:
            return volume.create_from_volume(self.app.connection, args)
        # The data is opened first: a bad file, URL or option creates nothing.
        source = open_data(self.app, args, "Glance would make an active image with no data; "
                                           "nothing was created")
        if args.use_import and source is None:
            raise UsageError("--import needs image data: give --file PATH or --url URL, or "
                             "pipe it in")
        try:
            digest = data_digest(self.app, args) if args.if_absent else None
            connection = self.app.connection
            # A project name is never sent as the owner: Glance takes any string.
            owner = identity.project_id(connection, args.project, args.project_domain,
                                        name_if_forbidden=False) if args.project else None
            if digest is not None:
                found = same_image(connection, args.name, owner, digest)
                if found is not None:
                    self.app.stderr.write(f"image {found['id']} already holds this data: "
                                          "nothing was uploaded\n")
                    return records.show_record(found)
            body = create_body(args, owner)
            if source is None:
                return records.show_record(images.create_image(connection, body))
            image = self.create(connection, body, chosen=args.id is not None)
            return records.show_record(self.upload(image, source, args))
        finally:
            if source is not None:
                source.close()

    def create(self, connection: Connection, body: dict[str, Any],
               chosen: bool) -> dict[str, Any]:
        """The POST of an image that data will follow, with an ID known before it is sent."""
        import imgcli.transfer as transfer

        body.setdefault("id", str(uuid.uuid4()))
        try:
            return transfer.create_image(connection, body, chosen=chosen)
        except KeyboardInterrupt as exc:
            self.app.stderr.write(f"{exc}\n")
            raise

    def upload(self, image: dict[str, Any], source: Source,
               args: argparse.Namespace) -> dict[str, Any]:
        """Send the data into the new image and return its final record, verified; delete
        the image, and say so, if the data did not arrive whole."""
        import imgcli.transfer as transfer
        from imgcli.transfer.glance import stop_reason

        connection, image_id = self.app.connection, str(image["id"])
        timeout = self.app.settings.api_timeout
        doing = "sending"  # what an interrupt stops, for its message
        try:
            body = transfer.upload_data(connection, image_id, source, stage=args.use_import,
                                        progress=meter(self.app, args, source, "uploading"),
                                        size=args.size, timeout=timeout,
                                        extra=("md5", "sha256"))
            if args.use_import:
                doing = f"while image {image_id} was importing"
                start(connection, image_id, transfer.import_body("glance-direct"))
                transfer.wait_for_import(connection, image_id, timeout,
                                         status=transfer.StatusLine(self.app.stderr))
            doing = f"after the data of image {image_id} was sent, before it was checked"
            final = self.record_checksums(connection, image_id,
                                          sdk_checksums(body, args.name, args.properties))
            warning = transfer.check_upload(body, final)
        except transfer.StillImporting as exc:
            raise ApiError(f"{exc}; its data is not verified yet") from None
        except KeyboardInterrupt as exc:
            what = str(exc) if doing == "sending" else f"{stop_reason(exc)} {doing}"
            self.app.stderr.write(transfer.discard(connection, image, what) + "\n")
            raise
        except ImgcliError as exc:  # the same kind of error (a 401 stays exit 3), and why
            raise type(exc)(transfer.discard(connection, image, str(exc))) from exc
        except Exception as exc:  # keystoneauth's, before any byte went out
            from imgcli.explain import explain

            said = explain(exc, self.app.settings) or exc
            raise ApiError(transfer.discard(connection, image, str(said))) from exc
        if warning:
            self.app.stderr.write(f"warning: {warning}\n")
        return final

    def record_checksums(self, connection: Connection, image_id: str,
                         patch: list[dict[str, Any]]) -> dict[str, Any]:
        """PATCH openstacksdk's checksums onto the image: its answer is the final record.
        A refusal leaves the image as it is (its data is whole): a warning, and a GET."""
        if patch:
            try:
                return images.update_image(connection, image_id, patch)
            except ApiError as exc:
                self.app.stderr.write(f"warning: openstacksdk's checksum properties were not "
                                      f"recorded: {exc}\n")
        return images.get_image(connection, image_id)
