"""`image metadef namespace create|delete|list|set|show|unset`, as openstackclient 10.5.0.

A namespace's name is its ID, so no command looks one up. Requests, with a cached token:
- create: one POST (openstack: the same).
- show: one GET (openstack: the same).
- list: one GET of up to 1000 namespaces (openstack: one per 25, Glance's default page;
  the standard catalogue of 40 is 2).
- delete NS...: one DELETE each (openstack: a GET and a DELETE each).
- set: one GET, then a PUT if an attribute changes and one POST for all the tags not there
  yet. Glance's PUT sets every attribute, resetting those left out (visibility to private,
  protected to false, display name and description to none), and openstack sends only the
  options given, so that `set --description X` also makes the namespace private and
  unprotected; imgcli sends the namespace's own values for the rest. openstack sends the PUT
  even for tags alone (with the same reset), then one POST per tag, and fails on a tag the
  namespace has already; imgcli adds only the new ones, in one request, as `image set --tag`.
- unset --tag T...: one DELETE each (openstack: a GET first); --all-tags: one DELETE
  (openstack: a GET first).

Metadef writes are admin-only under Glance's default policy: a member's 403 is one line
saying so (imgcli.commands.metadef.common).

Imports: imgcli.api.metadefs, imgcli.commands (base, deleting, metadef.common),
imgcli.records.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from imgcli.api import metadefs
from imgcli.commands.base import Command, Lister, ShowOne
from imgcli.commands.deleting import for_each
from imgcli.commands.metadef.common import delete_failure, refusals, update_namespace
from imgcli.records import as_bool

# openstackclient's _format_namespace: the keys of openstacksdk's MetadefNamespace it keeps
# (schema is in its list but never among the SDK's attributes).
SHOWN = ("created_at", "description", "display_name", "namespace", "owner", "protected",
         "updated_at", "visibility")


def namespace_record(namespace: dict[str, Any]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """openstackclient's record: the attributes Glance sent (none that are null), the
    resource type associations as a list of their names, the tags as Glance sends them
    (a list of {"name": ...}, [] when there are none), sorted by key."""
    info: dict[str, Any] = {key: namespace[key] for key in SHOWN
                            if namespace.get(key) is not None}
    if "protected" in info:
        info["protected"] = as_bool(info["protected"])
    associations = namespace.get("resource_type_associations")
    if associations is not None:
        info["resource_type_associations"] = [association.get("name")
                                              for association in associations]
    tags = namespace.get("tags")
    info["tags"] = list(tags) if isinstance(tags, list) else []
    columns = tuple(sorted(info))
    return columns, tuple(info[column] for column in columns)


def add_attribute_options(parser: argparse.ArgumentParser, helps: dict[str, str]) -> None:
    """--display-name, --description, --public/--private, --protected/--unprotected, with
    openstackclient's help for `create` or `set` (`helps`, by option)."""
    parser.add_argument("--display-name", metavar="<display_name>",
                        help=helps["--display-name"])
    parser.add_argument("--description", metavar="<description>",
                        help=helps["--description"])
    visibility = parser.add_mutually_exclusive_group()
    for value in ("public", "private"):
        visibility.add_argument(f"--{value}", action="store_const", const=value,
                                dest="visibility", help=helps[f"--{value}"])
    protected = parser.add_mutually_exclusive_group()
    protected.add_argument("--protected", action="store_const", const=True,
                           dest="is_protected",
                           help="Prevent metadef namespace from being deleted")
    protected.add_argument("--unprotected", action="store_const", const=False,
                           dest="is_protected",
                           help="Allow metadef namespace to be deleted (default)")


CREATE_HELP = {"--display-name": "A user-friendly name for the namespace.",
               "--description": "A description of the namespace",
               "--public": "Set namespace visibility 'public'",
               "--private": "Set namespace visibility 'private'"}
SET_HELP = {"--display-name": "Set a user-friendly name for the namespace.",
            "--description": "Set the description of the namespace",
            "--public": "Metadef namespace is accessible to the public",
            "--private": "Metadef namespace is inaccessible to the public (default)"}


def attribute_changes(parsed_args: argparse.Namespace) -> dict[str, Any]:
    """The attributes the options give, under Glance's names."""
    changes = {"display_name": parsed_args.display_name,
               "description": parsed_args.description,
               "visibility": parsed_args.visibility,
               "protected": parsed_args.is_protected}
    return {key: value for key, value in changes.items() if value is not None}


class CreateMetadefNamespace(ShowOne):
    """Create a metadef namespace"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("namespace", metavar="<namespace>",
                            help="New metadef namespace name")
        add_attribute_options(parser, CREATE_HELP)
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...], Any]:
        body = {"namespace": parsed_args.namespace, **attribute_changes(parsed_args)}
        with refusals(self.cmd_name):
            created = metadefs.create_namespace(self.app.connection, body)
        return namespace_record(created)


class DeleteMetadefNamespace(Command):
    """Delete metadef namespace"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("namespace", metavar="<namespace>", nargs="+",
                            help="Metadef namespace(s) to delete (name)")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        conn = self.app.connection
        for_each(parsed_args.namespace, lambda name: metadefs.delete_namespace(conn, name),
                 delete_failure(self.cmd_name), self.app.stderr,
                 failed_to="namespaces failed to delete")


class ListMetadefNamespace(Lister):
    """List metadef namespaces"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--resource-types", metavar="<resource_types>",
                            help="filter resource types")
        parser.add_argument("--visibility", metavar="<visibility>",
                            help="filter on visibility")
        return parser

    def printed_columns(self, parsed_args: argparse.Namespace) -> tuple[str, ...]:
        return ("namespace",)

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     Iterable[tuple[Any, ...]]]:
        found = metadefs.list_namespaces(self.app.connection, parsed_args.resource_types,
                                         parsed_args.visibility)
        return ("namespace",), [(namespace.get("namespace"),) for namespace in found]


class SetMetadefNamespace(Command):
    """Set metadef namespace properties"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("namespace", metavar="<namespace>",
                            help="Metadef namespace to modify (name)")
        add_attribute_options(parser, SET_HELP)
        parser.add_argument("--tag", metavar="<tag>", action="append", default=[],
                            dest="tags", help="Set a tag on this metadef namespace (repeat "
                                              "option to set multiple tags)")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        conn, name = self.app.connection, parsed_args.namespace
        current = metadefs.get_namespace(conn, name)
        changes = attribute_changes(parsed_args)
        with refusals(self.cmd_name, name):
            if changes:
                update_namespace(conn, name, current, changes)
            having = {tag.get("name") for tag in current.get("tags") or []
                      if isinstance(tag, dict)}
            new = [tag for tag in dict.fromkeys(parsed_args.tags) if tag not in having]
            if new:
                metadefs.add_tags(conn, name, new)


class ShowMetadefNamespace(ShowOne):
    """Show a metadef namespace"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("namespace", metavar="<namespace>",
                            help="Metadef namespace to show (name)")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...], Any]:
        return namespace_record(metadefs.get_namespace(self.app.connection,
                                                       parsed_args.namespace))


class UnsetMetadefNamespace(Command):
    """Unset metadef namespace tags"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("namespace", metavar="<namespace>",
                            help="Metadef namespace to modify (name)")
        tags = parser.add_mutually_exclusive_group(required=True)
        tags.add_argument("--tag", metavar="<tag>", action="append", default=[], dest="tags",
                          help="Unset a tag on this metadef namespace (repeat option to "
                               "unset multiple tags)")
        tags.add_argument("--all-tags", action="store_true", default=False,
                          help="Unset all metadef tags")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        conn, name = self.app.connection, parsed_args.namespace
        if parsed_args.all_tags:
            with refusals(self.cmd_name, name):
                metadefs.delete_tags(conn, name)
            return
        for_each(list(dict.fromkeys(parsed_args.tags)),
                 lambda tag: metadefs.delete_tag(conn, name, tag),
                 delete_failure(self.cmd_name, name), self.app.stderr,
                 failed_to="tags failed to unset")
