"""`image create NAME`: openstackclient's options, the POST, then the image data if there is
some (--file, --file -, piped stdin; --import stages it and imports it with glance-direct),
and the record as `image show` prints it: the final one, after the upload.

With data by ID: POST, PUT, GET (3 requests; the GET is the final record, whose hash is
compared with the one computed while sending). Whatever stops the upload (Glance's error,
a broken connection, a hash that differs, Ctrl-C) deletes the half-made image and says so.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from imgcli import records
from imgcli.api import identity, images
from imgcli.commands.base import ShowOne
from imgcli.commands.image import options
from imgcli.commands.image.imports import add_data_options, meter, open_data, start
from imgcli.errors import ApiError, ImgcliError, UsageError

if TYPE_CHECKING:
    from imgcli.transfer import Source

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
        body["tags"] = options.unique(args.tags)
    if owner:
        body["owner"] = owner
    # openstacksdk also adds owner_specified.openstack.{md5,sha256,object}: its own
    # bookkeeping, md5 and sha256 empty even with --file in 10.5.0 (README).
    return {**args.properties, **body}


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
        options.add_project_options(parser, "Set an alternate project on this image "
                                            "(name or ID)")
        add_data_options(parser, "Upload image from local file (- for stdin; without "
                                 "--file, piped stdin is uploaded)")
        parser.add_argument("--import", dest="use_import", action="store_true",
                            help="Force the use of glance image import instead of direct "
                                 "upload: stage the data, import it (glance-direct) and wait "
                                 "for the import to end, at most --timeout seconds")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     tuple[Any, ...]]:
        # The data is opened first: a bad file or an empty one creates nothing.
        source = open_data(self.app, parsed_args, "Glance would make an active image with "
                                                  "no data; nothing was created")
        if parsed_args.use_import and source is None:
            raise UsageError("--import needs image data: give --file PATH, or pipe it in")
        try:
            connection = self.app.connection
            # A project name is never sent as the owner: Glance takes any string.
            owner = identity.project_id(connection, parsed_args.project,
                                        parsed_args.project_domain,
                                        name_if_forbidden=False) if parsed_args.project else None
            image = images.create_image(connection, create_body(parsed_args, owner))
            if source is not None:
                image = self.upload(image, source, parsed_args)
        finally:
            if source is not None:
                source.close()
        return records.show_record(image)

    def upload(self, image: dict[str, Any], source: Source,
               args: argparse.Namespace) -> dict[str, Any]:
        """Send the data into the new image and return its final record, verified; delete
        the image, and say so, if the data did not arrive whole."""
        import imgcli.transfer as transfer

        connection, image_id = self.app.connection, str(image["id"])
        timeout = self.app.settings.api_timeout
        try:
            body = transfer.upload_data(connection, image_id, source, stage=args.use_import,
                                        progress=meter(self.app, args, source, "uploading"),
                                        size=args.size, timeout=timeout)
            if args.use_import:
                start(connection, image_id, transfer.import_body("glance-direct"))
                final = transfer.wait_for_import(connection, image_id, timeout,
                                                 status=transfer.StatusLine(self.app.stderr))
            else:
                final = images.get_image(connection, image_id)
            warning = transfer.check_upload(body, final)
        except transfer.StillImporting as exc:
            raise ApiError(f"{exc}; its data is not verified yet") from None
        except KeyboardInterrupt as exc:
            what = str(exc) or f"interrupted while image {image_id} was importing"
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
