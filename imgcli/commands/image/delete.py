"""`image delete IMAGE [IMAGE ...]`: every image that can be deleted is; one line for each
that cannot, then a count. An ID costs only its DELETE."""

from __future__ import annotations

import argparse
import shlex

from imgcli import resolve
from imgcli.api import images
from imgcli.commands.base import Command
from imgcli.errors import ApiError, AuthError, NotFound


def why_not(ref: str, error: ApiError) -> str:
    """One line for an image that was not deleted."""
    if isinstance(error, NotFound):
        return str(error)
    # Glance: 403 "Image <id> is protected and cannot be deleted."
    if error.mentions(403, "is protected"):
        return (f"image {ref!r} is protected: run `imgcli image set --unprotected "
                f"{shlex.quote(ref)}` first")
    return f"image {ref!r} was not deleted: {error}"


class DeleteImage(Command):
    """Delete image(s)"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("images", metavar="<image>", nargs="+",
                            help="Image(s) to delete (name or ID)")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        connection = self.app.connection
        failed = 0
        for ref in parsed_args.images:
            try:
                resolve.on_image(connection, ref,
                                 lambda image_id: images.delete_image(connection, image_id))
            except AuthError:
                raise  # the next image would be refused too
            except ApiError as exc:
                failed += 1
                self.app.stderr.write(why_not(ref, exc) + "\n")
        if failed:
            # openstackclient 10.5.0 says "Failed to delete N of M images." after its own
            # lines, but stops at the first missing image (README).
            raise ApiError(f"{failed} of {len(parsed_args.images)} images failed to delete.")
