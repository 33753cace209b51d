"""Benchmark imgcli against `openstack image list` and `glance image-list` on a FakeCloud.

Every tool runs as a fresh process against the same loopback server, alternately, several
times per case; the table reports medians, spread, HTTP requests and peak RSS. Progress goes
to stderr, the Markdown table to stdout (and --out). Figures only: nothing here asserts.

    python benchmarks/run.py --quick --ref-bin /tmp/ref/bin
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fakecloud import FakeCloud  # noqa: E402

HERE = Path(__file__).resolve().parent
REF_VENV = HERE / ".venv-ref"
REF_PACKAGES = ("python-openstackclient==10.5.0", "python-glanceclient==4.13.0")
SIZES = (3, 1000, 10000, 100000)
LATENCY_MS = 20
LATENCY_SIZES = (3, 10000)
DEFAULT_SKIPS = ("openstack@100000",)
FORMATS = {"table": [], "json": ["-f", "json"]}
WARM, COLD = "imgcli (warm)", "imgcli (cold)"


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


@dataclass
class Row:
    tool: str
    case: str
    images: int | None
    fmt: str
    walls: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    notes: set[str] = field(default_factory=set)


@dataclass
class Sample:
    wall: float
    rss_mib: float
    rc: int
    stdout: bytes
    stderr: bytes


def _serve_cloud(conn: Connection, kwargs: dict[str, Any]) -> None:
    with FakeCloud(**kwargs) as cloud:
        conn.send((cloud.url, cloud.port, cloud.env))
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
        self.url, self.port, self.env = self._conn.recv()
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

    def run(self, argv: list[str], env: dict[str, str], timeout: float) -> Sample:
        self._conn.send((argv, env, timeout, str(self._out), str(self._err)))
        wall, rss, rc = self._conn.recv()
        return Sample(wall, rss, rc, self._out.read_bytes(), self._err.read_bytes())

    def close(self) -> None:
        self._conn.send(None)
        self._proc.join(10)


def count_rows(fmt: str, stdout: bytes) -> int | None:
    """Listed images, to catch a tool that 'wins' by listing less."""
    try:
        if fmt == "json":
            return len(json.loads(stdout))
        lines = stdout.decode(errors="replace").splitlines()
        return max(sum(1 for line in lines if line.startswith("| ")) - 1, 0)
    except ValueError:
        return None


class Bench:
    def __init__(self, args: argparse.Namespace, tools: list[Tool], root: Path) -> None:
        self.args = args
        self.tools = tools
        self.root = root
        self.launcher = Launcher(root)
        self.rows: dict[tuple[str, str, int | None, str], Row] = {}
        self.skips = set(args.skip) | (set() if args.include_slow else set(DEFAULT_SKIPS))

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

    def measure(self, tool: Tool, case: str, images: int | None, fmt: str,
                argv: list[str], env: dict[str, str], cloud: CloudProcess | None) -> None:
        row = self.rows.setdefault((tool.name, case, images, fmt),
                                   Row(tool.name, case, images, fmt))
        seen = cloud.request_count() if cloud else 0
        sample = self.launcher.run(argv, env, self.args.timeout)
        row.walls.append(sample.wall)
        row.rss_mib.append(sample.rss_mib)
        row.requests.append(cloud.request_count() - seen if cloud else 0)
        if sample.rc != 0:
            last = (sample.stderr.decode(errors="replace").strip().splitlines() or [""])[-1]
            row.notes.add(f"exit {sample.rc}: {last[:80]}")
        elif images is not None and (n := count_rows(fmt, sample.stdout)) != images:
            row.notes.add(f"listed {n} of {images}")
        print(f"  {tool.name:14} {case:10} {images or '-'!s:>6} {fmt:5} {sample.wall:8.2f}s "
              f"rc={sample.rc}", file=sys.stderr, flush=True)

    def note_skip(self, tool: Tool, case: str, images: int | None, fmt: str, why: str) -> None:
        row = self.rows.setdefault((tool.name, case, images, fmt),
                                   Row(tool.name, case, images, fmt))
        row.notes.add(why)

    def list_case(self, size: int, latency_ms: float, formats: list[str]) -> None:
        case = f"list +{latency_ms:g}ms" if latency_ms else "list"
        print(f"{case}, {size} images", file=sys.stderr, flush=True)
        with CloudProcess(images=size, latency_ms=latency_ms) as cloud:
            warm_cache = self.root / "cache" / f"warm-{cloud.port}"
            plan = []
            for fmt in formats:
                for tool in self.tools:
                    argv = tool.argv(fmt) if tool.exe else None
                    if tool.exe and argv is None:
                        continue
                    why = self.skipped(tool, size)
                    if why:
                        self.note_skip(tool, case, size, fmt, why)
                        continue
                    assert argv is not None
                    plan.append((fmt, tool, argv))
            if any(t.name == WARM for _, t, _ in plan):
                # Fill the token cache once, untimed: "warm" is the second run of the day.
                warm = next(t for t in self.tools if t.name == WARM)
                self.launcher.run(warm.argv("table") or [], self.env(WARM, cloud, warm_cache),
                                  self.args.timeout)
            for fmt in formats:
                for _ in range(self.args.runs):
                    for f, tool, argv in plan:
                        if f != fmt:
                            continue
                        cache = warm_cache if tool.name == WARM else None
                        if tool.name == COLD:
                            cache = Path(tempfile.mkdtemp(dir=self.root))
                        self.measure(tool, case, size, fmt, argv,
                                     self.env(tool.name, cloud, cache), cloud)

    def version_case(self) -> None:
        print("--version", file=sys.stderr, flush=True)
        tools = [t for t in self.tools if t.name in (WARM, "openstack")]
        for _ in range(self.args.runs):
            for tool in tools:
                label = "imgcli" if tool.name == WARM else tool.name
                if tool.exe is None:
                    self.note_skip(Tool(label, None), "--version", None, "-", tool.missing)
                    continue
                self.measure(Tool(label, tool.exe), "--version", None, "-",
                             [str(tool.exe), "--version"], self.env(tool.name, None), None)

    def warm_up(self) -> None:
        """One discarded run per tool, so the first timed one doesn't pay cold page cache."""
        with CloudProcess(images=3) as cloud:
            for tool in self.tools:
                if tool.exe is not None and (argv := tool.argv("table")):
                    self.launcher.run(argv, self.env(tool.name, cloud, self.root / "scratch"),
                                      self.args.timeout)


def fmt_range(values: list[float]) -> str:
    return f"{min(values):.2f}–{max(values):.2f}" if values else ""


def render(bench: Bench, header: list[str]) -> str:
    baseline = {(r.case, r.images, r.fmt): statistics.median(r.walls)
                for r in bench.rows.values() if r.tool in (WARM, "imgcli") and r.walls}
    lines = [*header, "",
             "| tool | case | images | format | median (s) | min–max (s) | × imgcli warm "
             "| HTTP requests | peak RSS (MiB) | notes |",
             "|---|---|--:|---|--:|--:|--:|--:|--:|---|"]
    groups: dict[tuple[str, int | None, str], int] = {}
    for r in bench.rows.values():
        groups.setdefault((r.case, r.images, r.fmt), len(groups))
    tool_order = [WARM, "imgcli", COLD, "openstack", "glance"]
    rows = sorted(bench.rows.values(),
                  key=lambda r: (groups[r.case, r.images, r.fmt], tool_order.index(r.tool)))
    for r in rows:
        med = statistics.median(r.walls) if r.walls else None
        base = baseline.get((r.case, r.images, r.fmt))
        ratio = f"{med / base:.1f}×" if med is not None and base else "n/a"
        reqs = sorted(set(r.requests))
        req_text = "–".join(map(str, (reqs[0], reqs[-1]) if len(reqs) > 1 else reqs))
        lines.append("| " + " | ".join([
            r.tool, r.case, "" if r.images is None else f"{r.images:,}", r.fmt,
            f"{med:.2f}" if med is not None else "–", fmt_range(r.walls), ratio, req_text,
            f"{statistics.median(r.rss_mib):.0f}" if r.rss_mib else "", "; ".join(sorted(r.notes)),
        ]) + " |")
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    ap.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = ap.parse_args(argv)
    args.runs = args.runs or (3 if args.quick else 5)
    sizes = args.sizes or ([3, 1000] if args.quick else list(SIZES))
    latency_sizes = args.latency_sizes if args.latency_sizes is not None else (
        [3] if args.quick else list(LATENCY_SIZES))
    formats = [f for f in args.formats.split(",") if f in FORMATS]

    ref = ensure_ref_bin(args.ref_bin)
    imgcli = find_imgcli(args.imgcli)
    missing = "" if imgcli else f"imgcli not found ({args.imgcli or 'beside python / PATH'})"
    tools = [Tool(WARM, imgcli, missing), Tool(COLD, imgcli, missing),
             Tool("openstack", ref / "openstack"), Tool("glance", ref / "glance")]
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
        f"Server: benchmarks/fakecloud.py on loopback; {args.runs} alternating runs per row; "
        "wall time includes interpreter start-up; peak RSS is the child's ru_maxrss.",
        "imgcli (warm) reuses a token cache filled by an untimed run; imgcli (cold) starts "
        "with an empty XDG_CACHE_HOME. glanceclient has no JSON output: table only.",
    ]
    skips = sorted(set(args.skip) | (set() if args.include_slow else set(DEFAULT_SKIPS)))
    if skips:
        header.append(f"Skipped: {', '.join(skips)}"
                      + ("" if args.include_slow else " (default skip; --include-slow runs it)"))
    if missing:
        header.append(f"Note: {missing}; its rows are empty.")

    with tempfile.TemporaryDirectory(prefix="imgcli-bench-") as tmp:
        bench = Bench(args, tools, Path(tmp))
        bench.warm_up()
        for size in sizes:
            bench.list_case(size, 0, formats)
        for size in latency_sizes:
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
