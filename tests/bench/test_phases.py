"""benchmarks.phases: the phases of one run, from its marks, and a real child run."""

from __future__ import annotations

import subprocess
import sys

import pytest

from benchmarks.phases import phases, table
from tests.conftest import REPO as ROOT


def test_phases_of_a_save() -> None:
    marks = [("request start", 0.20), ("request end", 0.21),      # GET the record
             ("request start", 0.21), ("request end", 0.23),      # GET …/file to its headers
             ("body start", 0.23), ("finish start", 0.80), ("finish end", 0.81),
             ("body end", 0.81)]
    got = phases(marks, total=0.82)
    assert got == pytest.approx({
        "start-up": 0.20, "requests (to their headers)": 0.03, "download body": 0.57,
        "hash check, fsync, rename": 0.01, "the rest, until main() returns": 0.01,
        "total": 0.82})


def test_phases_without_a_download_or_a_request() -> None:
    assert phases([], total=0.05) == pytest.approx({
        "start-up": 0.05, "requests (to their headers)": 0.0,
        "the rest, until main() returns": 0.0, "total": 0.05})


def test_table_gives_median_and_range() -> None:
    runs = [{"start-up": s} for s in (0.1, 0.3, 0.2)]
    last = table(runs, lambda s: f"{s * 1000:.0f}").splitlines()[-1]
    assert last == "| start-up | 200 | 100–300 |"


def test_a_child_run_reports_its_phases_and_a_failure_says_so() -> None:
    # No cloud: `--os-auth-url` to a closed port fails at the first request, after start-up.
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.phases", "--runs", "1", "--",
         "--os-auth-url", "http://127.0.0.1:9/v3", "--os-username", "u", "--os-password", "p",
         "--os-project-name", "p", "--no-cache", "image", "list"],
        capture_output=True, text=True, cwd=ROOT, timeout=60)  # where `python -m` runs it
    assert done.returncode != 0
    assert "imgcli --os-auth-url" in done.stderr and "failed (exit 1)" in done.stderr
    assert "cannot connect to http://127.0.0.1:9" in done.stderr
    assert '"start-up"' in done.stderr  # the child's phases came back even though it failed


def test_a_request_sent_from_inside_a_request_is_counted_once() -> None:
    from benchmarks.phases import wrap

    class Session:
        def request(self, inner: bool = False) -> None:
            if inner:
                self.request()  # as keystoneauth's token request inside the first GET

    marks: list[tuple[str, float]] = []
    wrap(Session, "request", "request", marks)
    Session().request(inner=True)
    assert [event for event, _ in marks] == ["request start", "request end"]
