"""Image data on the local real Glance: imgcli against openstack, glance, curl and sha512.

Downloads (`imgcli image save`, `openstack image save`, `glance image-download`, `curl -o`)
and uploads (`imgcli image create --file`, `openstack image create --file`, `glance
image-create --file`, `curl -T`) of one pseudo-random raw image, with the hash alone
(Python's hashlib and `sha512sum` over the same file) as the other bound of a download. Every
tool is a fresh process, started by run.py's Launcher (peak RSS from wait4), in a new random
order each round. A run counts only if its result is proven: the file a download wrote hashes
to the image's os_hash_value and has its size; the image an upload made is active and Glance's
sha512 and size of it are the file's. Anything else is a failed run, in no figure.

    python -m benchmarks.data --size-mib 256 --runs 5    # devcloud is started if it is down

Every image it makes is named bench-data-<tag>-..., hidden where the tool allows it (the
others right after the run), and deleted after its run; the source image at the end.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import http.client
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import run
from benchmarks.run import Launcher, Outcome, Row, Sample, judge, median_wall

ROOT = Path(__file__).resolve().parents[1]

DOWNLOAD, HASH, UPLOAD = "download", "hash", "upload"
PREFIX = "bench-data-"  # every image this benchmark makes; nobody else's
MIB = 1 << 20
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
MEMORY_CAP_MIB = 64  # the targets, checked in targets()
SAVE_BOUND, SAVE_VS_OPENSTACK, UPLOAD_VS_CURL = 1.3, 2.5, 1.2

# sha512 as imgcli does it: 1 MiB blocks read into one buffer (no braces: argv is filled in).
HASHLIB = ("import hashlib, sys\n"
           "h, b = hashlib.sha512(), bytearray(1 << 20)\n"
           "v, f = memoryview(b), open(sys.argv[1], 'rb', buffering=0)\n"
           "while n := f.readinto(b):\n"
           "    h.update(v[:n])\n"
           "print(h.hexdigest())\n")


@dataclass(frozen=True)
class Contender:
    """One row: a command line with {placeholders} (filled in by DataBench.values)."""

    tool: str  # the row's name
    case: str  # DOWNLOAD, HASH or UPLOAD
    argv: tuple[str, ...]
    hides: bool = True  # an upload that cannot make its image hidden is hidden after the run
    precreate: bool = False  # curl -T: the image is created (untimed) and argv PUTs into it
    note: str = ""  # shown in the row's notes when it has figures
    home: str = ""  # HOME and XDG_CACHE_HOME slug: imgcli's save and create share a cache

    @property
    def slug(self) -> str:
        return self.home or re.sub(r"[^a-z0-9]+", "-", self.tool.lower()).strip("-")


def contenders() -> list[Contender]:
    """The issue's rows, on the local cloud."""
    token = ("-H", "X-Auth-Token: {token}")
    return [
        Contender("imgcli", DOWNLOAD, ("{imgcli}", "image", "save", "{id}", "--file", "{out}"),
                  note="warm token cache"),
        Contender("openstack", DOWNLOAD,
                  ("{openstack}", "image", "save", "--file", "{out}", "{id}")),
        Contender("glance", DOWNLOAD, ("{glance}", "--os-image-api-version", "2",
                                       "image-download", "--file", "{out}", "{id}")),
        Contender("curl -o", DOWNLOAD, ("curl", "-sS", "--fail", "-o", "{out}", *token,
                                        "{url}/v2/images/{id}/file"), note="verifies nothing"),
        Contender("sha512 (hashlib)", HASH, ("{python}", "-c", HASHLIB, "{src}"),
                  note="1 MiB reads, as imgcli"),
        Contender("sha512sum", HASH, ("sha512sum", "{src}")),
        Contender("imgcli", UPLOAD, ("{imgcli}", "image", "create", "{name}", "--file", "{src}",
                                     "--disk-format", "raw", "--container-format", "bare"),
                  hides=False),
        Contender("openstack", UPLOAD, ("{openstack}", "image", "create", "{name}", "--file",
                                        "{src}", "--disk-format", "raw",
                                        "--container-format", "bare"), hides=False),
        Contender("glance", UPLOAD, ("{glance}", "--os-image-api-version", "2", "image-create",
                                     "--name", "{name}", "--file", "{src}", "--disk-format",
                                     "raw", "--container-format", "bare", "--hidden", "True")),
        Contender("curl -T", UPLOAD, ("curl", "-sS", "--fail", "-T", "{src}", *token,
                                      "-H", "Content-Type: application/octet-stream",
                                      "{url}/v2/images/{target}/file"), precreate=True,
                  note="verifies nothing; its image made beforehand, untimed"),
    ]


# --- the Image API calls the harness makes itself, all untimed ----------------------------------

class Glance:
    """POST, GET, PATCH, DELETE and PUT of image data, on a new connection each (http.client:
    nothing to import in the runner that the measured tools would share)."""

    # devcloud's Glance is on SQLite, shared with other work: a write can meet "database is
    # locked" (500). The harness's own calls, all but the data PUT, are tried again.
    RETRIES = (0.2, 0.5, 1, 2, 4)

    def __init__(self, endpoint: str, token: Callable[[], str]) -> None:
        parts = urllib.parse.urlsplit(endpoint)
        self.host, self.base = parts.netloc, parts.path.rstrip("/")
        self.token = token

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        for pause in (*self.RETRIES, None):
            status, data = self.request_once(method, path, body, headers)
            if status < 500 or pause is None or hasattr(body, "read"):
                return status, data
            time.sleep(pause)
        raise AssertionError("unreachable")

    def request_once(self, method: str, path: str, body: Any = None,
                     headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, timeout=600, blocksize=MIB)
        try:
            conn.request(method, self.base + path, body=body,
                         headers={"X-Auth-Token": self.token(), **(headers or {})})
            reply = conn.getresponse()
            return reply.status, reply.read()
        finally:
            conn.close()

    def call(self, method: str, path: str, body: Any = None,
             headers: dict[str, str] | None = None) -> Any:
        status, data = self.request(method, path, body, headers)
        if status >= 300:
            raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
        return json.loads(data) if data else None

    def create(self, name: str) -> dict[str, Any]:
        body = {"name": name, "disk_format": "raw", "container_format": "bare",
                "os_hidden": True}
        return self.call("POST", "/v2/images", json.dumps(body),
                         {"Content-Type": "application/json"})

    def put_data(self, image_id: str, path: Path) -> None:
        with open(path, "rb") as f:
            self.call("PUT", f"/v2/images/{image_id}/file", f,
                      {"Content-Type": "application/octet-stream",
                       "Content-Length": str(path.stat().st_size)})

    def get(self, image_id: str) -> dict[str, Any] | None:
        status, data = self.request("GET", f"/v2/images/{image_id}")
        return json.loads(data) if status == 200 else None

    def named(self, name: str) -> list[dict[str, Any]]:
        """Every image with this name, hidden or not."""
        found = []
        for hidden in ("false", "true"):
            query = urllib.parse.urlencode({"name": name, "os_hidden": hidden,
                                            "visibility": "all"})
            found += self.call("GET", f"/v2/images?{query}")["images"]
        return found

    def hide(self, image_id: str) -> None:
        patch = [{"op": "replace", "path": "/os_hidden", "value": True}]
        self.call("PATCH", f"/v2/images/{image_id}", json.dumps(patch),
                  {"Content-Type": "application/openstack-images-v2.1-json-patch"})

    def delete(self, image_id: str) -> None:
        status, data = self.request("DELETE", f"/v2/images/{image_id}")
        if status not in (204, 404):
            raise RuntimeError(f"DELETE image {image_id}: {status} {data[:300]!r}")


# --- what a run must prove ----------------------------------------------------------------------

@dataclass(frozen=True)
class Data:
    """The bytes everything is compared with: the source file, and what Glance holds of it."""

    path: Path
    size: int
    sha512: str
    image_id: str = ""


def sha512_of(path: Path) -> str:
    h, buf = hashlib.sha512(), bytearray(MIB)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()


def write_source(path: Path, size: int, seed: int) -> str:
    """Pseudo-random bytes (incompressible, the same for a seed); returns their sha512."""
    rng, h, left = random.Random(seed), hashlib.sha512(), size
    with open(path, "wb") as f:
        while left:
            block = rng.randbytes(min(MIB, left))
            f.write(block)
            h.update(block)
            left -= len(block)
    return h.hexdigest()


def check_file(path: Path, data: Data) -> str | None:
    """None when the file holds exactly the image's bytes; else what is wrong with it."""
    if not path.is_file():
        return "no file written"
    size = path.stat().st_size
    if size != data.size:
        return f"{size} bytes written, the image has {data.size}"
    if sha512_of(path) != data.sha512:
        return "the bytes written do not hash to the image's os_hash_value"
    return None


def check_digest(stdout: bytes, data: Data) -> str | None:
    words = stdout.split()
    if not words or words[0].decode(errors="replace").lower() != data.sha512:
        return "printed another sha512"
    return None


def check_image(images: list[dict[str, Any]], name: str, data: Data) -> str | None:
    """None when exactly one image has this name and Glance holds the file's bytes in it."""
    if not images:
        return f"no image named {name}"
    if len(images) > 1:
        return f"{len(images)} images named {name}"
    image = images[0]
    if image.get("status") != "active":
        return f"image {image.get('status')}, not active"
    if image.get("size") != data.size:
        return f"Glance stored {image.get('size')} bytes of {data.size}"
    if image.get("os_hash_algo") != "sha512" or image.get("os_hash_value") != data.sha512:
        return "Glance's sha512 of the image is not the file's"
    return None


# --- the runs -----------------------------------------------------------------------------------

@dataclass
class Job:
    """One run of a contender, ready to start: what it needs, how to judge and undo it."""

    argv: list[str]
    check: run.Check
    after: Callable[[], None] = lambda: None  # untimed, before the check (hiding)
    cleanup: Callable[[], None] = lambda: None  # untimed, after the check, always


PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(arg: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), arg)


@dataclass
class DataBench:
    contenders: list[Contender]
    glance: Glance
    data: Data  # image_id set: the source image, active
    root: Path  # scratch: homes, caches, downloads
    env: dict[str, str]  # the cloud's OS_* variables
    exes: dict[str, str]  # {imgcli}, {openstack}, {glance}, {python}: paths
    launcher: Launcher
    tag: str  # in every image name: this run's, nobody else's
    timeout: float = 600
    skipped: dict[tuple[str, str], str] = field(default_factory=dict)  # row: why not run
    rows: dict[tuple[str, str], Row] = field(default_factory=dict)
    load: list[float] = field(default_factory=list)  # 1-minute load average before each run
    names: set[str] = field(default_factory=set)  # every image name handed out
    count: int = 0

    def values(self, **more: str) -> dict[str, str]:
        return {"id": self.data.image_id, "src": str(self.data.path), "token": self.glance.token(),
                "url": f"http://{self.glance.host}{self.glance.base}", **self.exes, **more}

    def tool_env(self, c: Contender, exe: str) -> dict[str, str]:
        home, cache = self.root / "home" / c.slug, self.root / "cache" / c.slug
        home.mkdir(parents=True, exist_ok=True)
        return {"PATH": f"{Path(exe).parent}:{SYSTEM_PATH}", "HOME": str(home),
                "XDG_CACHE_HOME": str(cache), **self.env}

    def job(self, c: Contender) -> Job:
        self.count += 1
        if c.case == DOWNLOAD:
            return self.download_job(c)
        if c.case == HASH:
            argv = [fill(a, self.values()) for a in c.argv]
            return Job(argv, lambda stdout: check_digest(stdout, self.data))
        return self.upload_job(c)

    def download_job(self, c: Contender) -> Job:
        # A folder per run, emptied after it: a partial file left by a failed run must never
        # be resumed by the next one (imgcli resumes what it finds beside the destination).
        folder = self.root / "out" / f"{c.slug}-{self.count}"
        folder.mkdir(parents=True)
        out = folder / "image.raw"
        argv = [fill(a, self.values(out=str(out))) for a in c.argv]
        return Job(argv, lambda _: check_file(out, self.data),
                   cleanup=lambda: shutil.rmtree(folder, ignore_errors=True))

    def upload_job(self, c: Contender) -> Job:
        name = f"{PREFIX}{self.tag}-{c.slug}-{self.count}"
        self.names.add(name)
        target = self.glance.create(name)["id"] if c.precreate else ""
        argv = [fill(a, self.values(name=name, target=target)) for a in c.argv]

        def hide() -> None:
            # openstack and imgcli have no --hidden on create: hide at once, so that other
            # developers' listings on this shared cloud see it for as short a time as can be.
            # A courtesy: if Glance refuses, the image is deleted in a moment anyway.
            try:
                for image in self.glance.named(name):
                    if not image.get("os_hidden"):
                        self.glance.hide(image["id"])
            except (OSError, RuntimeError) as exc:
                print(f"could not hide {name}: {exc}", file=sys.stderr)

        def check(_: bytes) -> str | None:
            try:
                images = self.glance.named(name)
            except (OSError, RuntimeError) as exc:  # unchecked: it does not count
                return f"not checked: {str(exc)[:80]}"
            return check_image(images, name, self.data)

        return Job(argv, check, after=hide if not c.hides else lambda: None,
                   cleanup=lambda: self.delete_named(name))

    def delete_named(self, name: str) -> None:
        """Every image with this name; a failure is said and left to cleanup() at the end."""
        try:
            for image in self.glance.named(name):
                self.glance.delete(image["id"])
        except (OSError, RuntimeError) as exc:
            print(f"could not delete images named {name} yet: {exc}", file=sys.stderr)

    def once(self, c: Contender, record: bool = True) -> str | None:
        """Run the contender once; its failure, or None. Untimed checks and cleanup."""
        job = self.job(c)
        try:
            self.load.append(os.getloadavg()[0])
            outcome: Outcome = self.launcher.run(job.argv, self.tool_env(c, job.argv[0]),
                                                 self.timeout)
            job.after()
            failure = judge(outcome, job.check)
        finally:
            job.cleanup()
        if record:
            row = self.rows.setdefault((c.tool, c.case), Row(c.tool, c.case, None, ""))
            row.samples.append(Sample(outcome.wall, outcome.rss_mib, 0, failure))
        print(f"  {c.tool:18} {c.case:8} {outcome.wall:7.2f}s {outcome.rss_mib:5.0f} MiB "
              f"{'(warm-up) ' if not record else ''}"
              f"{'ok' if failure is None else 'FAILED: ' + failure}",
              file=sys.stderr, flush=True)
        return failure

    def plan(self) -> list[Contender]:
        for c in self.contenders:
            if (c.tool, c.case) in self.skipped:
                self.rows[c.tool, c.case] = Row(c.tool, c.case, None, "",
                                                skipped=self.skipped[c.tool, c.case])
        return [c for c in self.contenders if (c.tool, c.case) not in self.skipped]

    def run(self, runs: int, rng: random.Random, warm_up: bool = True) -> None:
        plan = self.plan()
        if warm_up:
            # One discarded run each: page cache for every tool's files and the image's, and
            # imgcli's token cache filled ("warm": the second command of the day).
            for c in plan:
                self.once(c, record=False)
        for c in run.shuffled_rounds(plan, runs, rng):
            self.once(c)

    def cleanup(self) -> None:
        """Whatever is left of every name handed out (a crash between run and cleanup, a
        DELETE Glance refused)."""
        for name in sorted(self.names):
            self.delete_named(name)


# --- the table ----------------------------------------------------------------------------------

Key = tuple[str, str]  # (tool, case)
CASE_ORDER = [DOWNLOAD, HASH, UPLOAD]
TOOL_ORDER = ["imgcli", "openstack", "glance", "curl -o", "curl -T", "sha512 (hashlib)",
              "sha512sum"]
CURL_O, CURL_T = ("curl -o", DOWNLOAD), ("curl -T", UPLOAD)
HASHLIB_ROW = ("sha512 (hashlib)", HASH)
RATIOS = ["× curl", "× max(curl, sha512)", "× openstack"]
HEADINGS = ["tool", "case", "size", "median (s)", "min–max (s)", *RATIOS,
            "peak RSS (MiB, max)", "notes"]


def references(case: str) -> list[tuple[Key, ...]]:
    """For each ratio column, the rows a row of this case is divided by (() = not shown)."""
    if case == DOWNLOAD:
        return [(CURL_O,), (CURL_O, HASHLIB_ROW), (("openstack", DOWNLOAD),)]
    if case == UPLOAD:
        return [(CURL_T,), (), (("openstack", UPLOAD),)]
    return [(), (), ()]


def without_figure(rows: dict[Key, Row], keys: tuple[Key, ...]) -> str:
    """Which of these rows have no valid median, and why: "curl -o: 1 of 5 failed"."""
    why = []
    for key in keys:
        row = rows.get(key)
        if row is None or not row.samples:
            why.append(f"{key[0]} {key[1]}: not run")
        elif failed := run.failed_cells(row):
            why.append(f"{key[0]} {key[1]}: {failed[0]}")
    return ", ".join(why)


def ratio_of(rows: dict[Key, Row], key: Key, *bases: Key) -> float | None:
    """run.ratio of these rows; None when one is missing or has a failed run."""
    row = rows.get(key)
    return run.ratio(row, *(rows.get(b) for b in bases)) if row and bases else None


def rss_cell(row: Row, floor: float) -> str:
    """The highest peak RSS; at the launcher's floor the tool's own is hidden below it."""
    rss = max(s.rss_mib for s in row.samples)
    return f"≤ {floor:.0f}" if rss <= floor + 0.5 else f"{rss:.0f}"


def data_cells(row: Row, rows: dict[Key, Row], size: str, note: str = "",
               floor: float = 0) -> list[str]:
    """A row's cells: figures only when every run of it counts (run.failed_cells' rule)."""
    ident = [row.tool, row.case, size]
    if not row.samples:
        return [*ident, "–", "–", "–", "–", "–", "–", row.skipped]
    if failed := run.failed_cells(row):
        return [*ident, failed[0], "–", "–", "–", "–", "–", failed[1]]
    med = median_wall(row)
    assert med is not None
    walls = [s.wall for s in row.samples]
    ratios, notes = [], [note] if note else []
    for keys in references(row.case):
        if not keys:
            ratios.append("")
            continue
        q = ratio_of(rows, (row.tool, row.case), *keys)
        ratios.append("n/a" if q is None else f"{q:.2f}×")
        if q is None:
            notes.append(f"no ratio: {without_figure(rows, keys)}")
    return [*ident, f"{med:.2f}", f"{min(walls):.2f}–{max(walls):.2f}", *ratios,
            rss_cell(row, floor), "; ".join(dict.fromkeys(notes))]


def render_table(rows: dict[Key, Row], size: str, notes: dict[Key, str],
                 floor: float = 0) -> list[str]:
    def order(key: Key) -> tuple[int, int]:
        return run._rank(key[1], CASE_ORDER), run._rank(key[0], TOOL_ORDER)

    lines = ["| " + " | ".join(HEADINGS) + " |", "|---|---|--:|--:|--:|--:|--:|--:|--:|---|"]
    for key in sorted(rows, key=order):
        cells = data_cells(rows[key], rows, size, notes.get(key, ""), floor)
        lines.append("| " + " | ".join(map(run._cell, cells)) + " |")
    return lines


def _verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def no_figure(rows: dict[Key, Row], keys: tuple[Key, ...]) -> str:
    """A target without a figure: not met when a row failed, not measured when one was
    not run (an imgcli without the command, --skip)."""
    failed = any(run.failed_cells(rows[k]) for k in keys if k in rows)
    return (f"no figure ({without_figure(rows, keys)}) — "
            + ("**not met**" if failed else "not measured"))


def targets(rows: dict[Key, Row]) -> list[str]:
    """The issue's targets, each with the value measured and met / not met; a target whose
    rows have no valid figure is not met, and says which row failed."""
    save, upload = ("imgcli", DOWNLOAD), ("imgcli", UPLOAD)
    lines = []
    for key, what in ((save, "save"), (upload, "upload")):
        row = rows.get(key)
        if row is None or not row.valid:
            lines.append(f"- Memory, {what}: peak RSS ≤ {MEMORY_CAP_MIB} MiB: "
                         + no_figure(rows, (key,)))
            continue
        peak = max(s.rss_mib for s in row.samples)
        lines.append(f"- Memory, {what}: peak RSS ≤ {MEMORY_CAP_MIB} MiB: {peak:.0f} MiB "
                     f"(highest of {len(row.samples)} run{'s' if len(row.samples) > 1 else ''}) — "
                     f"{_verdict(peak <= MEMORY_CAP_MIB)}")
    checks = [
        (f"save within {SAVE_BOUND}× of max(curl -o, sha512)", (save, CURL_O, HASHLIB_ROW),
         lambda q: (f"{q:.2f}×", q <= SAVE_BOUND)),
        (f"save at least {SAVE_VS_OPENSTACK}× faster than openstack",
         (save, ("openstack", DOWNLOAD)),
         lambda q: (f"{1 / q:.2f}× faster ({q:.2f}× its time)", 1 / q >= SAVE_VS_OPENSTACK)),
        (f"upload within {UPLOAD_VS_CURL}× of curl -T", (upload, CURL_T),
         lambda q: (f"{q:.2f}×", q <= UPLOAD_VS_CURL)),
    ]
    for what, keys, judge_ratio in checks:
        q = ratio_of(rows, *keys)
        if q is None or q <= 0:
            lines.append(f"- {what}: " + no_figure(rows, keys))
        else:
            shown, ok = judge_ratio(q)
            lines.append(f"- {what}: {shown} — {_verdict(ok)}")
    return lines


# --- the command --------------------------------------------------------------------------------

def tool_version(argv: list[str]) -> str:
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    except OSError:
        return "missing"
    lines = (p.stdout or p.stderr).strip().splitlines()
    return lines[0] if p.returncode == 0 and lines else "?"


def imgcli_not_ready(imgcli: Path | None) -> dict[str, str]:
    """Why imgcli's download or upload row cannot run (its data command is missing)."""
    if imgcli is None:
        return {DOWNLOAD: "imgcli not found", UPLOAD: "imgcli not found"}
    why = {}
    commands = subprocess.run([str(imgcli), "help"], capture_output=True, text=True).stdout
    if "image save" not in commands:
        why[DOWNLOAD] = "this imgcli has no `image save` yet"
    create = subprocess.run([str(imgcli), "image", "create", "--help"], capture_output=True,
                            text=True).stdout
    if "--file" not in create:
        why[UPLOAD] = "this imgcli's `image create` has no --file yet"
    return why


def skips(args: argparse.Namespace, exes: dict[str, str], imgcli_why: dict[str, str],
          plan: list[Contender]) -> dict[Key, str]:
    skipped: dict[Key, str] = {}
    for c in plan:
        exe = fill(c.argv[0], exes)
        if c.tool == "imgcli" and c.case in imgcli_why:
            skipped[c.tool, c.case] = imgcli_why[c.case]
        elif not (Path(exe).exists() or shutil.which(exe)):
            skipped[c.tool, c.case] = f"{exe} not found"
        elif c.tool in args.skip or f"{c.tool}@{c.case}" in args.skip:
            skipped[c.tool, c.case] = "skipped (--skip)"
    return skipped


def header(args: argparse.Namespace, exes: dict[str, str], data: Data, floor: float,
           seed: int) -> list[str]:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "imgcli"],
                           capture_output=True, text=True).stdout.strip()
    # The imgcli measured may not be this tree's (--imgcli): --note says where it came from.
    tree = f"tree at {commit}" + (", imgcli/ with uncommitted changes" if dirty else "")
    return [
        f"## Image data, {args.size_mib} MiB, {now}",
        "",
        f"Machine: {platform.platform()}, {run.cpu_model()}, {os.cpu_count()} cores; "
        f"{tree}; Python {platform.python_version()}."
        + (f" {args.note}" if args.note else ""),
        f"Tools: {tool_version([exes['imgcli'], '--version'])} ({exes['imgcli']}); "
        f"openstack {tool_version([exes['openstack'], '--version']).split()[-1]}; "
        f"glance {tool_version([exes['glance'], '--version'])}; "
        f"{' '.join(tool_version(['curl', '--version']).split()[:2])}; "
        f"{tool_version(['sha512sum', '--version'])}.",
        f"Server: devcloud's real Keystone and Glance on 127.0.0.1 (file store, same disk, "
        f"same 2 cores as the clients). Image: {data.size // MIB} MiB of pseudo-random bytes "
        f"(`--data-seed {args.data_seed}`), raw/bare, sha512 {data.sha512[:16]}….",
        f"{args.runs} run{'s' if args.runs != 1 else ''} per row after one discarded warm-up "
        "run each, the tools in a new "
        f"random order each round (`--seed {seed}` repeats it); wall time from process start "
        "to exit; peak RSS is the child's ru_maxrss (highest of the runs; a child inherits "
        f"the launcher's {floor:.0f} MiB as a floor).",
        "A download counts only if the file it wrote has the image's size and sha512 "
        "(os_hash_value); an upload only if its image is then active with Glance's sha512 and "
        "size of the file; a hash only if it prints the right sha512. A row with any other "
        "run shows \"N of M failed\" and no figure; a ratio needs both rows valid.",
        "imgcli save runs with a token cache filled by the warm-up; curl gets a token in its "
        "argv. curl -T uploads into an image created beforehand (the POST is untimed). "
        "openstack and imgcli cannot create a hidden image, so the harness hides theirs "
        "right after the run (untimed).",
    ]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog=f"python -m {__spec__.name}" if __spec__ else None,
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--size-mib", type=int, default=256, help="image size (default 256)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per row (default 5)")
    ap.add_argument("--imgcli", type=Path, help="imgcli executable (default: beside python)")
    ap.add_argument("--ref-bin", type=Path,
                    help="bin dir with openstack and glance (default: devcloud's clients venv)")
    ap.add_argument("--skip", action="append", default=[], metavar="TOOL[@CASE]",
                    help="e.g. openstack, glance@upload, 'curl -T'")
    ap.add_argument("--work", type=Path, help="scratch folder (default: a new temporary one)")
    ap.add_argument("--timeout", type=float, default=600, help="per-run kill timeout (s)")
    ap.add_argument("--seed", type=int, default=None, help="seed of the run order")
    ap.add_argument("--data-seed", type=int, default=12, help="seed of the image's bytes")
    ap.add_argument("--out", type=Path, help="also write the Markdown here")
    ap.add_argument("--note", default="", help="a sentence for the header, e.g. where the "
                    "imgcli measured was installed from")
    args = ap.parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 32)
    return args


class Token:
    """devcloud's admin token, renewed every 20 minutes (Keystone's last an hour)."""

    def __init__(self, new: Callable[[], str]) -> None:
        self.new, self.value, self.since = new, "", 0.0

    def __call__(self) -> str:
        if time.monotonic() - self.since > 1200:
            self.value, self.since = self.new(), time.monotonic()
        return self.value


def upload_source(glance: Glance, path: Path, sha512: str, tag: str) -> str:
    """The image every download reads: made once, checked as a download will be."""
    image_id = glance.create(f"{PREFIX}{tag}-source")["id"]
    glance.put_data(image_id, path)
    image = glance.get(image_id) or {}
    fault = check_image([image], image.get("name", "?"),
                        Data(path, path.stat().st_size, sha512))
    if fault:
        raise RuntimeError(f"the source image {image_id} is not the file: {fault}")
    return image_id


def launcher_floor(launcher: Launcher) -> float:
    """The RSS every child reports at least: Linux carries the forking process's peak over."""
    return launcher.run(["/bin/true"], {"PATH": SYSTEM_PATH}, 30).rss_mib


def measure(args: argparse.Namespace, bench: DataBench, floor: float) -> str:
    bench.run(args.runs, random.Random(args.seed))
    notes = {(c.tool, c.case): c.note for c in bench.contenders if c.note}
    size = f"{args.size_mib} MiB"
    loads = bench.load or [os.getloadavg()[0]]
    return "\n".join([
        f"Load average (1 min) before each run: {min(loads):.1f}–{max(loads):.1f}, median "
        f"{sorted(loads)[len(loads) // 2]:.1f} (2 cores shared with other work: noisy).",
        "", *render_table(bench.rows, size, notes, floor), "", "Targets (issue #12):", "",
        *targets(bench.rows)]) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from devcloud import cloud as devcloud  # only here: the tests need no cloud

    if not devcloud.status():
        devcloud.up()
    ref = args.ref_bin or devcloud.clients()
    imgcli = run.find_imgcli(args.imgcli)
    exes = {"imgcli": str(imgcli or "imgcli"), "openstack": str(ref / "openstack"),
            "glance": str(ref / "glance"), "python": sys.executable}
    tag = f"{time.strftime('%H%M%S')}-{random.SystemRandom().randrange(1 << 16):04x}"
    work = args.work or Path(tempfile.mkdtemp(prefix="imgcli-bench-data-"))
    work.mkdir(parents=True, exist_ok=True)
    glance = Glance(devcloud.glance_url(), Token(lambda: devcloud.token("admin")))
    launcher = Launcher(work)
    source, image_id = work / "source.raw", ""
    bench: DataBench | None = None
    try:
        print(f"writing {args.size_mib} MiB to {source}", file=sys.stderr, flush=True)
        sha512 = write_source(source, args.size_mib * MIB, args.data_seed)
        image_id = upload_source(glance, source, sha512, tag)
        data = Data(source, args.size_mib * MIB, sha512, image_id)
        bench = DataBench(contenders(), glance, data, work, devcloud.env("admin"), exes,
                          launcher, tag, args.timeout)
        bench.skipped = skips(args, exes, imgcli_not_ready(imgcli), bench.contenders)
        floor = launcher_floor(launcher)
        top = header(args, exes, data, floor, args.seed)
        text = "\n".join(top) + "\n\n" + measure(args, bench, floor)
    finally:
        launcher.close()
        if bench is not None:
            bench.cleanup()
        if image_id:
            glance.delete(image_id)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    sys.stdout.write(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
