"""`image metadef resource type list` and `image metadef resource type association
create|delete|list`, as openstackclient 10.5.0.

Requests, with a cached token (a namespace's name is its ID: no look-up):
- resource type list, association list, association create: one request (openstack: the
  same).
- association delete NS NAME...: one DELETE each (openstack: a GET of the namespace before
  each). In a protected namespace Glance refuses it (403); with --force imgcli then reads
  the namespace, unprotects it, deletes and protects it again (one GET and two PUTs, once
  for all the names), each PUT carrying the namespace's own attributes. openstack sends
  only `protected` in those PUTs, and Glance's PUT resets the rest (display name,
  description, visibility to private); it also sends the re-protecting PUT after a refused
  delete without --force, with the same loss.

Creating an association with a resource type Glance does not know adds that type to
Glance's list for good: there is no request that removes a resource type.

Imports: imgcli.api.metadefs, imgcli.commands (base, deleting, metadef.common),
imgcli.errors.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from imgcli.api import metadefs
from imgcli.commands.base import Command, Lister, ShowOne
from imgcli.commands.deleting import for_each
from imgcli.commands.metadef.common import (
    delete_failure,
    refusals,
    update_namespace,
)
from imgcli.errors import ApiError

NAME_COLUMN = ("Name",)
# openstackclient's columns: openstacksdk's MetadefResourceTypeAssociation body attributes
# (its `id` is the name), sorted, `location` hidden; null when Glance leaves one out.
ASSOCIATION_FIELDS = ("created_at", "id", "name", "prefix", "properties_target",
                      "updated_at")


def namespace_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("metadef_namespace", metavar="<metadef_namespace>",
                        help="The name of the namespace whose details you want to see")


class ListMetadefResourceTypes(Lister):
    """List metadef resource types"""

    def printed_columns(self, parsed_args: argparse.Namespace) -> tuple[str, ...]:
        return NAME_COLUMN

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     Iterable[tuple[Any, ...]]]:
        found = metadefs.list_resource_types(self.app.connection)
        return NAME_COLUMN, [(item.get("name"),) for item in found]


class ListMetadefResourceTypeAssociations(Lister):
    """List metadef resource type associations"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        namespace_argument(parser)
        return parser

    def printed_columns(self, parsed_args: argparse.Namespace) -> tuple[str, ...]:
        return NAME_COLUMN

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     Iterable[tuple[Any, ...]]]:
        found = metadefs.list_associations(self.app.connection, parsed_args.metadef_namespace)
        return NAME_COLUMN, [(item.get("name"),) for item in found]


class CreateMetadefResourceTypeAssociation(ShowOne):
    """Create metadef resource type association"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("namespace", metavar="<namespace>",
                            help="The name of the namespace you want to create the resource "
                                 "type association in")
        parser.add_argument("name", metavar="<name>", help="A name of the new resource type")
        parser.add_argument("--properties-target", metavar="<properties_target>",
                            help="Some resource types allow more than one key/value pair "
                                 "per instance.")
        return parser

    def printed_columns(self, parsed_args: argparse.Namespace) -> tuple[str, ...]:
        return ASSOCIATION_FIELDS

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...], Any]:
        body = {"name": parsed_args.name}
        if parsed_args.properties_target:
            body["properties_target"] = parsed_args.properties_target
        with refusals(self.cmd_name, parsed_args.namespace):
            created = metadefs.create_association(self.app.connection,
                                                  parsed_args.namespace, body)
        values = {**created, "id": created.get("name")}
        return ASSOCIATION_FIELDS, tuple(values.get(key) for key in ASSOCIATION_FIELDS)


class DeleteMetadefResourceTypeAssociation(Command):
    """Delete metadef resource type association"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        namespace_argument(parser)
        parser.add_argument("name", metavar="<name>", nargs="+",
                            help="The name of the resource type(s) (repeat option to delete "
                                 "multiple metadef resource type associations)")
        parser.add_argument("--force", action="store_true", default=False,
                            help="Force delete the resource type association if the "
                                 "namespace is protected")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        conn, namespace = self.app.connection, parsed_args.metadef_namespace
        unprotected: dict[str, Any] | None = None  # the namespace, once imgcli unprotected it

        def delete(name: str) -> None:
            nonlocal unprotected
            try:
                metadefs.delete_association(conn, namespace, name)
            except ApiError as exc:
                if not parsed_args.force or unprotected is not None \
                        or not exc.mentions(403, "is protected"):
                    raise
                with refusals(self.cmd_name, namespace):
                    current = metadefs.get_namespace(conn, namespace)
                    update_namespace(conn, namespace, current, {"protected": False})
                unprotected = current
                metadefs.delete_association(conn, namespace, name)

        refused = delete_failure(self.cmd_name, namespace)

        def why_not(name: str, error: ApiError) -> str:
            if error.mentions(403, "is protected"):
                return (f"{error.detail.rstrip('.')}: add --force to unprotect namespace "
                        f"{namespace!r} for the delete")
            return refused(name, error)

        try:
            for_each(parsed_args.name, delete, why_not, self.app.stderr,
                     failed_to="resource type associations failed to delete")
        finally:
            if unprotected is not None:
                with refusals(self.cmd_name, namespace):
                    update_namespace(conn, namespace, unprotected, {"protected": True})
