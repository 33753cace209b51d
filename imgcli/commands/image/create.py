"""`image create NAME` (metadata only, for now): openstackclient's options, one POST, and the
new image printed as `image show` prints it.

Image data (--file, stdin, --import, --progress) is not read yet: the place it goes is marked
in take_action, between the POST and the record.
"""

from __future__ import annotations

import argparse
from typing import Any

from cliff.show import ShowOne

from imgcli import identity, images, records
from imgcli.commands.base import ExplainErrors
from imgcli.commands.image import options

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
    # bookkeeping for data it uploads, empty without data (README).
    return {**args.properties, **body}


class CreateImage(ExplainErrors, ShowOne):
    """Create an image (metadata only: no image data is read or uploaded yet)"""

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
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     tuple[Any, ...]]:
        connection = self.app.connection
        # A project name is never sent as the owner: Glance takes any string.
        owner = identity.project_id(connection, parsed_args.project, parsed_args.project_domain,
                                    name_if_forbidden=False) if parsed_args.project else None
        image = images.create_image(connection, create_body(parsed_args, owner))
        # Image data goes here: upload (or stage and import) into image["id"], then read the
        # record again with images.get_image, since the one above is from before the upload.
        return records.show_record(image)
