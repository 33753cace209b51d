"""What every imgcli command shares: library failures become one line that says what to fix."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from imgcli.errors import ImgcliError, UsageError


class ExplainErrors:
    """Mix in before a cliff Command class.

    cliff logs str(exception) for a failed command; keystoneauth's and requests' messages
    are written for developers, so they are translated here, where the command ends.
    """

    app: Any

    def get_epilog(self) -> str:
        # cliff reads the metadata of every installed distribution (~50 ms, on every run)
        # to say which plugin provides a command; imgcli's own commands need no such line.
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
            from imgcli.session import explain

            better = explain(exc, getattr(self.app, "_settings", None))
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
