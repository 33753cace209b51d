"""`image list` and `image show` on several clouds and regions at once (--os-cloud or
--os-region-name given more than once, or --all-regions): the command runs in each place on
a thread of its own, with that place's settings and connection, and the rows come out as one
table with `Cloud` and `Region` first (the JSON keys too). A place that fails is one line on
stderr naming it; the others are printed; the exit status is then 1.

The wall time is about the slowest place's, not the sum: each place costs what the command
costs on one cloud (a warm list is one request per place); --all-regions first reads each
cloud's catalog from its token (one token request per cloud when the cache is cold).
`image show` prints one row per place, with every field any of them has.

With one place none of this runs: list.py and show.py call `run_list`/`run_show` only when
imgcli.config.several_clouds() says so, so their output stays what it was, byte for byte.

Imports: imgcli.commands.base, imgcli.errors, imgcli.multicloud.
"""

from __future__ import annotations

import argparse
import copy
import threading
from collections.abc import Callable, Iterator, Sequence
from itertools import compress
from typing import TYPE_CHECKING, Any, TextIO

from imgcli import multicloud
from imgcli.commands.base import check_columns
from imgcli.errors import UsageError

if TYPE_CHECKING:
    from cliff.display import DisplayCommandBase

    from imgcli.multicloud import Place
    from imgcli.shell import ImgcliApp

FIRST = ("Cloud", "Region")
Outcome = tuple[Any, BaseException | None]


class PlaceStderr:
    """A place's stderr: never a terminal (a progress line drawn by several threads would
    be garbled), and what it says is prefixed with the place's name."""

    def __init__(self, stream: TextIO, name: str) -> None:
        self.stream, self.name = stream, name

    def write(self, text: str) -> int:
        lines = [line for line in text.replace("\r", "\n").split("\n") if line.strip()]
        for line in lines:
            self.stream.write(f"{self.name}: {line}\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return False


class PlaceApp:
    """The app as a command running in one place sees it: that place's settings and
    connection, a stderr of its own; everything else is the app's."""

    def __init__(self, app: ImgcliApp, place: Place) -> None:
        self._app, self.place = app, place
        self.stderr = PlaceStderr(app.stderr, place.label)

    @property
    def settings(self) -> Any:
        return self.place.settings

    @property
    def known_settings(self) -> Any:
        return self.place.settings

    @property
    def connection(self) -> Any:
        return self.place.connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


def in_parallel(calls: Sequence[Callable[[], Any]]) -> list[Outcome]:
    """Each call on a thread of its own; (result, None) or (None, error) for each, in order.
    Daemon threads: Ctrl-C ends the command without waiting for a cloud that hangs."""
    outcomes: list[Outcome] = [(None, None)] * len(calls)

    def work(index: int, call: Callable[[], Any]) -> None:
        try:
            outcomes[index] = (call(), None)
        except Exception as exc:  # reported by the caller, with the place's name
            outcomes[index] = (None, exc)

    threads = [threading.Thread(target=work, args=(index, call), daemon=True,
                                name=f"imgcli-place-{index}")
               for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


class Run:
    """One command on every place: the places resolved before any request (a setting
    that cannot work is exit 2), then run in parallel; failures said on stderr."""

    def __init__(self, cmd: DisplayCommandBase, parsed_args: argparse.Namespace) -> None:
        self.cmd, self.args = cmd, parsed_args
        self.app: ImgcliApp = cmd.app  # type: ignore[assignment]
        self.places = multicloud.places(self.app)
        self.failed = 0

    def fail(self, place: Place, error: BaseException) -> None:
        self.failed += 1
        said = multicloud.prefixed(error, place.label, place.settings)
        self.app.stderr.write(f"{said}\n")

    def expand(self) -> list[Place]:
        """--all-regions: each cloud's regions from its catalog (in parallel)."""
        if not getattr(self.app.options, "all_regions", False):
            return self.places
        outcomes = in_parallel([lambda place=place: multicloud.expand_regions(self.app, place)
                                for place in self.places])
        expanded: list[Place] = []
        for place, (found, error) in zip(self.places, outcomes, strict=True):
            if error is not None:
                self.fail(place, error)
            else:
                expanded.extend(found)
        return expanded

    def in_place(self, place: Place) -> Any:
        """The command's own take_action, with the place's settings and connection."""
        if place.connection is None:
            place.connection = multicloud.open_connection(
                self.app, place.settings, place.label if self.app.recorder else None)
        clone = copy.copy(self.cmd)
        clone.app = PlaceApp(self.app, place)  # type: ignore[assignment]
        try:
            columns, data = clone.take_action(self.args)
            result = (columns, list(data) if isinstance(data, Iterator) else data)
            if not place.region:
                place.region = multicloud.region_of(place.connection,
                                                    place.settings.interface)
            return result
        finally:
            place.connection.save()
            multicloud.hold_token(self.app, place.connection)

    def results(self) -> Iterator[tuple[Place, Any]]:
        """(place, what its take_action returned) for each place that did not fail."""
        places = self.expand()
        outcomes = in_parallel([lambda place=place: self.in_place(place) for place in places])
        for place, (result, error) in zip(places, outcomes, strict=True):
            if error is not None:
                self.fail(place, error)
            else:
                yield place, result

    def use_formatter(self) -> Any:
        formatter = self.cmd._formatter_plugins[self.args.formatter].obj
        self.cmd.formatter = formatter
        return formatter


def run_list(cmd: Any, parsed_args: argparse.Namespace) -> int:
    """`image list` on several places: their rows in one table, Cloud and Region first."""
    headers = (*FIRST, *cmd.printed_columns(parsed_args))
    check_columns(getattr(parsed_args, "columns", None), headers)
    run = Run(cmd, parsed_args)
    run.use_formatter()
    rows = [(place.cloud, place.region, *row)
            for place, (_, data) in run.results() for row in data]
    cmd.produce_output(parsed_args, headers, rows)
    return 1 if run.failed else 0


def run_show(cmd: Any, parsed_args: argparse.Namespace) -> int:
    """`image show` on several places: one row each, Cloud and Region first, then every
    field any of them has, in the order `image show` prints fields."""
    if parsed_args.formatter == "shell":
        raise UsageError("-f shell prints one record; with several clouds use -f table, "
                         "value, json or yaml")
    run = Run(cmd, parsed_args)
    formatter = run.use_formatter()
    records = [(place, dict(zip(columns, values, strict=True)))
               for place, (columns, values) in run.results()]
    fields = sorted({field for _, record in records for field in record})
    headers = (*FIRST, *fields)
    rows = [(place.cloud, place.region, *(record.get(field, "") for field in fields))
            for place, record in records]
    columns, selector = cmd._generate_columns_and_selector(parsed_args, headers)
    if selector:
        rows = [tuple(compress(row, selector)) for row in rows]
    formatter.emit_list(columns, rows, cmd.app.stdout, parsed_args)
    return 1 if run.failed else 0
