"""`image add project`, `image remove project`, `image member list`, `image member get`.

openstackclient's names, arguments and output. An image ID costs no look-up (the member
request is sent with it), a project ID or the token's own project costs no Keystone
request, so `add project ID PROJECT_ID` is one POST. These commands are about the share
itself, so an image name also finds shares not yet accepted (resolve's `shares=True`).

Imports: imgcli.resolve, imgcli.api (identity, images), imgcli.commands (base, options),
imgcli.errors.
"""

from __future__ import annotations

import argparse
import shlex
from typing import TYPE_CHECKING, Any

from imgcli import resolve
from imgcli.api import identity, images
from imgcli.commands.base import Command, Lister, ShowOne
from imgcli.commands.options import add_project_domain
from imgcli.errors import ApiError, ImgcliError, NotFound

if TYPE_CHECKING:
    from imgcli.connection import Connection

LIST_HEADERS = ("Image ID", "Member ID", "Status")
LIST_KEYS = ("image_id", "member_id", "status")
# openstacksdk's Member resource less the columns openstackclient hides (id, location,
# name), in its sorted order; Glance sends exactly these.
RECORD_KEYS = ("created_at", "image_id", "member_id", "schema", "status", "updated_at")


def member_record(member: dict[str, Any]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    return RECORD_KEYS, tuple(member.get(key) for key in RECORD_KEYS)


def add_image_argument(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("image", metavar="<image>", help=help)


def add_project_arguments(parser: argparse.ArgumentParser, dest: str, help: str) -> None:
    parser.add_argument(dest, metavar="<project>", help=help)
    add_project_domain(parser)


def member_project(conn: Connection, name_or_id: str, domain: str | None) -> str:
    """A project name is never sent as a member ID: Glance would take it as one."""
    return identity.project_id(conn, name_or_id, domain, option="<project>",
                               name_if_forbidden=False)


def not_shared(conn: Connection, ref: str) -> ApiError | None:
    """Why Glance refused a member, when it is that the image is not shared.

    Glance's 403 hides its reason ("Not allowed to create members"); one more GET, on
    failure only, tells whether it is the usual one."""
    try:
        visibility = resolve.image_record(conn, ref, shares=True).get("visibility")
    except ImgcliError:
        return None
    if visibility == "shared":
        return None
    return ApiError(f"image {ref!r} is {visibility}, and Glance adds members only to shared "
                    f"images: run `imgcli image set --shared {shlex.quote(ref)}` first")


class AddProjectToImage(ShowOne):
    """Associate project with image"""


    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        add_image_argument(parser, "Image to share (name or ID)")
        add_project_arguments(parser, "project", "Project to associate with image (name or ID)")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...], Any]:
        conn = self.app.connection
        project = member_project(conn, parsed_args.project, parsed_args.project_domain)
        try:
            member = resolve.on_image(conn, parsed_args.image,
                                      lambda image_id: images.add_member(conn, image_id, project),
                                      shares=True)
        except NotFound:
            raise
        except ApiError as refused:
            better = not_shared(conn, parsed_args.image)
            if better is None:
                raise
            raise better from refused
        return member_record(member)


class RemoveProjectImage(Command):
    """Disassociate project with image"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        add_image_argument(parser, "Image to unshare (name or ID)")
        add_project_arguments(parser, "project",
                              "Project to disassociate with image (name or ID)")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        conn = self.app.connection
        project = member_project(conn, parsed_args.project, parsed_args.project_domain)
        # A 404 may be the member's (not a member of this image): own_404 tells which.
        resolve.on_image(conn, parsed_args.image,
                         lambda image_id: images.remove_member(conn, image_id, project),
                         shares=True, own_404=True)


class ListImageProjects(Lister):
    """List projects associated with image"""


    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        add_image_argument(parser, "Image (name or ID)")
        # openstackclient accepts it and does nothing with it; so do we, for its scripts.
        add_project_domain(parser, "Accepted for openstackclient's scripts; not used")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...], Any]:
        conn = self.app.connection
        members = resolve.on_image(conn, parsed_args.image,
                                   lambda image_id: images.list_members(conn, image_id),
                                   shares=True)
        return LIST_HEADERS, [tuple(m.get(key) for key in LIST_KEYS) for m in members]


class ShowProjectImage(ShowOne):
    """Show a particular project associated with image"""


    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        add_image_argument(parser, "Image (name or ID)")
        add_project_arguments(parser, "member", "Project to show (name or ID)")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...], Any]:
        conn = self.app.connection
        project = member_project(conn, parsed_args.member, parsed_args.project_domain)
        member = resolve.on_image(conn, parsed_args.image,
                                  lambda image_id: images.get_member(conn, image_id, project),
                                  shares=True, own_404=True)
        return member_record(member)
