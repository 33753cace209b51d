"""The benchmark harness itself: a run that fails or lists the wrong images is never a time.

Tiny fake "tools" (Python scripts that list the FakeCloud's images, then misbehave as told)
are run by the harness's own Bench, Launcher and CloudProcess, and the rendered Markdown is
read back: each failure mode must show as "N of M failed", with no figure in its row.
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from benchmarks import run
from fakecloud import FAKE_TOKEN, make_images

IDS = [image["id"] for image in make_images(3)]
STRANGER = "00000000-0000-4000-8000-000000000000"

# Lists the cloud's images as imgcli would (table, or JSON with -f json), then misbehaves:
# "fail-every" exits 1 on every Nth call of a format (fast: the flattering case),
# "wrong-row" swaps one ID for a stranger, "duplicate" prints one row twice.
FAKE_TOOL = """\
#!{python} -IS
import http.client, json, os, sys
MODE, N, COUNTER = {mode!r}, {n}, {counter!r}
COUNTER += ".json" if "json" in sys.argv else ".table"
calls = int(open(COUNTER).read()) + 1 if os.path.exists(COUNTER) else 1
open(COUNTER, "w").write(str(calls))
if MODE == "fail-every" and calls % N == 0:
    sys.exit("boom")
host = os.environ["OS_AUTH_URL"].split("/")[2]
conn = http.client.HTTPConnection(host)
conn.request("GET", "/image/v2/images?visibility=all&limit=1000",
             headers={{"X-Auth-Token": {token!r}}})
ids = [image["id"] for image in json.load(conn.getresponse())["images"]]
if MODE == "wrong-row":
    ids[0] = {stranger!r}
if MODE == "duplicate":
    ids.append(ids[0])
if "json" in sys.argv:
    print(json.dumps([{{"ID": i, "Name": "n", "Status": "active"}} for i in ids], indent=4))
else:
    print("| ID | Name | Status |")
    print("".join(f"| {{i}} | n | active |\\n" for i in ids), end="")
"""


def fake_tool(tmp_path: Path, name: str, mode: str, n: int = 0) -> Path:
    path = tmp_path / "bin" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(FAKE_TOOL.format(python=sys.executable, mode=mode, n=n,
                                     counter=str(path) + ".calls", token=FAKE_TOKEN,
                                     stranger=STRANGER))
    path.chmod(0o755)
    return path


def bench_table(tmp_path: Path, modes: dict[str, tuple[str, int]],
                formats: list[str], runs: int = 3) -> dict[tuple[str, str], list[str]]:
    """Run the list case at 3 images with these tools; the table's cells by (tool, format)."""
    tools = [run.Tool(name, fake_tool(tmp_path, name.split()[-1].strip("()"), *mode))
             for name, mode in modes.items()]
    bench = run.Bench(run.parse_args(["--runs", str(runs), "--seed", "7"]), tools, tmp_path)
    try:
        bench.list_case(3, 0, formats)
    finally:
        bench.launcher.close()
    table = run.render(bench, [])
    rows = [line.strip("|").split(" | ") for line in table.splitlines()[3:]]
    return {(cells[0].strip(), cells[3]): [c.strip() for c in cells] for cells in rows}


SECONDS = re.compile(r"\d+\.\d\d")  # any time figure, as the table prints them


def assert_failed_without_a_time(cells: list[str], failed: str, reason: str) -> None:
    assert cells[4] == failed
    assert not SECONDS.search(" | ".join(cells[4:9])), cells  # no median, range or ratio
    assert reason in cells[9]


OK = ("ok", 0)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], list[str]]:
    # One bench for three failure modes keeps the module fast: each run is a process.
    return bench_table(tmp_path_factory.mktemp("mixed"), {
        run.WARM: OK, run.COLD: ("fail-every", 3), "openstack": ("wrong-row", 0),
        "glance": ("duplicate", 0)}, ["table", "json"])


def test_valid_rows_have_figures(mixed):
    warm = mixed[run.WARM, "json"]
    assert SECONDS.fullmatch(warm[4]) and warm[6] == "1.0×" and warm[9] == ""


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_one_failure_in_n_fails_the_row(mixed, fmt):
    assert_failed_without_a_time(mixed[run.COLD, fmt], "1 of 3 failed", "1× exit 1: boom")


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_a_wrong_row_fails_every_run(mixed, fmt):
    assert_failed_without_a_time(mixed["openstack", fmt], "3 of 3 failed",
                                 "3× 2 of 3 IDs listed; 1 unexpected")


def test_a_duplicate_row_fails_every_run(mixed):
    assert_failed_without_a_time(mixed["glance", "table"], "3 of 3 failed", "3× 1 duplicated")


def test_no_ratio_against_a_failed_warm_imgcli(tmp_path):
    # The untimed cache fill is a table run: it does not move the JSON count.
    table = bench_table(tmp_path, {run.WARM: ("fail-every", 3), "openstack": OK}, ["json"])
    assert_failed_without_a_time(table[run.WARM, "json"], "1 of 3 failed", "1× exit 1: boom")
    other = table["openstack", "json"]
    assert SECONDS.fullmatch(other[4]) and other[6] == "n/a"
    assert other[9] == "no ratio: imgcli (warm) has no valid median"


# --- the seams below the table ------------------------------------------------------------

def table(ids: list[str]) -> str:
    return "+---+\n| ID | Name |\n+---+\n" + "".join(f"| {i} | x |\n" for i in ids)


@pytest.mark.parametrize(("output", "reason"), [
    (table(IDS), None),
    ("\n".join(IDS) + "\n", None),  # -f value
    (json.dumps([{"ID": i} for i in IDS]), None),
    (table(IDS[:2]), "2 of 3 IDs listed"),
    (table([*IDS, IDS[1]]), "1 duplicated"),
    (table([*IDS, STRANGER]), "1 unexpected"),
    (json.dumps([{"ID": i} for i in [*IDS, IDS[0]]]), "1 duplicated"),
    (json.dumps([{"ID": i} for i in IDS])[:-20], "output is not valid JSON"),
    (json.dumps([{"Name": "x"}]), "a JSON row has no ID"),
    # A cell wrapped over two lines (a narrow terminal) is an ID missing, never a pass.
    (table(IDS[:2]) + f"| {IDS[2][:18]} | x |\n| {IDS[2][18:]} |   |\n", "2 of 3 IDs listed"),
    ("", "0 of 3 IDs listed"),
], ids=["table", "value", "json", "missing", "duplicate", "stranger", "json-duplicate",
        "json-cut", "json-no-id", "wrapped", "empty"])
def test_check_ids(output, reason):
    assert run.check_ids(output.encode(), IDS) == reason


@pytest.mark.parametrize(("rc", "stdout", "reason"), [
    (0, table(IDS), None),
    (1, table(IDS), "exit 1: last words"),  # a complete listing still fails on its exit code
    (-9, b"", "killed by signal 9"),
])
def test_judge(rc, stdout, reason):
    out = stdout.encode() if isinstance(stdout, str) else stdout
    outcome = run.Outcome(0.1, 10.0, rc, out, b"first\nlast words\n")
    assert run.judge(outcome, lambda s: run.check_ids(s, IDS)) == reason


def row(*failures: str | None) -> run.Row:
    samples = [run.Sample(0.1 * (i + 1), 20, 4, f) for i, f in enumerate(failures)]
    return run.Row(run.WARM, "list", 3, "json", samples)


def test_median_and_ratio_refuse_any_failed_run():
    good, bad = row(None, None, None), row(None, "exit 1: x", None)
    assert run.median_wall(good) == pytest.approx(0.2)
    assert run.median_wall(bad) is None and run.median_wall(row()) is None
    assert run.ratio(good, good) == pytest.approx(1.0)
    assert run.ratio(good, bad) is None and run.ratio(bad, good) is None


def test_failure_note_counts_each_reason():
    assert run.failure_note(row("b", None, "a", "b")) == "1× a; 2× b"


def test_rounds_shuffle_the_order():
    order = list(run.shuffled_rounds(["a", "b", "c", "d"], 6, random.Random(1)))
    rounds = [tuple(order[i:i + 4]) for i in range(0, 24, 4)]
    assert all(sorted(r) == ["a", "b", "c", "d"] for r in rounds)  # each tool once a round
    assert len(set(rounds)) > 1


def test_rows_keep_a_fixed_order_whatever_ran_first():
    # The shuffled rounds create rows in any order; the table must not follow it.
    rows = [run.Row("glance", "list", 3, "table"), run.Row(run.WARM, "list", 3, "json"),
            run.Row(run.WARM, "list", 3, "table"), run.Row("openstack", "list", 3, "json")]
    bench = SimpleNamespace(rows={(r.tool, r.case, r.images, r.fmt): r for r in rows})
    shown = [line.split(" | ") for line in run.render(bench, []).splitlines()[3:]]
    assert [(cells[0].strip("| "), cells[3]) for cells in shown] == [
        (run.WARM, "table"), ("glance", "table"), (run.WARM, "json"), ("openstack", "json")]
