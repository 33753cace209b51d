"""`image task list`, `image task show TASK`, and `image task list --image IMAGE`
(Glance's GET /v2/images/{id}/tasks, which only `glance image-tasks` offers).

Cost with a cached token:
- `task list`: one `GET /v2/tasks?limit=1000` per 1000 tasks. openstackclient sends no
  limit, so Glance pages it 25 at a time (`limit_param_default`): one GET per 25 tasks.
- `task show ID`: one `GET /v2/tasks/{id}`, as openstackclient.
- `task list --image ID`: one `GET /v2/images/{id}/tasks`; a name adds the one look-up
  `GET /v2/images?name=...`. openstackclient has no such command.

Glance's default policy (`tasks_api_access`) lets only admin read /v2/tasks: a member's 403
is one line saying so. An image's tasks are for anyone who may see the image.

--limit and --max-items both cap the rows (as in `imgcli image list`: README); openstackclient
takes --limit as the page size and ignores --max-items for tasks.

Imports: imgcli.api (tasks, images' PAGE_SIZE), imgcli.resolve, imgcli.commands (base,
admin, options, image.list's max_total), imgcli.errors, imgcli.records.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Iterator
from typing import Any

from imgcli import resolve
from imgcli.api import tasks
from imgcli.api.images import PAGE_SIZE
from imgcli.commands.admin import admin_only, command_name
from imgcli.commands.base import Lister, ShowOne
from imgcli.commands.image.list import max_total
from imgcli.commands.options import non_negative
from imgcli.errors import NotFound, UsageError
from imgcli.records import DictColumn

HEADERS = ("ID", "Type", "Status", "Owner")
KEYS = ("id", "type", "status", "owner")
# An image's tasks come whole: what `glance image-tasks` shows first is why an import failed.
IMAGE_HEADERS = (*HEADERS, "Message", "Updated At")
IMAGE_KEYS = (*KEYS, "message", "updated_at")
# openstackclient's help lists these; Glance's own check is only that the column exists.
SORT_KEYS = ("created_at", "expires_at", "id", "status", "type", "updated_at")
SORT_DIRS = ("asc", "desc")
TYPES = ("import",)
STATUSES = ("pending", "processing", "success", "failure")
# Query options that GET /v2/images/{id}/tasks does not take (it takes none).
NOT_WITH_IMAGE = ("type", "status", "sort_key", "sort_dir", "marker")
# _format_task's fields, sorted as it sorts them, with Glance's key for each (`properties`
# holds the attributes openstacksdk's Task keeps beyond these: none, so it is always {}).
RECORD = (("created_at", "created_at"), ("expires_at", "expires_at"), ("id", "id"),
          ("input", "input"), ("message", "message"), ("owner_id", "owner"),
          ("properties", None), ("result", "result"), ("status", "status"),
          ("type", "type"), ("updated_at", "updated_at"))


def task_query(args: argparse.Namespace, total: int | None) -> list[tuple[str, str]]:
    """Glance's query for /v2/tasks; the page is no larger than the rows shown."""
    query = [(name, str(value)) for name, value in (
        ("type", args.type), ("status", args.status), ("sort_key", args.sort_key),
        ("sort_dir", args.sort_dir)) if value is not None]
    query.append(("limit", str(min(PAGE_SIZE, total) if total else PAGE_SIZE)))
    if args.marker:
        query.append(("marker", args.marker))
    return query


def check_options(args: argparse.Namespace) -> None:
    """What Glance would refuse with a 400, refused before any request (exit 2)."""
    if args.image is not None:
        given = [name for name in NOT_WITH_IMAGE if getattr(args, name) is not None]
        if given:
            option = "--" + given[0].replace("_", "-")
            raise UsageError(f"{option} cannot be used with --image: Glance's "
                             "GET /v2/images/{id}/tasks takes no filters or sorting")
    if args.sort_key is not None and args.sort_key not in SORT_KEYS:
        raise UsageError(f"--sort-key {args.sort_key!r}: use one of {', '.join(SORT_KEYS)}")
    if args.sort_dir is not None and args.sort_dir not in SORT_DIRS:
        raise UsageError(f"--sort-dir {args.sort_dir!r}: use asc or desc")
    if args.marker is not None and not resolve.looks_like_id(args.marker):
        raise UsageError(f"--marker {args.marker!r} is not a task ID")


class ListTask(Lister):
    """List tasks"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--sort-key", metavar="<key>[:<field>]",
                            help="Sorts the response by one of the following attributes: "
                                 + ", ".join(SORT_KEYS) + ". (default is created_at)")
        parser.add_argument("--sort-dir", metavar="<key>[:<direction>]",
                            help="Sort direction: asc or desc (default: desc)")
        parser.add_argument("--limit", metavar="<limit>", type=non_negative,
                            help="Show at most this many tasks (0: no limit)")
        parser.add_argument("--marker", metavar="<marker>", default=None,
                            help="Start after this task (ID)")
        parser.add_argument("--max-items", metavar="<max-items>", type=non_negative,
                            default=None, help="Show at most this many tasks")
        parser.add_argument("--type", metavar="<type>", choices=TYPES,
                            help="Filters the response by a task type.")
        parser.add_argument("--status", metavar="<status>", choices=STATUSES,
                            help="Filter tasks based on status.")
        parser.add_argument("--image", metavar="<image>",
                            help="List the tasks of this image (name or ID), with their "
                                 "messages (Glance's GET /v2/images/{id}/tasks; not in "
                                 "openstackclient)")
        return parser

    def printed_columns(self, parsed_args: argparse.Namespace) -> tuple[str, ...]:
        return HEADERS if parsed_args.image is None else IMAGE_HEADERS

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     Iterable[tuple[Any, ...]]]:
        args = parsed_args
        check_options(args)
        headers = self.printed_columns(args)
        total = max_total(args.limit, args.max_items)
        if total == 0:
            return headers, []
        connection = self.app.connection
        if args.image is not None:
            found = resolve.on_image(connection, args.image,
                                     lambda image_id: tasks.image_tasks(connection, image_id))
            return headers, [row(task, IMAGE_KEYS) for task in found[:total]]
        with admin_only(command_name(self.cmd_name)):
            pages = tasks.task_pages(connection, task_query(args, total), total)
            first = next(pages, [])  # a refusal is the first page's, raised here
        return headers, rows([first], pages)


def row(task: dict[str, Any], keys: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(task.get(key) for key in keys)


def rows(*page_lists: Iterable[list[dict[str, Any]]]) -> Iterator[tuple[Any, ...]]:
    for pages in page_lists:
        for page in pages:
            for task in page:
                yield row(task, KEYS)


class ShowTask(ShowOne):
    """Display task details"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("task", metavar="<Task ID>", help="Task to display (ID)")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     tuple[Any, ...]]:
        try:
            with admin_only(command_name(self.cmd_name)):
                task = tasks.get_task(self.app.connection, parsed_args.task)
        except NotFound as exc:
            raise NotFound(f"no task with ID {parsed_args.task!r}", status=exc.status,
                           method=exc.method, url=exc.url, detail=exc.detail) from exc
        return task_record(task)


def task_record(task: dict[str, Any]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """openstackclient's _format_task, sorted by field as it prints it."""
    names = tuple(name for name, _ in RECORD)
    values = tuple(DictColumn({}) if key is None else task.get(key) for _, key in RECORD)
    return names, values
