"""`image delete IMAGE [IMAGE ...] [--store STORE]`: every image that can be deleted is; one
line for each that cannot, then a count when more than one was asked
(imgcli.commands.deleting).

Cost: an ID, only its DELETE; a name, its look-up first. With --store the DELETE is
Glance's `DELETE /v2/stores/{store}/{id}`, which removes the data from that store only
(the image and its other copies stay); a 404 costs one GET, on failure only, to tell a
missing image from data not in that store. openstackclient looks every image up first
(a GET even for an ID) and, with --store, stops at the first 404 saying "Multi Backend
support not enabled" whatever it meant. Deleting from a store is admin-only under Glance's
default policy: a member's 403 is one line saying so, and ends the run.

Imports: imgcli.api.images, imgcli.resolve, imgcli.commands (base, admin, deleting),
imgcli.errors.
"""

from __future__ import annotations

import argparse
import shlex

from imgcli import resolve
from imgcli.api import images
from imgcli.commands.admin import refusal
from imgcli.commands.base import Command
from imgcli.commands.deleting import for_each
from imgcli.errors import ApiError, NotFound


def why_not(ref: str, error: ApiError) -> str:
    """One line for an image that was not deleted."""
    if isinstance(error, NotFound):
        return str(error)
    # Glance: 403 "Image <id> is protected and cannot be deleted."
    if error.mentions(403, "is protected"):
        return (f"image {ref!r} is protected: run `imgcli image set --unprotected "
                f"{shlex.quote(ref)}` first")
    return f"image {ref!r} was not deleted: {error}"


def why_not_from_store(ref: str, store: str, error: ApiError) -> str:
    """One line for an image whose data stays in `store`; raises, to end the run, what
    every other image would meet too (no multi-store, no such store, not admin)."""
    if error.method is None:  # resolve's own line: no image of that name or ID
        return str(error)
    if error.mentions(404, "is not stored in store"):
        return f"image {ref!r} has no data in store {store!r}"
    if error.status == 404:  # a Glance without enabled_backends has no /v2/stores route
        raise ApiError("Multi Backend support not enabled: this cloud's Glance has no "
                       f"stores to delete from (404 from DELETE {error.url})",
                       status=error.status, method=error.method, url=error.url,
                       detail=error.detail) from error
    if error.mentions(409, "is not available on this node"):
        raise ApiError(f"--store {store}: this cloud's Glance has no store of that name "
                       "(`imgcli image stores list` lists them)", status=error.status,
                       method=error.method, url=error.url, detail=error.detail) from error
    # Glance: 403 "Cannot delete image data from the only store containing it. ..."
    if error.mentions(403, "only store containing it"):
        return (f"image {ref!r} has its data in one store only, and Glance does not delete "
                f"the last copy: delete the image instead (`imgcli image delete "
                f"{shlex.quote(ref)}`)")
    if error.status == 403:
        raise refusal("`imgcli image delete --store`", error) from error
    return f"image {ref!r} was not deleted from store {store!r}: {error}"


class DeleteImage(Command):
    """Delete image(s)"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("images", metavar="<image>", nargs="+",
                            help="Image(s) to delete (name or ID)")
        parser.add_argument("--store", metavar="<STORE>", dest="store",
                            help="Store to delete image(s) from: only the image's data in "
                                 "that store is deleted (admin only, multi-store Glance)")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        connection = self.app.connection
        store = parsed_args.store
        if store is None:
            for_each(parsed_args.images,
                     lambda ref: resolve.on_image(
                         connection, ref, lambda image_id: images.delete_image(connection,
                                                                               image_id)),
                     why_not, self.app.stderr)
            return
        for_each(parsed_args.images,
                 lambda ref: resolve.on_image(
                     connection, ref,
                     lambda image_id: images.delete_from_store(connection, store, image_id),
                     own_404=True),
                 lambda ref, error: why_not_from_store(ref, store, error), self.app.stderr,
                 failed_to=f"images failed to delete from store {store}")
