"""Glance's interoperable import: `image stage`, `image import`, `image import info`.

`stage` by ID is its one PUT (its data options, --file, --url, --decompress and
--expect-checksum, are data.py's, shared with create); `import` by ID is its POST and one GET
for the record it prints (more with --wait, which polls until the import has ended); `import
info` one GET.

Imports: imgcli.records, imgcli.resolve, imgcli.api, imgcli.commands.*, imgcli.errors;
imgcli.transfer inside functions.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from imgcli import records, resolve
from imgcli.api import images
from imgcli.commands.base import Command, ShowOne
from imgcli.commands.image.data import add_data_options, meter, open_data
from imgcli.errors import ApiError, NotFound, UsageError

if TYPE_CHECKING:
    from imgcli.connection import Connection

METHODS = ("glance-direct", "web-download", "glance-download", "copy-image")
REMOTE = ("remote_image", "remote_region", "remote_service_interface")


class StageImage(Command):
    """Upload data for a specific image to staging (interoperable image import, Image API
    2.6 and later)"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        add_data_options(parser, "Local file that contains disk image to be uploaded "
                                 "(- for stdin). Alternatively, images can be passed via "
                                 "stdin.")
        parser.add_argument("image", metavar="<image>",
                            help="Image to upload data for (name or ID)")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        import imgcli.transfer as transfer
        from imgcli.transfer.readers import DataError

        source = open_data(self.app, parsed_args, "nothing to stage")
        if source is None:
            raise UsageError("no image data: give --file PATH or --url URL, or pipe the data "
                             "in")
        connection = self.app.connection

        def stage(image_id: str) -> None:
            try:
                transfer.upload_data(connection, image_id, source, stage=True,
                                     progress=meter(self.app, parsed_args, source, "staging"),
                                     size=parsed_args.size,
                                     timeout=self.app.settings.api_timeout)
            except DataError as exc:  # the PUT broke off short: Glance kept nothing
                raise DataError(f"{exc}; nothing was staged (image {image_id} stays as it "
                                "was)") from None

        try:
            # An ID is never retried as a name, so the data is sent at most once.
            resolve.on_image(connection, parsed_args.image, stage)
        except KeyboardInterrupt as exc:
            if str(exc):  # Glance puts an image whose staging broke off back to queued
                self.app.stderr.write(f"{exc}; stage the data again\n")
            raise
        finally:
            source.close()


class ImportImage(ShowOne):
    """Initiate the image import process (interoperable image import, Image API 2.6 and
    later)"""


    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("image", metavar="<image>",
                            help="Image to initiate import process for (name or ID)")
        parser.add_argument("--method", metavar="<method>", default="glance-direct",
                            dest="import_method", choices=METHODS,
                            help="Import method used for image import process: "
                                 + ", ".join(METHODS) + " (default: glance-direct, which "
                                 "needs the data staged first with `imgcli image stage`)")
        parser.add_argument("--uri", metavar="<uri>",
                            help="URI to download the external image (web-download only)")
        parser.add_argument("--remote-image", metavar="<REMOTE_IMAGE>",
                            help="(glance-download, which imgcli does not support)")
        parser.add_argument("--remote-region", metavar="<REMOTE_GLANCE_REGION>",
                            help="(glance-download, which imgcli does not support)")
        parser.add_argument("--remote-service-interface",
                            metavar="<REMOTE_SERVICE_INTERFACE>",
                            help="(glance-download, which imgcli does not support)")
        stores = parser.add_mutually_exclusive_group()
        stores.add_argument("--store", metavar="<STORE>", dest="stores", nargs="*",
                            action="extend", default=[],
                            help="Backend store to upload image to (repeat the option, or "
                                 "give several, for several stores; copy-image needs "
                                 "--store or --all-stores)")
        stores.add_argument("--all-stores", action="store_true", default=False,
                            help="Make image available to all stores")
        failure = parser.add_mutually_exclusive_group()
        failure.add_argument("--allow-failure", action="store_true", dest="allow_failure",
                             default=True,
                             help="With several stores, keep the import going when one "
                                  "fails (default)")
        failure.add_argument("--disallow-failure", action="store_false",
                             dest="allow_failure",
                             help="With several stores, revert the import when one fails")
        parser.add_argument("--wait", action="store_true",
                            help="Wait until the import has ended (at most --timeout "
                                 "seconds), print the final record, and fail with Glance's "
                                 "reason if the import did")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     tuple[Any, ...]]:
        import imgcli.transfer as transfer

        args = parsed_args
        check_import_options(args)
        connection = self.app.connection
        body = transfer.import_body(args.import_method, args.uri, args.stores,
                                    args.all_stores, args.allow_failure)
        image_id = resolve.on_image(connection, args.image,
                                    lambda image_id: start(connection, image_id, body))
        if not args.wait:
            return records.show_record(images.get_image(connection, image_id))
        try:
            image = transfer.wait_for_import(
                connection, image_id, self.app.settings.api_timeout, targets=args.stores,
                copy=args.import_method == "copy-image",
                status=transfer.StatusLine(self.app.stderr))
        except KeyboardInterrupt:
            self.app.stderr.write(f"stopped waiting: the import of image {image_id} goes on "
                                  "in Glance\n")
            raise
        return records.show_record(image)


def check_import_options(args: argparse.Namespace) -> None:
    """openstackclient's checks, made before any request (exit 2)."""
    method = args.import_method
    if method == "glance-download":
        raise UsageError("--method glance-download (from another region's Glance) is not "
                         "supported by imgcli; use openstackclient for it")
    for name in REMOTE:
        if getattr(args, name):
            raise UsageError(f"--{name.replace('_', '-')} is only for --method "
                             "glance-download, which imgcli does not support")
    if method == "web-download":
        if not args.uri:
            raise UsageError("--method web-download needs --uri: the URL Glance downloads "
                             "the image from")
        parts = urlsplit(args.uri)
        if not (parts.scheme and parts.netloc):
            raise UsageError(f"--uri {args.uri!r} is not a URL")
    elif args.uri:
        raise UsageError("--uri is only for --method web-download")
    if method == "copy-image" and not (args.stores or args.all_stores):
        raise UsageError("--method copy-image needs --store STORE or --all-stores")


def start(connection: Connection, image_id: str, body: dict[str, Any]) -> str:
    """POST the import; a method the cloud has not enabled is one line listing those it
    has (the only case that costs the extra GET /v2/info/import)."""
    try:
        images.start_import(connection, image_id, body)
    except NotFound:
        raise
    except ApiError as exc:
        if exc.mentions(400, "Unknown import method name"):
            raise ApiError(method_not_enabled(connection, body["method"]["name"])) from None
        if exc.mentions(409, "needs to be staged"):
            raise ApiError(f"{exc}: stage its data first with `imgcli image stage --file "
                           f"PATH {image_id}`") from None
        raise
    return image_id


def method_not_enabled(connection: Connection, method: str) -> str:
    try:
        enabled = enabled_methods(images.import_info(connection))
    except NotFound:
        return "this cloud does not offer image import (no /v2/info/import)"
    return (f"this cloud does not enable the import method {method!r}; it enables: "
            + (", ".join(enabled) or "none"))


def enabled_methods(info: dict[str, Any]) -> list[str]:
    methods = info.get("import-methods")
    value = methods.get("value") if isinstance(methods, dict) else None
    return [str(m) for m in value] if isinstance(value, list) else []


class ImportInfo(ShowOne):
    """Show available import methods"""


    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     tuple[Any, ...]]:
        info = images.import_info(self.app.connection)
        return ("import-methods",), (records.ListColumn(enabled_methods(info)),)
