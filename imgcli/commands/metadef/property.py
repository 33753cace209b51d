"""`image metadef property create|delete|list|set|show`, as openstackclient 10.5.0.

Requests, with a cached token (a namespace's name is its ID: no look-up):
- create, show, list: one request (openstack: the same).
- delete NS PROP...: one DELETE each; delete NS: one DELETE of them all (openstack: the same).
- set: one GET and one PUT (openstack: the same two). Glance's PUT replaces the whole
  property, and openstack sends back only the fields its record shows, so its set erases
  readonly, minLength, maxLength, minItems, maxItems, uniqueItems and additionalItems;
  imgcli sends back every field Glance gave. Without an option imgcli sends only the GET.

--schema is a JSON object of Glance's property fields. openstack passes it through
openstacksdk, which also takes its own names for them (is_readonly, min_length, ...) and
silently drops any other key; imgcli takes both names and refuses another key before
sending anything, naming the fields Glance takes (glance/api/v2/metadef_namespaces.py).

Imports: imgcli.api.metadefs, imgcli.commands (base, deleting, metadef.common),
imgcli.errors, imgcli.records.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from typing import Any

from imgcli.api import metadefs
from imgcli.commands.base import Command, Lister, ShowOne
from imgcli.commands.deleting import for_each
from imgcli.commands.metadef.common import delete_failure, refusals
from imgcli.errors import UsageError
from imgcli.records import as_int

# Glance's property schema, in its order: nothing else is accepted (additionalProperties).
GLANCE_FIELDS = ("name", "title", "description", "operators", "type", "required", "minimum",
                 "maximum", "maxLength", "minLength", "pattern", "enum", "readonly",
                 "default", "items", "maxItems", "minItems", "uniqueItems", "additionalItems")
# openstacksdk's names for Glance's fields, which openstackclient's --schema also takes.
SDK_NAMES = {"is_readonly": "readonly", "min_length": "minLength", "max_length": "maxLength",
             "require_unique_items": "uniqueItems", "min_items": "minItems",
             "max_items": "maxItems", "allow_additional_items": "additionalItems"}
# openstackclient's _format_property: the fields it shows (the rest of its list are SDK
# names, never among the keys it reads), with openstacksdk's conversions (Glance's schema
# has the others' types already: lists, a dict).
SHOWN = ("name", "type", "title", "description", "operators", "default", "minimum",
         "maximum", "enum", "pattern", "items")
CONVERT = {"minimum": as_int, "maximum": as_int}
LIST_COLUMNS = ("name", "title", "type")


def property_record(prop: dict[str, Any]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """openstackclient's record: the fields it shows that are not null, sorted."""
    info = {}
    for key in SHOWN:
        value = prop.get(key)
        if value is not None:
            convert = CONVERT.get(key)
            info[key] = convert(value) if convert else value
    columns = tuple(sorted(info))
    return columns, tuple(info[column] for column in columns)


def schema_fields(text: str) -> dict[str, Any]:
    """--schema's JSON object with Glance's names, the last spelling of a field winning as
    with openstacksdk; a usage error for anything else."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"--schema: Failed to load JSON schema: {exc}") from None
    if not isinstance(doc, dict):
        raise UsageError("--schema: expected a JSON object of property fields, such as "
                         '\'{"description": "...", "enum": ["a", "b"]}\'')
    fields: dict[str, Any] = {}
    for key, value in doc.items():
        name = SDK_NAMES.get(key, key)
        if name not in GLANCE_FIELDS:
            raise UsageError(f"--schema: {key!r} is not a field of a metadef property; "
                             f"Glance takes {', '.join(GLANCE_FIELDS)}")
        fields[name] = value
    return fields


def add_field_options(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument("--name", required=required, help="Internal name of the property")
    parser.add_argument("--title", required=required,
                        help="Property name displayed to the user")
    parser.add_argument("--type", required=required, help="Property type")
    parser.add_argument("--schema", required=required,
                        help="Valid JSON schema of the property")


def field_changes(parsed_args: argparse.Namespace) -> dict[str, Any]:
    """The fields the options give: --name, --title and --type, then --schema's (which
    win, as openstackclient applies the schema last)."""
    changes = {key: getattr(parsed_args, key) for key in ("name", "title", "type")
               if getattr(parsed_args, key) is not None}
    if parsed_args.schema:
        changes.update(schema_fields(parsed_args.schema))
    return changes


class CreateMetadefProperty(ShowOne):
    """Create a metadef property"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        add_field_options(parser, required=True)
        parser.add_argument("namespace", help="Name of namespace the property will belong.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...], Any]:
        body = field_changes(parsed_args)
        with refusals(self.cmd_name, parsed_args.namespace):
            created = metadefs.create_property(self.app.connection, parsed_args.namespace,
                                               body)
        return property_record(created)


class DeleteMetadefProperty(Command):
    """Delete metadef propert(ies)"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("namespace", metavar="<namespace>",
                            help="Metadef namespace of the property (name)")
        parser.add_argument("properties", metavar="<property>", nargs="*",
                            help="Metadef properties to delete (name) (omit this argument "
                                 "to delete all properties in the namespace)")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        conn, namespace = self.app.connection, parsed_args.namespace
        if not parsed_args.properties:
            with refusals(self.cmd_name, namespace):
                metadefs.delete_properties(conn, namespace)
            return
        for_each(parsed_args.properties,
                 lambda name: metadefs.delete_property(conn, namespace, name),
                 delete_failure(self.cmd_name, namespace), self.app.stderr,
                 failed_to="properties failed to delete")


class ListMetadefProperties(Lister):
    """List metadef properties"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("namespace", metavar="<namespace>",
                            help="An identifier (a name) for the namespace")
        return parser

    def printed_columns(self, parsed_args: argparse.Namespace) -> tuple[str, ...]:
        return LIST_COLUMNS

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     Iterable[tuple[Any, ...]]]:
        found = metadefs.list_properties(self.app.connection, parsed_args.namespace)
        # openstacksdk names each property by its key, unless Glance puts a name inside.
        rows = [{"name": name, **prop} for name, prop in found.items()]
        return LIST_COLUMNS, [tuple(row.get(key) for key in LIST_COLUMNS) for row in rows]


class SetMetadefProperty(Command):
    """Update metadef namespace property"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        add_field_options(parser, required=False)
        parser.add_argument("namespace",
                            help="Namespace of the namespace to which the property belongs")
        parser.add_argument("property", help="Property to update")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        changes = field_changes(parsed_args)  # a bad --schema fails before any request
        conn, namespace = self.app.connection, parsed_args.namespace
        current = metadefs.get_property(conn, namespace, parsed_args.property)
        if not changes:
            return
        body = {key: current[key] for key in GLANCE_FIELDS if current.get(key) is not None}
        with refusals(self.cmd_name, namespace):
            metadefs.update_property(conn, namespace, parsed_args.property,
                                     {**body, **changes})


class ShowMetadefProperty(ShowOne):
    """Show a particular metadef property"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("namespace", metavar="<namespace>",
                            help="Metadef namespace of the property (name)")
        parser.add_argument("property", metavar="<property>", help="Property to show")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...], Any]:
        return property_record(metadefs.get_property(self.app.connection,
                                                     parsed_args.namespace,
                                                     parsed_args.property))
