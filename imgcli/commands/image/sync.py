"""`image sync --to-cloud CLOUD [--to-region REGION] [image list's filters] [--dry-run]
[--parallel N]`: every image the filters select on the source is copied to the target
unless the target already has it, decided by name and hash:

- copy: no image of that name on the target (the row then gives the new image's ID);
- skip: an active image of that name with the same data is there (its ID), or the source
  image has no data to copy, or no name to match (the reason says which);
- conflict: an image of that name with other data is there, or another selected source
  image of that name holds other data: never overwritten, never duplicated;
- failed: the copy was tried and failed (the reason is its one line; its half-made image
  was deleted); the exit status is then 1. A refused token stops the sync (exit 3).

Requests: the source's listing (image list's, one per 1000 images), the target's default
listing and its hidden images (one each per 1000; narrowed by --name when given), then each
copy's own (image copy's, without the record GET). --dry-run sends only the listings.
Copies run one after another, or N at a time with --parallel N, each thread with its own
connections (seeded with the run's tokens: no new token request).

Imports: imgcli.api, imgcli.commands, imgcli.errors, imgcli.multicloud;
imgcli.transfer.copy when images are compared or copied.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from imgcli import multicloud
from imgcli.api import images
from imgcli.commands.base import Lister
from imgcli.commands.image.copy import Pair, add_method_option, add_target_options, interrupted
from imgcli.commands.image.list import ListImage, image_pages, max_total, sort_param
from imgcli.errors import ApiError, AuthError, UsageError

if TYPE_CHECKING:
    from imgcli.connection import Connection

COLUMNS = ("Name", "ID", "Action", "Target ID", "Reason")
COPY, SKIP, CONFLICT, FAILED = "copy", "skip", "conflict", "failed"


@dataclass
class Row:
    image: dict[str, Any]
    action: str
    target_id: str = ""
    reason: str = ""

    def values(self) -> tuple[Any, ...]:
        return (self.image.get("name"), self.image.get("id"), self.action, self.target_id,
                self.reason)


def plan(source: Sequence[dict[str, Any]], target: Sequence[dict[str, Any]],
         target_name: str) -> list[Row]:
    """What to do with each source image, from the two listings alone (no request)."""
    from imgcli.transfer.copy import same_data, why_no_data

    there: dict[str, list[dict[str, Any]]] = {}
    for image in target:
        there.setdefault(str(image.get("name")), []).append(image)
    first: dict[str, dict[str, Any]] = {}  # the first selected source image of each name
    rows = []
    for image in source:
        name, no_data = image.get("name"), why_no_data(image)
        if no_data:
            rows.append(Row(image, SKIP, reason=f"{no_data}: nothing to copy"))
        elif not name:
            rows.append(Row(image, SKIP, reason="it has no name to find it by on the target"))
        elif name in first:
            earlier = first[name]
            rows.append(Row(image, SKIP, reason=f"same data as source image {earlier['id']}")
                        if same_data(earlier, image) else
                        Row(image, CONFLICT, reason=f"source image {earlier['id']} of that "
                                                    "name holds other data"))
        else:
            first[name] = image
            named = there.get(name, [])
            same = [other for other in named if same_data(image, other)]
            if same:
                rows.append(Row(image, SKIP, str(same[0]["id"])))
            elif named:
                rows.append(Row(image, CONFLICT, ", ".join(str(o["id"]) for o in named),
                                f"{target_name} has {len(named)} image(s) of that name with "
                                "other data; not overwritten"))
            else:
                rows.append(Row(image, COPY))
    return rows


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("give 1 or more copies at a time")
    return value


class SyncImages(ListImage):
    """Copy the images image list's filters select to another cloud or region, unless the
    target has them already (by name and hash)"""

    failed = 0
    lock = threading.Lock()  # the count of failures, kept by several threads

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)  # image list's filters, the same options
        for action in parser._actions:
            if "--long" in action.option_strings:
                action.help = argparse.SUPPRESS  # sync prints its own columns
        add_target_options(parser)
        add_method_option(parser)
        parser.add_argument("--dry-run", action="store_true",
                            help="Say what would be copied, skipped or in conflict; change "
                                 "nothing")
        parser.add_argument("--parallel", metavar="<N>", type=positive, default=1,
                            help="Copy N images at a time (default 1: one after another)")
        return parser

    def run(self, parsed_args: argparse.Namespace) -> int:
        try:
            Lister.run(self, parsed_args)  # not image list's: several clouds are refused
        except KeyboardInterrupt as exc:
            interrupted(self.app.stderr, exc)
            raise
        return 1 if self.failed else 0

    def printed_columns(self, parsed_args: argparse.Namespace) -> tuple[str, ...]:
        return COLUMNS

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     Iterator[tuple[Any, ...]]]:
        args = parsed_args
        if args.long:
            raise UsageError("--long: image sync prints its own columns (" + ", ".join(COLUMNS)
                             + ")")
        total = max_total(args.limit, args.max_items)
        sort_param(args.sort)  # a bad --sort fails before any request
        pair = Pair(self.app, args)
        with pair.source_side():
            source = self.selected(pair.source, args, total)
        pair.prepare(choose=not args.dry_run)
        with pair.target_side():
            # The default listing and the hidden images (each leaves the other out): an image
            # is there, hidden or not (a copy keeps os_hidden).
            query = [("limit", "1000")] + ([("name", args.name)] if args.name else [])
            target = [image for hidden in ([], [("os_hidden", "true")])
                      for page in images.list_pages(pair.target.adapter,
                                                    pair.target.image_root(), query + hidden)
                      for image in page]
        rows = plan(source, target, pair.names[1])
        if args.dry_run:
            pair.close()
            return COLUMNS, (row.values() for row in rows)
        return COLUMNS, self.carried_out(pair, rows, args.parallel)

    def selected(self, connection: Connection, args: argparse.Namespace,
                 total: int | None) -> list[dict[str, Any]]:
        """The source images image list's options select (its query, its pages)."""
        if total == 0:
            return []
        return [image for page in image_pages(connection, args, total)
                for image in page]

    def carried_out(self, pair: Pair, rows: list[Row],
                    parallel: int) -> Iterator[tuple[Any, ...]]:
        """Each row once its copy (if any) has been made; copies `parallel` at a time."""
        try:
            if parallel == 1:
                for row in rows:
                    if row.action == COPY:
                        self.copy(pair, row)
                    yield row.values()
            else:
                yield from Parallel(self, pair, rows, parallel).results()
        finally:
            pair.close()

    def copy(self, pair: Pair, row: Row, connections: tuple[Any, Any] = (None, None),
             stop: threading.Event | None = None) -> None:
        """One copy: the row says what came of it; a refused token stops the sync."""
        try:
            final, warning = pair.copy(row.image, source=connections[0],
                                       target=connections[1], stop=stop)
        except AuthError:
            raise
        except ApiError as exc:
            with self.lock:
                self.failed += 1
            row.action, row.reason = FAILED, str(exc)
            return
        row.target_id = str(final["id"])
        row.reason = warning or ""


class Parallel:
    """Copies N at a time on daemon threads, rows yielded in order as they are done. On
    Ctrl-C (or SIGTERM) the threads are told to stop, each deletes its half-made image and
    says so, and the interrupt goes on once they have. A refused token stops the rest."""

    def __init__(self, command: SyncImages, pair: Pair, rows: list[Row], width: int) -> None:
        self.command, self.pair, self.rows = command, pair, rows
        self.todo = [index for index, row in enumerate(rows) if row.action == COPY]
        self.done = [threading.Event() for _ in rows]
        for index, row in enumerate(rows):
            if row.action != COPY:
                self.done[index].set()
        self.refused: AuthError | None = None
        self.said: list[str] = []  # what the interrupted copies left, for stderr
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.work, daemon=True,
                                         name=f"imgcli-sync-{n}")
                        for n in range(min(width, len(self.todo)))]

    def next_index(self) -> int | None:
        with self.lock:
            return self.todo.pop(0) if self.todo and not self.stop.is_set() else None

    def abandon(self, why: str) -> None:
        """The copies not started yet are not: their rows say why."""
        with self.lock:
            left, self.todo = self.todo, []
        for index in left:
            self.rows[index].action, self.rows[index].reason = FAILED, why
            self.done[index].set()

    def work(self) -> None:
        pair = self.pair
        source = multicloud.seeded(pair.app, pair.source_settings, pair.source, pair.names[0])
        target = multicloud.seeded(pair.app, pair.target_settings, pair.target, pair.names[1])
        source.root, target.root = pair.source.root, pair.target.root
        try:
            while (index := self.next_index()) is not None:
                row = self.rows[index]
                try:
                    self.command.copy(pair, row, (source, target), self.stop)
                except AuthError as exc:
                    row.action, row.reason, self.refused = FAILED, str(exc), exc
                    self.stop.set()
                    self.abandon("not tried: the target refused the token")
                except KeyboardInterrupt as exc:  # the stop, as the copy's reader saw it
                    row.action, row.reason = FAILED, str(exc)
                    self.said.append(str(exc))
                finally:
                    self.done[index].set()
        finally:
            source.save()
            target.save()

    def results(self) -> Iterator[tuple[Any, ...]]:
        try:
            for thread in self.threads:
                thread.start()
            for index, row in enumerate(self.rows):
                self.done[index].wait()
                yield row.values()
        except KeyboardInterrupt:
            self.stop.set()
            self.abandon("not tried: interrupted")
            for thread in self.threads:
                if thread.ident is not None:  # started
                    thread.join()
            for line in self.said:
                self.command.app.stderr.write(f"{line}\n")
            raise
        if self.refused is not None:
            raise self.refused
