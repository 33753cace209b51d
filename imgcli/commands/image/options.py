"""Options that only image commands share (`image create`, `image set`, `image unset`):
openstackclient's names and choices for formats, sizes, protection, visibility, properties
and tags, and the checks that refuse a property name Glance would refuse, before anything
is sent. Types and options other commands take too are in imgcli.commands.options.

Imports: imgcli.commands.options.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from typing import Any

from imgcli.commands.options import key_value, non_negative

# openstackclient's lists (image/v2/image.py)
CONTAINER_CHOICES = ("ami", "ari", "aki", "bare", "docker", "ova", "ovf")
DISK_CHOICES = ("ami", "ari", "aki", "vhd", "vmdk", "raw", "qcow2", "vhdx", "vdi", "iso",
                "ploop")
# Glance's image schema (GET /v2/schemas/image): attributes, not properties. `image set`
# has an option for each of the first group; Glance answers a PATCH of the second with a 403
# ("read-only"), or a 400 for locations, which has an API of its own.
ATTRIBUTE_OPTIONS = {
    "name": "--name", "min_disk": "--min-disk", "min_ram": "--min-ram",
    "container_format": "--container-format", "disk_format": "--disk-format",
    "protected": "--protected or --unprotected",
    "visibility": "--public, --private, --community or --shared",
    "os_hidden": "--hidden or --unhidden", "owner": "--project", "tags": "--tag",
}
READ_ONLY = frozenset({
    "id", "status", "checksum", "os_hash_algo", "os_hash_value", "size", "virtual_size",
    "created_at", "updated_at", "direct_url", "self", "file", "stores", "schema", "locations",
})
RESERVED_PREFIX = "os_glance_"  # Glance answers 403 "Attribute 'os_glance_...' is reserved."
# Glance's pattern for an image ID (its schema's `id`); anything else is a 400 on create.
GLANCE_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                       r"[0-9a-fA-F]{12}$")


def property_name_error(key: str, options: Mapping[str, str]) -> str | None:
    """Why `key` cannot be a property for this command, or None. `options` maps the
    attributes the command has an option for to that option."""
    if key.startswith(RESERVED_PREFIX):
        return f"Glance reserves property names that start with {RESERVED_PREFIX!r}"
    if key in options:
        return f"{key!r} is an image attribute, not a property: use {options[key]}"
    if key in ATTRIBUTE_OPTIONS:
        return (f"{key!r} is an image attribute, not a property: use imgcli image set "
                f"{ATTRIBUTE_OPTIONS[key]}")
    if key in READ_ONLY:
        return f"{key!r} is a read-only image attribute, not a property"
    return None


def options_for(*names: str) -> dict[str, str]:
    return {name: ATTRIBUTE_OPTIONS[name] for name in names}


class PropertyAction(argparse.Action):
    """--property KEY=VALUE into a dict, as osc-lib's KeyValueAction (the last value of a key
    wins), refusing names that are not properties. `options` (via `const`) maps
    attribute → the option to use instead."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        try:
            key, value = key_value(str(values))
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentError(self, str(exc)) from None
        problem = property_name_error(key, self.const or {})
        if problem:
            raise argparse.ArgumentError(self, problem)
        properties = dict(getattr(namespace, self.dest, None) or {})
        properties[key] = value
        setattr(namespace, self.dest, properties)


def property_key(key: str) -> str:
    """An argparse type for `unset --property KEY`: refuses what --property KEY=VALUE does."""
    if not key:
        raise argparse.ArgumentTypeError("the property name is empty")
    problem = property_name_error(key, {})
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return key


def image_id(text: str) -> str:
    if not GLANCE_ID.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an image ID: Glance takes a UUID such as "
            "5f2a9a3c-7d1e-4b8a-9c2d-0e1f2a3b4c5d")
    return text


def add_format_options(parser: argparse.ArgumentParser, defaults: bool) -> None:
    parser.add_argument("--container-format", metavar="<container-format>",
                        choices=CONTAINER_CHOICES, default="bare" if defaults else None,
                        help="Image container format: " + ", ".join(CONTAINER_CHOICES)
                        + (" (default: bare)" if defaults else ""))
    parser.add_argument("--disk-format", metavar="<disk-format>", choices=DISK_CHOICES,
                        default="raw" if defaults else None,
                        help="Image disk format: " + ", ".join(DISK_CHOICES)
                        + (" (default: raw)" if defaults else ""))


def add_size_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--min-disk", metavar="<disk-gb>", type=non_negative,
                        help="Minimum disk size needed to boot image, in gigabytes")
    parser.add_argument("--min-ram", metavar="<ram-mb>", type=non_negative,
                        help="Minimum RAM size needed to boot image, in megabytes")


def add_protected_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--protected", dest="protected", action="store_const", const=True,
                       help="Prevent image from being deleted")
    group.add_argument("--unprotected", dest="protected", action="store_const", const=False,
                       help="Allow image to be deleted (default)")


def add_visibility_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    for name, text in (
            ("public", "Image is accessible and visible to all users"),
            ("private", "Image is only accessible by the owner"),
            ("community", "Image is accessible by all users but does not appear in the "
                          "default image list of any user except the owner"),
            ("shared", "Image is only accessible by the owner and image members")):
        group.add_argument(f"--{name}", dest="visibility", action="store_const", const=name,
                           help=text)


def add_property_and_tag_options(parser: argparse.ArgumentParser,
                                 options: Mapping[str, str]) -> None:
    parser.add_argument("--property", dest="properties", metavar="<key=value>",
                        action=PropertyAction, const=dict(options), default={},
                        help="Set a property on this image (repeat option to set multiple "
                             "properties)")
    parser.add_argument("--tag", dest="tags", metavar="<tag>", action="append", default=[],
                        help="Set a tag on this image (repeat option to set multiple tags)")


class V1Option(argparse.Action):
    """An Image API v1 option that openstackclient still takes, only to refuse it: refused
    here too, while the arguments are parsed (one line, exit 2, nothing sent)."""

    HINTS = {"visibility": ": use --public, --private, --community or --shared"}

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        name = (option_string or "").lstrip("-")
        raise argparse.ArgumentError(self, "an Image v1 option, no longer supported in "
                                           "Image v2" + self.HINTS.get(name, ""))


def add_v1_options(parser: argparse.ArgumentParser, *names: str) -> None:
    """openstackclient's hidden `deadopts` (create: location, copy-from, checksum, store;
    set: visibility)."""
    for name in names:
        parser.add_argument(f"--{name}", metavar=f"<{name}>", action=V1Option,
                            dest=f"v1_{name.replace('-', '_')}", help=argparse.SUPPRESS)
