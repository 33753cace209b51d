"""Images across clouds on the local clouds (issue #21): `imgcli image copy` between devcloud
and devcloud2 against imgcli's upload alone of the same bytes to devcloud2 and against
`openstack image save` followed by `openstack image create`; and `image list` on both clouds
at once against each cloud alone.

    python -m benchmarks.copy --size-mib 256 --runs 5     # devcloud's two clouds must be up

Every tool is a fresh process started by run.py's Launcher (peak RSS from wait4), the cases
in a new random order each round, after one discarded warm-up of each (page cache, token
caches). A run counts only if its result is proven: the image a copy or an upload made on
devcloud2 is active with the source's size and sha512; openstack's saved file too (its image
is then checked the same way); a list's output names every image of each cloud it asked.
Images are named bench-copy-<tag>-..., hidden where the tool allows it (the source, and so
its copies), and deleted right after their run; the source image and the scratch folder
(.bench-copy/ at the repository's root; not /tmp, where stevedore keeps no cache) at the end.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.run import Launcher, Outcome, Row, Sample, judge, median_wall

ROOT = Path(__file__).resolve().parents[1]
MIB = 1 << 20
SOURCE, TARGET = "devcloud", "devcloud2"
COPY_VS_UPLOAD, COPY_VS_OPENSTACK, LIST_VS_SLOWER, RSS_CAP = 1.25, 2.0, 1.3, 64.0


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]  # {placeholders} filled in per run
    check: str  # "image", "saved+image", "list"
    note: str = ""


def cases(openstack: str | None) -> list[Case]:
    imgcli = "{imgcli}"
    found = [
        Case("imgcli image copy", (imgcli, "--os-cloud", SOURCE, "image", "copy", "{source}",
                                   "--to-cloud", TARGET, "--name", "{name}", "-f", "value",
                                   "-c", "id"), "image", "stream: one pass, no file"),
        Case("imgcli image create (upload alone)",
             (imgcli, "--os-cloud", TARGET, "image", "create", "{name}", "--file", "{file}",
              "--disk-format", "raw", "--container-format", "bare", "-f", "value", "-c", "id"),
             "image", "the same bytes, from a local file"),
        Case(f"imgcli image list ({SOURCE})", (imgcli, "--os-cloud", SOURCE, "image", "list",
                                               "-f", "value", "-c", "ID"), "list"),
        Case(f"imgcli image list ({TARGET})", (imgcli, "--os-cloud", TARGET, "image", "list",
                                               "-f", "value", "-c", "ID"), "list"),
        Case("imgcli image list (both)", (imgcli, "--os-cloud", SOURCE, "--os-cloud", TARGET,
                                          "image", "list", "-f", "value", "-c", "ID"), "list"),
    ]
    if openstack:
        script = (f'"$1" --os-cloud {SOURCE} image save --file "$2" "$3" && '
                  f'"$1" --os-cloud {TARGET} image create "$4" --file "$2" --disk-format raw '
                  '--container-format bare -f value -c id')
        found.append(Case("openstack image save + image create",
                          ("sh", "-c", script, "sh", openstack, "{saved}", "{source}",
                           "{name}"), "saved+image", "two processes, the image in a file between"))
    return found


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.scratch = ROOT / ".bench-copy"
        self.scratch.mkdir(exist_ok=True)
        self.imgcli = args.imgcli or str(Path(sys.executable).with_name("imgcli"))
        self.env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.scratch / "home"),
                    "XDG_CACHE_HOME": str(self.scratch / "cache"),
                    "OS_CLIENT_CONFIG_FILE": args.clouds_yaml}
        self.file = self.scratch / "source.img"
        self.tag = f"{os.getpid()}"
        self.count = 0
        self.rows: dict[str, Row] = {}
        self.listed: dict[str, set[str]] = {}

    def imgcli_json(self, *argv: str) -> object:
        out = subprocess.run([self.imgcli, *argv, "-f", "json"], env=self.env, check=True,
                             capture_output=True, text=True).stdout
        return json.loads(out)

    def quiet(self, *argv: str) -> None:
        subprocess.run([self.imgcli, *argv], env=self.env, check=False, capture_output=True)

    def prepare(self) -> None:
        rng = random.Random(self.args.seed)
        digest = hashlib.sha512()
        with open(self.file, "wb") as out:
            for _ in range(self.args.size_mib):
                block = rng.randbytes(MIB)
                digest.update(block)
                out.write(block)
        self.sha512, self.size = digest.hexdigest(), self.args.size_mib * MIB
        made = self.imgcli_json("--os-cloud", SOURCE, "image", "create",
                                f"bench-copy-{self.tag}-source", "--file", str(self.file),
                                "--disk-format", "raw", "--container-format", "bare")
        self.source = str(made["id"])  # type: ignore[index]
        # Hidden: other work's exact listings of the shared cloud must not see it; its
        # copies inherit os_hidden (an attribute image copy keeps).
        self.quiet("--os-cloud", SOURCE, "image", "set", "--hidden", self.source)
        for cloud in (SOURCE, TARGET):
            listing = self.imgcli_json("--os-cloud", cloud, "image", "list")
            self.listed[cloud] = {str(row["ID"]) for row in listing}  # type: ignore[union-attr]

    def check_image(self, image_id: str) -> str | None:
        try:
            shown = self.imgcli_json("--os-cloud", TARGET, "image", "show", image_id)
        except subprocess.CalledProcessError as exc:
            return f"image show failed: {exc.stderr.strip()[:80]}"
        props = shown.get("properties", {})  # type: ignore[union-attr]
        got = (shown.get("status"), shown.get("size"), props.get("os_hash_value"))  # type: ignore[union-attr]
        return None if got == ("active", self.size, self.sha512) else f"target image: {got}"

    def judge(self, case: Case, outcome: Outcome, saved: Path) -> str | None:
        def proven(stdout: bytes) -> str | None:
            text = stdout.decode().split()
            if case.check == "list":
                want = set().union(*(self.listed[c] for c in (SOURCE, TARGET)
                                     if f"--os-cloud {c} " in " ".join(case.argv) + " "))
                return None if want <= set(text) else "an image is missing from the list"
            if not text:
                return "no image ID printed"
            image_id = text[-1]
            why = self.check_image(image_id)
            self.quiet("--os-cloud", TARGET, "image", "delete", image_id)
            if case.check == "saved+image" and why is None:
                if not saved.exists() or saved.stat().st_size != self.size:
                    return "the saved file is not the image"
            return why

        return judge(outcome, proven)

    def one(self, launcher: Launcher, case: Case, keep: bool) -> None:
        self.count += 1
        saved = self.scratch / "saved.img"
        values = {"imgcli": self.imgcli, "source": self.source, "file": str(self.file),
                  "name": f"bench-copy-{self.tag}-{self.count}", "saved": str(saved)}
        argv = [part.format(**values) for part in case.argv]
        outcome = launcher.run(argv, self.env, self.args.timeout)
        failure = self.judge(case, outcome, saved)
        saved.unlink(missing_ok=True)
        if keep:
            row = self.rows.setdefault(case.name, Row(case.name, case.check, None, "table"))
            row.samples.append(Sample(outcome.wall, outcome.rss_mib, 0, failure))
        print(f"  {case.name}: {outcome.wall:.2f} s, {outcome.rss_mib:.0f} MiB"
              + (f" ({failure})" if failure else ""), file=sys.stderr)

    def measure(self, plan: list[Case]) -> None:
        launcher = Launcher(self.scratch)
        rng = random.Random(self.args.seed)
        try:
            for case in plan:  # warm-up: page cache, token caches, stevedore's cache
                self.one(launcher, case, keep=False)
            for number in range(self.args.runs):
                print(f"round {number + 1} of {self.args.runs}", file=sys.stderr)
                for case in rng.sample(plan, len(plan)):
                    self.one(launcher, case, keep=True)
        finally:
            launcher.close()

    def clean(self) -> None:
        if getattr(self, "source", None):
            self.quiet("--os-cloud", SOURCE, "image", "delete", self.source)
        shutil.rmtree(self.scratch, ignore_errors=True)


def cell(row: Row | None, what: Callable[[Row], str]) -> str:
    if row is None or not row.samples:
        return "not run"
    if not row.valid:
        failed = sum(1 for s in row.samples if not s.ok)
        return f"no figure ({failed} of {len(row.samples)} runs failed)"
    return what(row)


def ratio(rows: dict[str, Row], one: str, *others: str) -> float | None:
    mine = median_wall(rows[one]) if one in rows else None
    theirs = [median_wall(rows[o]) if o in rows else None for o in others]
    if mine is None or not theirs or any(t is None for t in theirs):
        return None
    return mine / max(t for t in theirs if t is not None)


def table(bench: Bench, plan: list[Case]) -> str:
    rows = bench.rows
    lines = ["| case | median s | min–max s | peak RSS MiB | note |", "|---|---|---|---|---|"]
    for case in plan:
        row = rows.get(case.name)
        walls = cell(row, lambda r: f"{median_wall(r):.2f}")
        spread = cell(row, lambda r: f"{min(s.wall for s in r.samples):.2f}–"
                                     f"{max(s.wall for s in r.samples):.2f}")
        rss = cell(row, lambda r: f"{max(s.rss_mib for s in r.samples):.0f}")
        lines.append(f"| {case.name} | {walls} | {spread} | {rss} | {case.note} |")
    copy, upload = "imgcli image copy", "imgcli image create (upload alone)"
    osc = "openstack image save + image create"
    both = "imgcli image list (both)"
    alone = (f"imgcli image list ({SOURCE})", f"imgcli image list ({TARGET})")
    checks = [
        (f"copy / upload alone ≤ {COPY_VS_UPLOAD}", ratio(rows, copy, upload),
         lambda r: r <= COPY_VS_UPLOAD),
        (f"openstack / copy ≥ {COPY_VS_OPENSTACK}",
         (1 / r) if (r := ratio(rows, copy, osc)) else None, lambda r: r >= COPY_VS_OPENSTACK),
        (f"list of both / slower alone ≤ {LIST_VS_SLOWER}", ratio(rows, both, *alone),
         lambda r: r <= LIST_VS_SLOWER),
    ]
    lines += ["", "| target | figure | met |", "|---|---|---|"]
    for name, figure, test in checks:
        met = "no figure" if figure is None else ("yes" if test(figure) else "**no**")
        lines.append(f"| {name} | {'' if figure is None else f'{figure:.2f}'} | {met} |")
    peak = cell(rows.get(copy), lambda r: f"{max(s.rss_mib for s in r.samples):.0f}")
    met = "yes" if peak.isdigit() and float(peak) <= RSS_CAP else "**no**"
    lines.append(f"| copy's peak RSS ≤ {RSS_CAP:.0f} MiB | {peak} | {met} |")
    return "\n".join(lines)


def header(bench: Bench) -> str:
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{bench.args.size_mib} MiB, {bench.args.runs} runs (medians), {when}, "
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"{os.cpu_count()} CPUs, load average before: {load}; seed {bench.args.seed}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mib", type=int, default=256)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--imgcli", help="imgcli executable (default: the one beside python)")
    ap.add_argument("--openstack", help="openstack executable (default: devcloud's clients)")
    ap.add_argument("--no-openstack", action="store_true")
    ap.add_argument("--clouds-yaml", default=str(ROOT / ".devcloud" / "clouds.yaml"))
    ap.add_argument("--out", help="also write the table to this file")
    return ap.parse_args(argv)


def openstack_exe(args: argparse.Namespace) -> str | None:
    if args.no_openstack:
        return None
    if args.openstack:
        return args.openstack
    found = subprocess.run([sys.executable, str(ROOT / "devcloud" / "cloud.py"), "clients"],
                           capture_output=True, text=True)
    return str(Path(found.stdout.strip()) / "openstack") if found.returncode == 0 else None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bench = Bench(args)
    plan = cases(openstack_exe(args))
    first = header(bench)
    try:
        print("preparing the source image", file=sys.stderr)
        bench.prepare()
        bench.measure(plan)
    finally:
        bench.clean()
    text = f"{first}\n\n{table(bench, plan)}\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
