"""`image list`: openstackclient's options, turned into one Glance query; rows as it prints them.

Everything that narrows or orders the list goes to the server as a query parameter
(openstackclient filters --property and sorts on the client after downloading every
image); the rows are plain tuples built straight from Glance's JSON.

Imports: imgcli.records, imgcli.resolve, imgcli.api (identity, images), imgcli.commands
(base, options), imgcli.config, imgcli.errors; imgcli.commands.image.many and
imgcli.progress inside functions.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from imgcli import records, resolve
from imgcli.api import identity, images
from imgcli.api.images import PAGE_SIZE
from imgcli.commands.base import Lister
from imgcli.commands.options import add_project_options, key_value, non_negative
from imgcli.config import several_clouds
from imgcli.errors import UsageError

if TYPE_CHECKING:
    from imgcli.connection import Connection

SHORT_HEADERS = ("ID", "Name", "Status")
LONG_HEADERS = ("ID", "Name", "Disk Format", "Container Format", "Size", "Checksum", "Status",
                "Visibility", "Protected", "Project", "Hash Algorithm", "Hash Value", "Tags")
LONG_KEYS = ("id", "name", "disk_format", "container_format", "size", "checksum", "status",
             "visibility", "protected", "owner", "os_hash_algo", "os_hash_value", "tags")
MEMBER_STATUSES = ("accepted", "pending", "rejected", "all")
# Glance's own list (glance/api/v2/images.py): anything else is a 400 from the server.
SORT_KEYS = ("name", "status", "container_format", "disk_format", "size", "id", "created_at",
             "updated_at")
TIME_OPERATORS = ("gt", "gte", "eq", "neq", "lt", "lte")


def parse_sort(text: str) -> list[tuple[str, str]]:
    """`KEY[:DIR][,KEY[:DIR]...]` as openstackclient reads it, checked against Glance's keys."""
    keys = []
    for part in text.strip().split(","):
        key, colon, direction = part.partition(":")
        if not key:
            raise UsageError("'<empty string>' is not a valid sort key (--sort)")
        if key not in SORT_KEYS:
            raise UsageError(f"{key!r} is not a sort key Glance knows (--sort): use one of "
                             f"{', '.join(SORT_KEYS)}")
        direction = direction if colon else "asc"
        if direction not in ("asc", "desc"):
            raise UsageError(f"'{direction or '<empty string>'}' is not a valid sort direction "
                             f"for sort key {key}, use 'asc' or 'desc' instead (--sort)")
        keys.append((key, direction))
    return keys


def sort_param(text: str) -> str:
    """Glance's `sort` value. The tiebreakers reproduce openstackclient's order for equal
    keys: it stable-sorts a list that Glance returned newest first (created_at, id desc)."""
    keys = parse_sort(text)
    names = {key for key, _ in keys}
    keys += [(key, "desc") for key in ("created_at", "id") if key not in names]
    return ",".join(f"{key}:{direction}" for key, direction in keys)


def time_filter(text: str) -> str:
    """`OP:TIME` as Glance takes it for created_at/updated_at, checked before sending."""
    op, colon, when = text.partition(":")
    if not colon or op not in TIME_OPERATORS:
        raise argparse.ArgumentTypeError(
            f"expected OP:TIME with OP one of {', '.join(TIME_OPERATORS)}, got {text!r}")
    try:
        datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{when!r} is not an ISO 8601 time such as 2024-01-31T12:00:00Z") from None
    return f"{op}:{when}"


def one_or_in(values: list[str]) -> str:
    """Glance's `in:` operator takes a comma list; a single value needs no operator."""
    return values[0] if len(values) == 1 else "in:" + ",".join(values)


def list_query(args: argparse.Namespace, owner: str | None = None, marker: str | None = None,
               total: int | None = None) -> list[tuple[str, str]]:
    """The query string for /v2/images, in the order the options are documented; `total`
    caps the page so that a short listing asks for no more than it shows."""
    query: list[tuple[str, str]] = []
    if args.visibility:
        query.append(("visibility", args.visibility))
    for name, value in (("name", args.name), ("status", args.status),
                        ("member_status", args.member_status), ("owner", owner),
                        ("size_min", args.size_min), ("size_max", args.size_max),
                        ("created_at", args.created_at), ("updated_at", args.updated_at),
                        ("protected", args.protected), ("checksum", args.checksum),
                        ("os_hash_value", args.hash_value)):
        if value is not None:
            query.append((name, str(value)))
    for name, values in (("disk_format", args.disk_format),
                         ("container_format", args.container_format), ("id", args.id)):
        if values:
            query.append((name, one_or_in(values)))
    query += [("tag", tag) for tag in args.tag]
    if args.hidden:
        query.append(("os_hidden", "true"))
    query += list(args.property or [])
    query.append(("sort", sort_param(args.sort)))
    size = args.page_size or PAGE_SIZE
    query.append(("limit", str(min(size, total) if total else size)))
    if marker:
        query.append(("marker", marker))
    return query


def max_total(limit: int | None, max_items: int | None) -> int | None:
    """--limit and --max-items both cap the rows (unlike openstackclient's --limit: README).
    `--limit 0` is no limit, as openstackclient reads it: a script passing 0 gets every row."""
    caps = [cap for cap in (limit or None, max_items) if cap is not None]
    return min(caps) if caps else None


def image_row(image: dict[str, Any], long: bool) -> tuple[Any, ...]:
    if not long:
        return image.get("id"), image.get("name"), image.get("status")
    row = [image.get(key) for key in LONG_KEYS]
    row[-1] = records.ListColumn(row[-1])
    return tuple(row)


class ListImage(Lister):
    """List available images"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        visibility = parser.add_mutually_exclusive_group()
        for name in ("public", "private", "community", "shared", "all"):
            visibility.add_argument(f"--{name}", dest="visibility", action="store_const",
                                    const=name, help=f"List only {name} images"
                                    if name != "all" else "List all images")
        parser.add_argument("--property", metavar="<key=value>", type=key_value,
                            action="append", help="Filter on a property (repeatable)")
        parser.add_argument("--name", metavar="<name>", help="Filter images based on name.")
        parser.add_argument("--status", metavar="<status>",
                            help="Filter images based on status.")
        parser.add_argument("--member-status", metavar="<member-status>",
                            type=str.lower, choices=MEMBER_STATUSES,
                            help="Filter on member status: " + ", ".join(MEMBER_STATUSES))
        add_project_options(parser, "Search by project (admin only) (name or ID)")
        parser.add_argument("--tag", metavar="<tag>", action="append", default=[],
                            help="Filter on a tag; repeat: all must match")
        parser.add_argument("--hidden", action="store_true", help="List hidden images")
        parser.add_argument("--long", action="store_true",
                            help="List additional fields in output")
        parser.add_argument("--sort", metavar="<key>[:<direction>]", default="name:asc",
                            help="Sort by keys and directions, done by Glance "
                                 "(default: name:asc), e.g. size:desc,name")
        parser.add_argument("--limit", metavar="<limit>", type=non_negative,
                            help="Show at most this many images (the first in sort order)")
        parser.add_argument("--marker", metavar="<marker>",
                            help="Start after this image (name or ID)")
        parser.add_argument("--max-items", metavar="<max-items>", type=non_negative,
                            help="Show at most this many images")
        parser.add_argument("--page-size", metavar="<size>", type=non_negative,
                            help="Images per request (default 1000; Glance may cap it)")
        parser.add_argument("--size-min", metavar="<bytes>", type=non_negative,
                            help="Only images of at least this many bytes")
        parser.add_argument("--size-max", metavar="<bytes>", type=non_negative,
                            help="Only images of at most this many bytes")
        parser.add_argument("--created-at", metavar="<op:time>", type=time_filter,
                            help="Filter on creation time; op: " + ", ".join(TIME_OPERATORS))
        parser.add_argument("--updated-at", metavar="<op:time>", type=time_filter,
                            help="Filter on update time; op: " + ", ".join(TIME_OPERATORS))
        protected = parser.add_mutually_exclusive_group()
        protected.add_argument("--protected", dest="protected", action="store_const",
                               const="true", help="Only protected images")
        protected.add_argument("--unprotected", dest="protected", action="store_const",
                               const="false", help="Only unprotected images")
        parser.add_argument("--disk-format", metavar="<format>", action="append",
                            help="Filter on disk format (repeatable: any of them)")
        parser.add_argument("--container-format", metavar="<format>", action="append",
                            help="Filter on container format (repeatable: any of them)")
        parser.add_argument("--checksum", metavar="<md5>", help="Filter on MD5 checksum")
        parser.add_argument("--hash-value", metavar="<hash>",
                            help="Filter on the multihash value (os_hash_value)")
        parser.add_argument("--id", metavar="<id>", action="append",
                            help="Filter on image ID (repeatable: any of them)")
        return parser

    def run(self, parsed_args: argparse.Namespace) -> int:
        if several_clouds(self.app.options):  # several clouds: one table (many.py)
            from imgcli.commands.image.many import run_list

            return run_list(self, parsed_args)
        return super().run(parsed_args)

    def printed_columns(self, parsed_args: argparse.Namespace) -> tuple[str, ...]:
        return LONG_HEADERS if parsed_args.long else SHORT_HEADERS

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...], Iterable]:
        total = max_total(parsed_args.limit, parsed_args.max_items)
        sort_param(parsed_args.sort)  # a bad --sort fails before any request
        headers = self.printed_columns(parsed_args)
        if total == 0:
            return headers, iter(())
        pages = image_pages(self.app.connection, parsed_args, total)
        # Progress only where a person watches it, and not over rows streaming to the same
        # terminal: a table is printed after the last page, the other formats as they come.
        stderr, stdout = self.app.stderr, self.app.stdout
        watched = stderr.isatty() and (parsed_args.formatter == "table" or not stdout.isatty())
        data = rows(pages, parsed_args.long, stderr if watched else None)
        # cliff's --sort-column sorts a generator and, on mixed types, keeps the spent one.
        return headers, list(data) if parsed_args.sort_columns else data


def image_pages(connection: Connection, args: argparse.Namespace,
                total: int | None) -> Iterator[list[dict[str, Any]]]:
    """The pages of the images the options select: --project and a --marker name looked up
    (an ID costs nothing), then Glance's pages (image list, and image sync's source)."""
    owner = identity.project_id(connection, args.project, args.project_domain) \
        if args.project else None
    marker = args.marker
    if marker and not resolve.looks_like_id(marker):
        marker = str(resolve.image_by_name(connection, marker)["id"])
    query = list_query(args, owner, marker, total)
    return images.list_pages(connection.adapter, connection.image_root(), query, total)


def rows(pages: Iterable[list[dict[str, Any]]], long: bool,
         progress: TextIO | None = None) -> Iterator[tuple[Any, ...]]:
    from imgcli.progress import StatusLine

    line = StatusLine(progress, grows=True) if progress is not None else None
    read = 0
    for number, page in enumerate(pages, 1):
        read += len(page)
        if line is not None and number > 1:
            line.show(f"{read} images, {number} pages")
        for image in page:
            yield image_row(image, long)
    if line is not None:
        line.finish()  # leave the terminal as it was
