"""`image set` and `image unset`: openstackclient's options; every attribute change in one
JSON-Patch, with only the requests the change needs.

`set` reads the image first only when the change depends on it (tags are added to the
current list; a membership or activation change is checked against the image so that a
refusal leaves everything as it was); otherwise an ID costs no look-up and core attributes
and properties go out as one PATCH. `unset` always reads the image: removing what it does
not have is refused before anything is sent.

Imports: imgcli.resolve, imgcli.api (identity, images), imgcli.commands (base, options,
image.options), imgcli.errors.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from imgcli import resolve
from imgcli.api import identity, images
from imgcli.commands.base import Command
from imgcli.commands.image import options
from imgcli.commands.options import add_project_options, unique
from imgcli.errors import ApiError, NotFound, UsageError

if TYPE_CHECKING:
    from imgcli.connection import Connection

# The attributes set has an option for (--property NAME=... is refused for them).
SET_OPTIONS = options.options_for("name", "min_disk", "min_ram", "container_format",
                                  "disk_format", "protected", "visibility", "os_hidden",
                                  "owner", "tags")
CORE_KEYS = frozenset(options.ATTRIBUTE_OPTIONS)
# Options for common properties: (option dest, Glance property).
NAMED_PROPERTIES = (("architecture", "architecture"), ("instance_id", "instance_uuid"),
                    ("kernel_id", "kernel_id"), ("os_distro", "os_distro"),
                    ("os_version", "os_version"), ("ramdisk_id", "ramdisk_id"))
ACTIVE_STATES = ("active", "deactivated")  # Glance refuses both actions in any other state
Patch = list[dict[str, Any]]


def pointer(key: str) -> str:
    """A JSON pointer to a top-level key (RFC 6901: `~` and `/` escaped)."""
    return "/" + key.replace("~", "~0").replace("/", "~1")


def attribute_changes(args: argparse.Namespace) -> dict[str, Any]:
    """Glance key → new value for every attribute and property the options change (the
    owner aside: it needs a project look-up)."""
    changes: dict[str, Any] = {}
    for key in ("name", "min_disk", "min_ram", "container_format", "disk_format",
                "visibility", "protected"):
        value = getattr(args, key)
        if value is not None:
            changes[key] = value
    if args.hidden is not None:
        changes["os_hidden"] = args.hidden
    for dest, key in NAMED_PROPERTIES:
        value = getattr(args, dest)
        if value is None:
            continue
        given = args.properties.get(key, value)
        if given != value:
            raise UsageError(f"--{dest.replace('_', '-')} {value!r} and --property "
                             f"{key}={given!r} set the same property: give one")
        changes[key] = value
    changes.update(args.properties)
    return changes


def set_patch(changes: dict[str, Any], tags: list[str],
              record: dict[str, Any] | None) -> Patch:
    """The JSON-Patch for `changes` and the tags to add.

    With the record: `replace` what the image has (unless it already has that value),
    `add` what it lacks, and the tag list as it will be. Without it (no tags to add): core
    attributes always exist, so `replace`; a property is `add`, which RFC 6902 (4.1) and
    Glance take as a replace when it exists."""
    patch: Patch = []
    for key, value in changes.items():
        if record is None:
            op = "replace" if key in CORE_KEYS else "add"
        elif key in record:
            if record[key] == value and type(record[key]) is type(value):
                continue
            op = "replace"
        else:
            op = "add"
        patch.append({"op": op, "path": pointer(key), "value": value})
    if tags:
        current = list((record or {}).get("tags") or [])
        merged = current + [tag for tag in unique(tags) if tag not in current]
        if merged != current:
            patch.append({"op": "replace", "path": "/tags", "value": merged})
    return patch


def unset_patch(record: dict[str, Any], ref: str, properties: list[str],
                tags: list[str]) -> Patch:
    """`remove` each property and the tag list without `tags`; refused, with nothing sent,
    if the image lacks any of them."""
    missing_properties = [key for key in unique(properties) if key not in record]
    current = list(record.get("tags") or [])
    missing_tags = [tag for tag in unique(tags) if tag not in current]
    if missing_properties or missing_tags:
        lacks = []
        if missing_properties:
            lacks.append("no property " + ", ".join(map(repr, missing_properties)))
        if missing_tags:
            lacks.append("no tag " + ", ".join(map(repr, missing_tags)))
        raise ApiError(f"image {ref!r} has {' and '.join(lacks)}: nothing changed")
    patch: Patch = [{"op": "remove", "path": pointer(key)}
                    for key in unique(properties)]
    if tags:
        kept = [tag for tag in current if tag not in tags]
        patch.append({"op": "replace", "path": "/tags", "value": kept})
    return patch


def check_record(record: dict[str, Any], ref: str, action: str | None,
                 membership: str | None) -> None:
    """Refuse, before any change, what Glance would refuse after an earlier step."""
    status, visibility = record.get("status"), record.get("visibility")
    if action and status not in ACTIVE_STATES:
        flag = "--deactivate" if action == "deactivate" else "--activate"
        raise ApiError(f"image {ref!r} is {status}: Glance takes {flag} only for an image "
                       "that is active or deactivated; nothing changed")
    if membership and visibility != "shared":
        raise ApiError(f"image {ref!r} is {visibility}, not shared: it has no members, so "
                       f"there is no membership to set to {membership}; nothing changed")


class SetImage(Command):
    """Set image properties"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("image", metavar="<image>", help="Image to modify (name or ID)")
        parser.add_argument("--name", metavar="<name>", help="New image name")
        options.add_size_options(parser)
        options.add_format_options(parser, defaults=False)
        options.add_protected_options(parser)
        options.add_visibility_options(parser)
        options.add_property_and_tag_options(parser, SET_OPTIONS)
        options.add_v1_options(parser, "visibility")
        for dest, text in (
                ("architecture", "Operating system architecture"),
                ("instance_id", "ID of server instance used to create this image "
                                "(the instance_uuid property)"),
                ("kernel_id", "ID of kernel image used to boot this disk image"),
                ("os_distro", "Operating system distribution name"),
                ("os_version", "Operating system distribution version"),
                ("ramdisk_id", "ID of ramdisk image used to boot this disk image")):
            parser.add_argument(f"--{dest.replace('_', '-')}", dest=dest,
                                metavar=f"<{dest.replace('_', '-')}>", help=text)
        parser.add_argument("--instance-uuid", dest="instance_id", metavar="<instance-id>",
                            help=argparse.SUPPRESS)
        activation = parser.add_mutually_exclusive_group()
        activation.add_argument("--deactivate", action="store_true",
                                help="Deactivate the image")
        activation.add_argument("--activate", action="store_true", help="Activate the image")
        add_project_options(
            parser, "Set an alternate project on this image (name or ID); with --accept, "
                    "--reject or --pending, the member project whose status changes")
        membership = parser.add_mutually_exclusive_group()
        for flag, status, text in (
                ("--accept", "accepted", "Accept the image membership for either the "
                 "project indicated by '--project', if provided, or the current user's "
                 "project"),
                ("--reject", "rejected", "Reject the image membership for either the "
                 "project indicated by '--project', if provided, or the current user's "
                 "project"),
                ("--pending", "pending", "Reset the image membership to 'pending'")):
            membership.add_argument(flag, dest="membership", action="store_const",
                                    const=status, help=text)
        hidden = parser.add_mutually_exclusive_group()
        hidden.add_argument("--hidden", dest="hidden", action="store_const", const=True,
                            help="Hide the image")
        hidden.add_argument("--unhidden", dest="hidden", action="store_const", const=False,
                            help="Unhide the image")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        connection = self.app.connection
        args = parsed_args
        changes = attribute_changes(args)  # a conflict fails before any request
        # A project name is never sent as an owner or member ID: Glance takes any string.
        project = identity.project_id(connection, args.project, args.project_domain,
                                      name_if_forbidden=False) if args.project else None
        if project and not args.membership:
            changes["owner"] = project  # with a membership flag it names the member
        action = "deactivate" if args.deactivate else "reactivate" if args.activate else None
        needs_record = bool(args.tags or args.membership or (action and changes)
                            or not (changes or action))
        record = None
        if needs_record or not resolve.looks_like_id(args.image):
            # Answering a share is the one change that must find a share not yet accepted.
            record = resolve.image_record(connection, args.image,
                                          shares=bool(args.membership))
            check_record(record, args.image, action, args.membership)
        patch = set_patch(changes, args.tags, record)

        steps: list[tuple[str, Callable[[str], Any]]] = []
        if args.membership:
            member = project or identity.access(
                connection, "a membership change without --project").project_id
            steps.append((f"membership of {member} set to {args.membership}",
                          lambda image_id: set_membership(connection, args.image, image_id,
                                                          member, args.membership)))
        if patch:
            steps.append(("attributes changed",
                          lambda image_id: images.update_image(connection, image_id, patch)))
        if action:
            steps.append((f"image {action}d",
                          lambda image_id: images.image_action(connection, image_id, action)))
        run_steps(connection, args.image, record, steps)


def set_membership(connection: Connection, ref: str, image_id: str, member: str,
                   status: str) -> None:
    try:
        images.update_member(connection, image_id, member, status)
    except NotFound as exc:
        # The image was read before this call: the 404 is the member's.
        raise ApiError(f"image {ref!r} is not shared with project {member}: there is no "
                       f"membership to set to {status}; nothing changed") from exc


def run_steps(connection: Connection, ref: str, record: dict[str, Any] | None,
              steps: list[tuple[str, Callable[[str], Any]]]) -> None:
    """Each step in turn on the image; a failure after an earlier step says what was done.

    Without a record `ref` is an ID (a name is always read first): the first change is the
    only request it costs, and on_image makes its 404 "no image with ID"."""
    done: list[str] = []
    image_id = str(record["id"]) if record is not None else ref
    for description, step in steps:
        try:
            if record is None and not done:
                resolve.on_image(connection, ref, step)
            else:
                step(image_id)
        except ApiError as exc:
            if not done:
                raise
            raise ApiError(f"{exc} (already done: {', '.join(done)})") from exc
        done.append(description)


class UnsetImage(Command):
    """Unset image tags and properties"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("image", metavar="<image>", help="Image to modify (name or ID)")
        parser.add_argument("--tag", dest="tags", metavar="<tag>", action="append", default=[],
                            help="Unset a tag on this image (repeat option to unset multiple "
                                 "tags)")
        parser.add_argument("--property", dest="properties", metavar="<property-key>",
                            action="append", default=[],
                            type=options.property_key,
                            help="Unset a property on this image (repeat option to unset "
                                 "multiple properties)")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        connection = self.app.connection
        record = resolve.image_record(connection, parsed_args.image)
        patch = unset_patch(record, parsed_args.image, parsed_args.properties,
                            parsed_args.tags)
        if patch:
            images.update_image(connection, str(record["id"]), patch)
