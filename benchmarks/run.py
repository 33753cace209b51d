"""Benchmark imgcli against `openstack image list` and `glance image-list` on a FakeCloud.

Every tool runs as a fresh process against the same loopback server, in a shuffled order,
several times per case; the table reports medians, spread, HTTP requests and peak RSS. A run
that fails, or whose output is not the expected image IDs each once, counts in no figure: its
row shows how many runs failed instead. Progress goes to stderr, the Markdown table to stdout
(and --out).

    python -m benchmarks.run --quick --ref-bin ~/ref/bin   # never a venv under /tmp: README
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from fakecloud import FakeCloud

HERE = Path(__file__).resolve().parent
REF_VENV = HERE / ".venv-ref"
REF_PACKAGES = ("python-openstackclient==10.5.0", "python-glanceclient==4.13.0")
SIZES = (3, 1000, 10000, 100000)
LATENCY_MS = 20
LATENCY_SIZES = (3, 10000)
DEFAULT_SKIPS = ("openstack@100000",)
FORMATS = {"table": [], "json": ["-f", "json"]}
WARM, COLD = "imgcli (warm)", "imgcli (cold)"
T = TypeVar("T")


@dataclass
class Tool:
    name: str
    exe: Path | None  # None: not available, rows are skipped with `missing` as the note
    missing: str = ""

    def argv(self, fmt: str) -> list[str] | None:
        assert self.exe is not None
        if self.name == "glance":
            if fmt != "table":
                return None  # glanceclient has no -f json
            return [str(self.exe), "--os-image-api-version", "2", "image-list",
                    "--visibility", "all"]
        return [str(self.exe), "image", "list", "--all", *FORMATS[fmt]]


@dataclass(frozen=True)
class Sample:
    """One timed run. `failure` says why it does not count; a failed run is in no figure."""

    wall: float
    rss_mib: float
    requests: int
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass
class Row:
    tool: str
    case: str
    images: int | None
    fmt: str
    samples: list[Sample] = field(default_factory=list)
    skipped: str = ""  # why the row was not run at all

    @property
    def valid(self) -> bool:
        """Figures may be shown: there were runs and every one of them counts."""
        return bool(self.samples) and all(s.ok for s in self.samples)

    def failures(self) -> Counter[str]:
        return Counter(s.failure for s in self.samples if s.failure is not None)


def median_wall(row: Row) -> float | None:
    """The median wall time, or None unless every run of the row is valid.

    Dropping the failed runs and taking the median of the rest would still flatter: a tool
    that fails one run in five would show the time of its four lucky ones.
    """
    return statistics.median(s.wall for s in row.samples) if row.valid else None


def ratio(row: Row, base: Row | None, *more: Row | None) -> float | None:
    """row's median over base's, only when both rows have every run valid.

    With more bases, over the slowest of them (a bound such as max(curl, sha512)), and only
    when every one of them has every run valid.
    """
    mine = median_wall(row)
    theirs = [median_wall(b) if b else None for b in (base, *more)]
    if mine is None or any(t is None for t in theirs):
        return None
    slowest = max(t for t in theirs if t is not None)
    return mine / slowest if slowest else None


@dataclass
class Outcome:
    """What a finished process left: judged into a Sample, then dropped (outputs are big)."""

    wall: float
    rss_mib: float
    rc: int
    stdout: bytes
    stderr: bytes


Check = Callable[[bytes], str | None]  # the output's fault, or None when it is right

UUID = re.compile(r"(?<![0-9a-f-])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                  r"(?![0-9a-f-])")


def _json_ids(text: str) -> list[str] | str:
    """The "ID" of every row of a JSON listing, or why there is none to compare."""
    try:
        rows = json.loads(text)
    except ValueError:
        return "output is not valid JSON"
    if not isinstance(rows, list):
        return "JSON output is not a list"
    ids: list[str] = []
    for row in rows:
        image_id = row.get("ID", row.get("id")) if isinstance(row, dict) else None
        if not isinstance(image_id, str):
            return "a JSON row has no ID"
        ids.append(image_id)
    return ids


def check_ids(stdout: bytes | str, expected_ids: Collection[str]) -> str | None:
    """None when the output lists exactly the expected IDs, each once; else what is wrong.

    JSON is parsed; any other output (table, value, csv) is searched for UUIDs, so a table
    whose ID cells wrapped shows up as IDs missing, never as a pass.
    """
    text = stdout.decode(errors="replace") if isinstance(stdout, bytes) else stdout
    found = _json_ids(text) if text.lstrip().startswith(("[", "{")) else UUID.findall(text)
    if isinstance(found, str):
        return found
    seen, expected = Counter(found), set(expected_ids)
    faults = []
    if missing := len(expected - seen.keys()):
        faults.append(f"{len(expected) - missing} of {len(expected)} IDs listed")
    if duplicated := sum(n - 1 for n in seen.values() if n > 1):
        faults.append(f"{duplicated} duplicated")
    if unexpected := len(seen.keys() - expected):
        faults.append(f"{unexpected} unexpected")
    return "; ".join(faults) or None


def check_version(stdout: bytes) -> str | None:
    return None if re.search(rb"\d+\.\d+", stdout) else "no version printed"


def _last_line(data: bytes) -> str:
    return (data.decode(errors="replace").strip().splitlines() or [""])[-1][:80]


def judge(outcome: Outcome, check: Check) -> str | None:
    """Why this run must not count, or None."""
    if outcome.rc < 0:
        return f"killed by signal {-outcome.rc}"  # the --timeout watchdog, or a crash
    if outcome.rc != 0:
        return f"exit {outcome.rc}: {_last_line(outcome.stderr)}"
    return check(outcome.stdout)


def _serve_cloud(conn: Connection, kwargs: dict[str, Any]) -> None:
    with FakeCloud(**kwargs) as cloud:
        conn.send((cloud.url, cloud.port, cloud.env, cloud.image_ids))
        while conn.recv() != "stop":
            conn.send(len(cloud.requests))


class CloudProcess:
    """A FakeCloud in its own process.

    Linux keeps a process's RSS high-water mark across exec, so tools forked from a parent
    holding 100k images would report that parent's RSS as their own; a separate process also
    keeps the server's GIL away from the runner.
    """

    def __init__(self, **kwargs: Any) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve_cloud, args=(child, kwargs), daemon=True)

    def __enter__(self) -> CloudProcess:
        self._proc.start()
        self.url, self.port, self.env, self.image_ids = self._conn.recv()
        return self

    def request_count(self) -> int:
        self._conn.send("count")
        return int(self._conn.recv())

    def __exit__(self, *exc: object) -> None:
        self._conn.send("stop")
        self._proc.join(30)


def _spawn_and_wait(argv: list[str], env: dict[str, str], timeout: float, out: str,
                    err: str) -> tuple[float, float, int]:
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=stdout,
                                stderr=stderr)
        watchdog = threading.Timer(timeout, proc.kill)
        watchdog.start()
        # wait4 rather than Popen.wait: it also returns the child's peak RSS.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        watchdog.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def _launcher(conn: Connection) -> None:
    while (job := conn.recv()) is not None:
        conn.send(_spawn_and_wait(*job))


class Launcher:
    """Starts the measured tools from a small, long-lived process.

    Linux carries the RSS high-water mark of the forking process across exec, so a tool
    started by the runner (which parses 100k-row outputs) would report the runner's peak.
    """

    def __init__(self, scratch: Path) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_launcher, args=(child,), daemon=True)
        self._proc.start()
        self._out, self._err = scratch / "stdout", scratch / "stderr"

    def run(self, argv: list[str], env: dict[str, str], timeout: float) -> Outcome:
        self._conn.send((argv, env, timeout, str(self._out), str(self._err)))
        wall, rss, rc = self._conn.recv()
        return Outcome(wall, rss, rc, self._out.read_bytes(), self._err.read_bytes())

    def close(self) -> None:
        self._conn.send(None)
        self._proc.join(10)


def shuffled_rounds(plan: list[T], runs: int, rng: random.Random) -> Iterator[T]:
    """Every item of the plan once per round, in a new order each round."""
    for _ in range(runs):
        yield from rng.sample(plan, len(plan))


class Bench:
    def __init__(self, args: argparse.Namespace, tools: list[Tool], root: Path) -> None:
        self.args = args
        self.tools = tools
        self.root = root
        self.launcher = Launcher(root)
        self.rows: dict[tuple[str, str, int | None, str], Row] = {}
        self.skips = set(args.skip) | (set() if args.include_slow else set(DEFAULT_SKIPS))
        # A fixed order would hand each tool the same predecessor (its page-cache and CPU
        # state) in every round; the seed is printed so that an order can be replayed.
        self.rng = random.Random(args.seed)

    def env(
        self, tool: str, cloud: CloudProcess | None, cache: Path | None = None
    ) -> dict[str, str]:
        home = self.root / "home" / tool.split()[0]
        home.mkdir(parents=True, exist_ok=True)
        exe = next(t.exe for t in self.tools if t.name == tool)
        return {
            "PATH": f"{Path(str(exe)).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(home),
            "XDG_CACHE_HOME": str(cache or self.root / "cache" / tool.replace(" ", "-")),
            **(cloud.env if cloud else {}),
        }

    def skipped(self, tool: Tool, size: int | None) -> str:
        if tool.exe is None:
            return tool.missing
        slug = tool.name.replace(" (", "-").rstrip(")")  # "imgcli (cold)" -> "imgcli-cold"
        base = slug.split("-")[0]
        for spec in (f"{slug}@{size}", f"{base}@{size}", f"{slug}@*", f"{base}@*"):
            if spec in self.skips:
                return f"skipped ({spec})"
        return ""

    def row(self, tool: str, case: str, images: int | None, fmt: str) -> Row:
        return self.rows.setdefault((tool, case, images, fmt), Row(tool, case, images, fmt))

    def measure(self, tool: Tool, case: str, images: int | None, fmt: str, argv: list[str],
                env: dict[str, str], cloud: CloudProcess | None, check: Check) -> None:
        seen = cloud.request_count() if cloud else 0
        outcome = self.launcher.run(argv, env, self.args.timeout)
        requests = cloud.request_count() - seen if cloud else 0
        failure = judge(outcome, check)
        self.row(tool.name, case, images, fmt).samples.append(
            Sample(outcome.wall, outcome.rss_mib, requests, failure))
        print(f"  {tool.name:14} {case:10} {images or '-'!s:>6} {fmt:5} {outcome.wall:8.2f}s "
              f"{'ok' if failure is None else 'FAILED: ' + failure}", file=sys.stderr, flush=True)

    def rounds(self, plan: list[T]) -> Iterator[T]:
        return shuffled_rounds(plan, self.args.runs, self.rng)

    def list_case(self, size: int, latency_ms: float, formats: list[str]) -> None:
        case = f"list +{latency_ms:g}ms" if latency_ms else "list"
        print(f"{case}, {size} images", file=sys.stderr, flush=True)
        with CloudProcess(images=size, latency_ms=latency_ms) as cloud:
            expected = frozenset(cloud.image_ids)

            def check(stdout: bytes) -> str | None:
                return check_ids(stdout, expected)

            warm_cache = self.root / "cache" / f"warm-{cloud.port}"
            plan = []
            for fmt in formats:
                for tool in self.tools:
                    argv = tool.argv(fmt) if tool.exe else None
                    if tool.exe and argv is None:
                        continue
                    if why := self.skipped(tool, size):
                        self.row(tool.name, case, size, fmt).skipped = why
                        continue
                    assert argv is not None
                    plan.append((fmt, tool, argv))
            if any(t.name == WARM for _, t, _ in plan):
                # Fill the token cache once, untimed: "warm" is the second run of the day.
                warm = next(t for t in self.tools if t.name == WARM)
                self.launcher.run(warm.argv("table") or [], self.env(WARM, cloud, warm_cache),
                                  self.args.timeout)
            for fmt, tool, argv in self.rounds(plan):
                cache = warm_cache if tool.name == WARM else None
                if tool.name == COLD:
                    cache = Path(tempfile.mkdtemp(dir=self.root))
                self.measure(tool, case, size, fmt, argv, self.env(tool.name, cloud, cache),
                             cloud, check)

    def version_case(self) -> None:
        print("--version", file=sys.stderr, flush=True)
        plan = []
        for tool in (t for t in self.tools if t.name in (WARM, "openstack")):
            label = "imgcli" if tool.name == WARM else tool.name
            if tool.exe is None:
                self.row(label, "--version", None, "-").skipped = tool.missing
            else:
                plan.append((tool, label))
        for tool, label in self.rounds(plan):
            self.measure(Tool(label, tool.exe), "--version", None, "-",
                         [str(tool.exe), "--version"], self.env(tool.name, None), None,
                         check_version)

    def warm_up(self) -> None:
        """One discarded run per tool, so the first timed one doesn't pay cold page cache."""
        with CloudProcess(images=3) as cloud:
            for tool in self.tools:
                if tool.exe is not None and (argv := tool.argv("table")):
                    self.launcher.run(argv, self.env(tool.name, cloud, self.root / "scratch"),
                                      self.args.timeout)


TOOL_ORDER = [WARM, "imgcli", COLD, "openstack", "glance"]
HEADINGS = ["tool", "case", "images", "format", "median (s)", "min–max (s)", "× imgcli warm",
            "HTTP requests", "peak RSS (MiB)", "notes"]


def _rank(item: str, order: list[str]) -> int:
    return order.index(item) if item in order else len(order)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")  # a failure's stderr line must not split the row


def failure_note(row: Row) -> str:
    """Every distinct reason with its count: one failure in five must not read as five."""
    return "; ".join(f"{n}× {why}" for why, n in sorted(row.failures().items()))


def failed_cells(row: Row) -> tuple[str, str] | None:
    """What a row with any failed run shows instead of figures: ("N of M failed", every
    reason with its count); None when every run counts (or there were none)."""
    if row.valid or not row.samples:
        return None
    failed = sum(not s.ok for s in row.samples)
    return f"{failed} of {len(row.samples)} failed", failure_note(row)


def row_cells(row: Row, base: Row | None) -> list[str]:
    """The table cells of a row: figures only when every run of the row counts."""
    ident = [row.tool, row.case, "" if row.images is None else f"{row.images:,}", row.fmt]
    if not row.samples:
        return [*ident, "–", "–", "–", "–", "–", row.skipped]
    if failed := failed_cells(row):
        return [*ident, failed[0], "–", "–", "–", "–", failed[1]]
    med = median_wall(row)
    assert med is not None
    walls = [s.wall for s in row.samples]
    reqs = sorted({s.requests for s in row.samples})
    q = ratio(row, base)
    note = "" if q is not None or base is None else f"no ratio: {base.tool} has no valid median"
    return [*ident, f"{med:.2f}", f"{min(walls):.2f}–{max(walls):.2f}",
            "n/a" if q is None else f"{q:.1f}×",
            "–".join(map(str, (reqs[0], reqs[-1]) if len(reqs) > 1 else reqs)),
            f"{statistics.median(s.rss_mib for s in row.samples):.0f}", note]


def render(bench: Bench, header: list[str]) -> str:
    baseline = {(r.case, r.images, r.fmt): r for r in bench.rows.values()
                if r.tool in (WARM, "imgcli")}
    # Cases in the order they ran; formats and tools in a fixed order, whatever order the
    # shuffled rounds happened to create their rows in.
    cases: dict[tuple[str, int | None], int] = {}
    for r in bench.rows.values():
        cases.setdefault((r.case, r.images), len(cases))

    def order(r: Row) -> tuple[int, int, int]:
        return (cases[r.case, r.images], _rank(r.fmt, [*FORMATS, "-"]),
                _rank(r.tool, TOOL_ORDER))

    lines = [*header, "", "| " + " | ".join(HEADINGS) + " |",
             "|---|---|--:|---|--:|--:|--:|--:|--:|---|"]
    for r in sorted(bench.rows.values(), key=order):
        cells = row_cells(r, baseline.get((r.case, r.images, r.fmt)))
        lines.append("| " + " | ".join(map(_cell, cells)) + " |")
    return "\n".join(lines) + "\n"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def tool_version(exe: Path | None) -> str:
    if exe is None:
        return "missing"
    p = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=120)
    return (p.stdout or p.stderr).strip().splitlines()[-1] if p.returncode == 0 else "?"


def ensure_ref_bin(ref_bin: Path | None) -> Path:
    if ref_bin is not None:
        return ref_bin
    bin_dir = REF_VENV / "bin"
    if not (bin_dir / "openstack").exists() or not (bin_dir / "glance").exists():
        print(f"creating {REF_VENV} with {' '.join(REF_PACKAGES)}", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(REF_VENV)], check=True)
        subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q",
                        *REF_PACKAGES], check=True)
    return bin_dir


def find_imgcli(path: Path | None) -> Path | None:
    if path is not None:
        return path if path.exists() else None
    beside = Path(sys.executable).parent / "imgcli"
    found = beside if beside.exists() else shutil.which("imgcli")
    return Path(found) if found else None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog=f"python -m {__spec__.name}" if __spec__ else None,
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=None, help="timed runs per case (default 5)")
    ap.add_argument("--quick", action="store_true", help="3 and 1k images, 3 runs")
    ap.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")],
                    help=f"image counts (default {','.join(map(str, SIZES))})")
    ap.add_argument("--latency-sizes", type=lambda s: [int(x) for x in s.split(",") if x],
                    help=f"sizes for the +{LATENCY_MS}ms case (default 3,10000; '' = none)")
    ap.add_argument("--formats", default="table,json")
    ap.add_argument("--skip", action="append", default=[], metavar="TOOL@SIZE",
                    help="e.g. openstack@100000, glance@*, imgcli-cold@1000, imgcli@*")
    ap.add_argument("--include-slow", action="store_true",
                    help=f"do not apply the default skips ({', '.join(DEFAULT_SKIPS)})")
    ap.add_argument("--ref-bin", type=Path, help=f"bin dir with openstack and glance "
                    f"(default: create {REF_VENV.relative_to(HERE.parent)})")
    ap.add_argument("--imgcli", type=Path, help="imgcli executable (default: beside python)")
    ap.add_argument("--timeout", type=float, default=900, help="per-run kill timeout (s)")
    ap.add_argument("--seed", type=int, default=None,
                    help="seed of the run order (default: a new one, printed in the header)")
    ap.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = ap.parse_args(argv)
    args.runs = args.runs or (3 if args.quick else 5)
    args.sizes = args.sizes or ([3, 1000] if args.quick else list(SIZES))
    if args.latency_sizes is None:
        args.latency_sizes = [3] if args.quick else list(LATENCY_SIZES)
    args.formats = [f for f in args.formats.split(",") if f in FORMATS]
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 32)
    return args


def header_lines(args: argparse.Namespace, imgcli: Path | None, ref: Path,
                 missing: str) -> list[str]:
    ref_py = subprocess.run([str(ref / "python"), "-c", "import platform;"
                             "print(platform.python_version())"],
                            capture_output=True, text=True).stdout.strip()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = [
        f"## imgcli benchmark, {now}",
        "",
        f"Machine: {platform.platform()}, {cpu_model()}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()} (imgcli), {ref_py or '?'} (reference tools).",
        f"Tools: {tool_version(imgcli)}; {tool_version(ref / 'openstack')} "
        f"(python-openstackclient); glance {tool_version(ref / 'glance')} "
        "(python-glanceclient, `--os-image-api-version 2 image-list --visibility all`).",
        f"Server: fakecloud's FakeCloud on loopback; {args.runs} runs per row, the tools in "
        f"a new random order each round (`--seed {args.seed}` repeats it); wall time includes "
        "interpreter start-up; peak RSS is the child's ru_maxrss.",
        "imgcli (warm) reuses a token cache filled by an untimed run; imgcli (cold) starts "
        "with an empty XDG_CACHE_HOME. glanceclient has no JSON output: table only.",
        "A run counts only if it exits 0 and lists every expected image ID exactly once; a row "
        "with any other run shows \"N of M failed\" and no figure, and a ratio needs both rows "
        "valid.",
    ]
    skips = sorted(set(args.skip) | (set() if args.include_slow else set(DEFAULT_SKIPS)))
    if skips:
        header.append(f"Skipped: {', '.join(skips)}"
                      + ("" if args.include_slow else " (default skip; --include-slow runs it)"))
    if missing:
        header.append(f"Note: {missing}; its rows are empty.")
    return header


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ref = ensure_ref_bin(args.ref_bin)
    imgcli = find_imgcli(args.imgcli)
    missing = "" if imgcli else f"imgcli not found ({args.imgcli or 'beside python / PATH'})"
    tools = [Tool(WARM, imgcli, missing), Tool(COLD, imgcli, missing),
             Tool("openstack", ref / "openstack"), Tool("glance", ref / "glance")]
    header = header_lines(args, imgcli, ref, missing)
    with tempfile.TemporaryDirectory(prefix="imgcli-bench-") as tmp:
        bench = Bench(args, tools, Path(tmp))
        bench.warm_up()
        for size in args.sizes:
            bench.list_case(size, 0, args.formats)
        for size in args.latency_sizes:
            bench.list_case(size, LATENCY_MS, ["table"])
        bench.version_case()
        bench.launcher.close()
        table = render(bench, header)
    sys.stdout.write(table)
    if args.out:
        args.out.write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
