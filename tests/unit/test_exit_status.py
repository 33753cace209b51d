"""README's exit-code table and imgcli.errors.ExitStatus are the same list, and a signal's
exit status is one of them."""

from __future__ import annotations

import re
import signal
from pathlib import Path

from imgcli import signals
from imgcli.errors import ExitStatus

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_codes() -> set[int]:
    section = README.read_text().split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    codes: set[int] = set()
    for row in re.findall(r"^\| ([\d, ]+) \|", section, re.M):
        codes.update(int(code) for code in row.split(","))
    return codes


def test_readme_table_lists_every_exit_status() -> None:
    assert readme_codes() == {int(status) for status in ExitStatus}


def test_a_caught_signal_exits_with_its_status(monkeypatch) -> None:
    for signum, status in ((signal.SIGTERM, ExitStatus.TERMINATED),
                           (signal.SIGHUP, ExitStatus.HANGUP)):
        monkeypatch.setattr(signals, "received", signum)
        assert signals.exit_status(ExitStatus.INTERRUPTED) == status
        assert signals.exit_status(ExitStatus.ERROR) == ExitStatus.ERROR  # not an interrupt
    monkeypatch.setattr(signals, "received", None)
    assert signals.exit_status(ExitStatus.INTERRUPTED) == ExitStatus.INTERRUPTED
