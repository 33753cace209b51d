"""Where an imgcli command's wall time goes: start-up, each request, a download's body.

    python -m benchmarks.phases --runs 7 -- image save ID --file /tmp/x.raw

Run it from the repository's root. Each run is a new process (this module again, with
--child) that notes the time at its first line, wraps keystoneauth's `Session.request`
(every request, Keystone's and Glance's, goes through it) and, for `image save`,
`Download.save` and `Download.finish`, then runs imgcli's own main(). The parent prints the
medians. The interpreter's start before that first line
(docs/performance.md#the-interpreters-own-start) is in no phase. The wrapping costs
microseconds a call; use it to see shares, and the benchmarks for the figures that count.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # before anything else: the start-up phase starts here

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

Marks = list[tuple[str, float]]  # (event, seconds since T0)


def wrap(owner: Any, name: str, event: str, marks: Marks) -> None:
    original = getattr(owner, name)
    depth = [0]  # a cold run's token request is sent from inside the first request: once

    def timed(*args: Any, **kwargs: Any) -> Any:
        if depth[0]:
            return original(*args, **kwargs)
        depth[0] += 1
        marks.append((f"{event} start", time.perf_counter() - T0))
        try:
            return original(*args, **kwargs)
        finally:
            marks.append((f"{event} end", time.perf_counter() - T0))
            depth[0] -= 1

    setattr(owner, name, timed)


def phases(marks: Marks, total: float) -> dict[str, float]:
    """Seconds per phase, from the marks of one run."""
    at: dict[str, list[float]] = {}
    for event, t in marks:
        at.setdefault(event, []).append(t)
    first = min((t for e, t in marks if e == "request start"), default=total)
    out = {"start-up": first, "requests (to their headers)": sum(
        end - start for start, end in
        zip(at.get("request start", []), at.get("request end", []), strict=True))}
    if "body start" in at:
        finish = at["finish end"][0] - at["finish start"][0] if "finish end" in at else 0.0
        out["download body"] = at["body end"][0] - at["body start"][0] - finish
        out["hash check, fsync, rename"] = finish
    out["the rest, until main() returns"] = total - sum(out.values())
    out["total"] = total
    return out


def child(argv: list[str]) -> int:
    marks: Marks = []
    from keystoneauth1.session import Session  # imported by every command that sends

    wrap(Session, "request", "request", marks)
    if "save" in argv:  # imported anyway by `image save`; never charged to other commands
        from imgcli.transfer.download import Download

        wrap(Download, "save", "body", marks)
        wrap(Download, "finish", "finish", marks)
    from imgcli.__main__ import main

    code = main(argv)
    sys.stdout.flush()
    print(json.dumps(phases(marks, time.perf_counter() - T0)), file=sys.stderr)
    return code


def run_once(argv: list[str]) -> dict[str, float]:
    # The child as this module, as the parent runs (python -m, from the repository's root):
    # run as a script, its folder would come first on sys.path, and a benchmark there named
    # like a standard module (copy.py) would shadow it.
    me = ["-m", __spec__.name] if __spec__ else [__file__]
    done = subprocess.run([sys.executable, *me, "--child", "--", *argv],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    last = done.stderr.strip().splitlines()[-1:] or [""]
    if done.returncode != 0 or not last[0].startswith("{"):
        raise SystemExit(f"imgcli {' '.join(argv)} failed (exit {done.returncode}):\n"
                         f"{done.stderr.strip()}")
    return json.loads(last[0])


def table(runs: list[dict[str, float]], fmt: Callable[[float], str]) -> str:
    lines = ["| phase | median (ms) | min–max (ms) |", "|---|--:|--:|"]
    for phase in runs[0]:
        values = [run[phase] for run in runs]
        lines.append(f"| {phase} | {fmt(statistics.median(values))} | "
                     f"{fmt(min(values))}–{fmt(max(values))} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(prog=f"python -m {__spec__.name}" if __spec__ else None,
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="new processes to time (default 5)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("argv", nargs=argparse.REMAINDER, help="-- and imgcli's arguments")
    args = ap.parse_args()
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        ap.error("give imgcli's arguments after --")
    if args.child:
        return child(argv)
    runs = [run_once(argv) for _ in range(args.runs)]
    print(f"`imgcli {' '.join(argv)}`, {args.runs} runs, {os.cpu_count()} cores:\n")
    print(table(runs, lambda s: f"{s * 1000:.0f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
