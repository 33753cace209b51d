"""The base of every imgcli command: `Command`, `Lister` and `ShowOne`.

Each is cliff's class with what every command shares built in: library failures become one
line that says what to fix (imgcli.explain), argparse errors are one line, a `-c` naming a
column the command never prints fails before any request, and output goes through imgcli's
formatters (escaped at a terminal, streaming JSON/YAML). A command subclasses one of these
and reads `self.app.connection` and `self.app.settings`.

Imports: cliff, imgcli.errors; imgcli.explain and imgcli.shell only when needed.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cliff import command, lister, show

from imgcli.errors import ImgcliError, UsageError

if TYPE_CHECKING:
    from imgcli.shell import ImgcliApp


class _Shared:
    """What the three bases add to cliff's classes (listed first, so its methods win)."""

    app: ImgcliApp

    def get_epilog(self) -> str:
        # cliff reads the metadata of every installed distribution, on every run, to say
        # which plugin provides a command (docs/performance.md#the-command-listing-at-start-up);
        # imgcli's own commands need no such line.
        return getattr(self, "_epilog", None) or ""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        from imgcli.shell import one_line_errors

        parser = super().get_parser(prog_name)  # type: ignore[misc]
        one_line_errors(parser)
        return parser

    def printed_columns(self, parsed_args: argparse.Namespace) -> Sequence[str] | None:
        """The columns this run prints, where they are known before any request (None:
        not known), so that a -c naming another fails at once instead of after the call."""
        return None

    def run(self, parsed_args: argparse.Namespace) -> int:
        check_columns(getattr(parsed_args, "columns", None), self.printed_columns(parsed_args))
        try:
            return super().run(parsed_args)  # type: ignore[misc]
        except ImgcliError:
            raise
        except Exception as exc:
            from imgcli.explain import explain

            better = explain(exc, self.app.known_settings)
            if better is None:
                raise
            raise better from exc


def check_columns(asked: Sequence[str] | None, printed: Sequence[str] | None) -> None:
    """cliff ignores an unknown -c when another one is known, and fails only after the
    request when none is: either way a script's typo goes unnoticed or costs a call."""
    if not asked or printed is None:
        return
    unknown = [name for name in asked if name not in printed]
    if unknown:
        raise UsageError(f"-c {unknown[0]!r}: no such column here; the columns are "
                         f"{', '.join(printed)}")


class Command(_Shared, command.Command):
    """A command that prints nothing on success (or writes its own output)."""


class Lister(_Shared, lister.Lister):
    """A command that prints rows: table, csv, value, json, yaml."""

    formatter_namespace = "imgcli.formatter.list"


class ShowOne(_Shared, show.ShowOne):
    """A command that prints one record: Field/Value, shell, value, json, yaml."""

    formatter_namespace = "imgcli.formatter.show"
