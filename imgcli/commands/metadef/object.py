"""`image metadef object create|delete|list|show|update` and `image metadef object property
show`, as openstackclient 10.5.0.

Requests, with a cached token (a namespace's name is its ID: no look-up):
- create: one POST (openstack: a GET of the namespace first).
- show, list, property show: one GET (openstack: the same).
- delete NS OBJ...: one DELETE each (openstack: a GET and a DELETE each); delete NS: one
  DELETE of them all (openstack: the same).
- update --name: one GET and one PUT (openstack: the same two). Glance's PUT sets every
  field from the body, and openstack sends only the new name, so its update also erases
  the object's description, required list and properties; imgcli sends them back with the
  new name. Without --name imgcli sends only the GET (the object must exist), openstack a
  PUT with nothing in it.

Metadef writes are admin-only under Glance's default policy: a member's 403 is one line
saying so (imgcli.commands.metadef.common).

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
from imgcli.commands.metadef.common import delete_failure, refusals
from imgcli.errors import NotFound

# openstackclient's _format_object: always these, null when Glance leaves one out.
FIELDS = ("created_at", "description", "name", "namespace_name", "properties", "required",
          "updated_at")
LIST_COLUMNS = ("name", "description")
# What Glance's PUT takes (the rest is read-only).
UPDATABLE = ("name", "description", "required", "properties")


def object_record(namespace: str, found: dict[str, Any]) -> tuple[tuple[str, ...],
                                                                  tuple[Any, ...]]:
    """openstackclient's record: `namespace_name` is the namespace the command named."""
    values = {**found, "namespace_name": namespace}
    return FIELDS, tuple(values.get(field) for field in FIELDS)


def add_namespace_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("namespace", metavar="<namespace>",
                        help="Metadef namespace of the object (name)")


class CreateMetadefObject(ShowOne):
    """Create a metadef object"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        # An option in openstackclient, with which it cannot do without: required here, so
        # that leaving it out is a usage error before any request.
        parser.add_argument("--namespace", metavar="<namespace>", required=True,
                            help="Metadef namespace to create the object in (name)")
        parser.add_argument("name", metavar="<metadef-object-name>",
                            help="New metadef object name")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...], Any]:
        with refusals(self.cmd_name, parsed_args.namespace):
            created = metadefs.create_object(self.app.connection, parsed_args.namespace,
                                             {"name": parsed_args.name})
        return object_record(parsed_args.namespace, created)


class ShowMetadefObject(ShowOne):
    """Show a particular metadef object"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        add_namespace_argument(parser)
        parser.add_argument("object", metavar="<object>", help="Metadef object to show")
        return parser

    def printed_columns(self, parsed_args: argparse.Namespace) -> tuple[str, ...]:
        return FIELDS

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...], Any]:
        found = metadefs.get_object(self.app.connection, parsed_args.namespace,
                                    parsed_args.object)
        return object_record(parsed_args.namespace, found)


class DeleteMetadefObject(Command):
    """Delete metadata definitions object(s)"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        add_namespace_argument(parser)
        parser.add_argument("objects", metavar="<object>", nargs="*",
                            help="Metadef object(s) to delete (name) (omit this argument "
                                 "to delete all objects in the namespace)")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        conn, namespace = self.app.connection, parsed_args.namespace
        if not parsed_args.objects:
            with refusals(self.cmd_name, namespace):
                metadefs.delete_objects(conn, namespace)
            return
        for_each(parsed_args.objects, lambda name: metadefs.delete_object(conn, namespace, name),
                 delete_failure(self.cmd_name, namespace), self.app.stderr,
                 failed_to="objects failed to delete")


class ListMetadefObjects(Lister):
    """List metadef objects inside a specific namespace."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("namespace", metavar="<namespace>",
                            help="Namespace (name) for the namespace")
        return parser

    def printed_columns(self, parsed_args: argparse.Namespace) -> tuple[str, ...]:
        return LIST_COLUMNS

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     Iterable[tuple[Any, ...]]]:
        found = metadefs.list_objects(self.app.connection, parsed_args.namespace)
        return LIST_COLUMNS, [tuple(item.get(key) for key in LIST_COLUMNS) for item in found]


class UpdateMetadefObject(Command):
    """Update a metadef object"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("namespace", metavar="<namespace>", help="Metadef namespace name")
        parser.add_argument("object", metavar="<object>", help="Metadef object to be updated")
        parser.add_argument("--name", help="New name of the object")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        conn, namespace = self.app.connection, parsed_args.namespace
        current = metadefs.get_object(conn, namespace, parsed_args.object)
        if not parsed_args.name:  # openstackclient too ignores an empty --name
            return
        body = {key: current[key] for key in UPDATABLE if current.get(key) is not None}
        with refusals(self.cmd_name, namespace):
            metadefs.update_object(conn, namespace, parsed_args.object,
                                   {**body, "name": parsed_args.name})


class ShowMetadefObjectProperty(ShowOne):
    """Describe a specific metadata definitions property inside an object."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("namespace", metavar="<namespace_name>",
                            help="Namespace (name) for the namespace")
        parser.add_argument("object", metavar="<object_name>", help="Name of an object.")
        parser.add_argument("property", help="Name of the property.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...], Any]:
        found = metadefs.get_object(self.app.connection, parsed_args.namespace,
                                    parsed_args.object)
        prop = (found.get("properties") or {}).get(parsed_args.property)
        if not isinstance(prop, dict):
            raise NotFound(f"Property {parsed_args.property} not found in object "
                           f"{parsed_args.object}.")
        # openstackclient's record: the property's own keys and its name, sorted.
        info = {**prop, "name": parsed_args.property}
        columns = tuple(sorted(info))
        return columns, tuple(info[column] for column in columns)
