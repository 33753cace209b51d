"""`image create --decompress` of an .xz against its two bounds, on devcloud's real Glance.

Issue #22's target: creating from a 256 MiB `.xz` within 1.2x of the larger of (`xz -d` of
the file to /dev/null, imgcli's upload of the decompressed file), since decompression runs
beside the upload rather than before it. Three rows, each run a fresh process, in a new
random order each round:

    xz -d          xz -dc F.xz > /dev/null                               (decompression alone)
    imgcli raw     imgcli image create N --file F                        (the upload alone)
    imgcli xz      imgcli image create N --file F.xz --decompress        (both, in one pass)

An imgcli run counts only if its image is then active with the decompressed file's sha512
and size; every image is deleted after its run. The image is 256 MiB shaped like a disk:
1 MiB blocks of random bytes (35%), zeros (25%) and words (40%), compressed once with
`xz -T0 -3` (kept in --work between runs).

    python -m benchmarks.decompress --size-mib 256 --runs 5

A module of its own, not a case of benchmarks/data.py: that module is past the 400 lines a
module may have, and this case needs none of its comparisons with other clients.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIB = 1 << 20
TARGET = 1.2
ROWS = ("xz -d", "imgcli raw", "imgcli xz")


def write_image(path: Path, size_mib: int, seed: int) -> str:
    """A disk-like file; its sha512."""
    rng = random.Random(seed)
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
             for _ in range(5000)]
    digest = hashlib.sha512()
    with path.open("wb") as out:
        for _ in range(size_mib):
            kind = rng.random()
            if kind < 0.35:
                block = rng.randbytes(MIB)
            elif kind < 0.6:
                block = bytes(MIB)
            else:
                block = b" ".join(rng.choice(words) for _ in range(MIB // 5))[:MIB]
                block = block.ljust(MIB, b"\n")
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def prepare(work: Path, size_mib: int, seed: int) -> tuple[Path, Path, str]:
    raw, packed = work / f"disk-{size_mib}.raw", work / f"disk-{size_mib}.raw.xz"
    stamp = work / f"disk-{size_mib}.sha512"
    if not (raw.exists() and packed.exists() and stamp.exists()):
        print(f"writing {size_mib} MiB and compressing it (xz -T0 -3)", file=sys.stderr)
        stamp.write_text(write_image(raw, size_mib, seed))
        with packed.open("wb") as out:
            subprocess.run(["xz", "-T0", "-3", "-c", str(raw)], stdout=out, check=True)
    return raw, packed, stamp.read_text()


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str],
          env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess[bytes]]:
    """Wall seconds, CPU seconds (user + system, the child's and its children's), result."""
    start, cpu = time.perf_counter(), cpu_of_children()
    result = subprocess.run(argv, env=env, capture_output=True)
    return time.perf_counter() - start, cpu_of_children() - cpu, result


def check_image(result: subprocess.CompletedProcess[bytes], size: int, sha512: str) -> str:
    """The image's ID; raises unless it is active with the data's size and hash."""
    if result.returncode != 0:
        raise RuntimeError(f"exit {result.returncode}: {result.stderr.decode().strip()}")
    image = json.loads(result.stdout)
    record = image.get("properties") or {}
    if (image["status"], image["size"], record.get("os_hash_value")) != ("active", size, sha512):
        raise RuntimeError(f"image {image['id']} is not the file: {image}")
    return str(image["id"])


def bench(imgcli: str, env: dict[str, str], raw: Path, packed: Path, sha512: str,
          runs: int, rng: random.Random) -> tuple[dict[str, list[float]],
                                                  dict[str, list[float]]]:
    size = raw.stat().st_size
    argv = {
        "xz -d": ["sh", "-c", f"xz -dc '{packed}' > /dev/null"],
        "imgcli raw": [imgcli, "image", "create", "bench-xz-raw", "--file", str(raw),
                       "-f", "json"],
        "imgcli xz": [imgcli, "image", "create", "bench-xz-xz", "--file", str(packed),
                      "--decompress", "-f", "json"],
    }
    seconds: dict[str, list[float]] = {row: [] for row in ROWS}
    cpu: dict[str, list[float]] = {row: [] for row in ROWS}
    for round_ in range(runs + 1):  # round 0 warms the token cache and the page cache
        order = list(ROWS)
        rng.shuffle(order)
        for row in order:
            took, used, result = timed(argv[row], env)
            if row != "xz -d":
                image_id = check_image(result, size, sha512)
                subprocess.run([imgcli, "image", "delete", image_id], env=env, check=True)
            elif result.returncode != 0:
                raise RuntimeError(f"xz -d failed: {result.stderr.decode()}")
            if round_:
                seconds[row].append(took)
                cpu[row].append(used)
    return seconds, cpu


def table(seconds: dict[str, list[float]], size_mib: int, packed_mib: float,
          cpu: dict[str, list[float]] | None = None) -> str:
    """The rows; `cpu`: the client's CPU seconds (imgcli's, not Glance's) per run."""
    medians = {row: statistics.median(values) for row, values in seconds.items()}
    bound = max(medians["xz -d"], medians["imgcli raw"])
    lines = ["| row | median (s) | min–max (s) | × max(xz -d, imgcli raw) | client CPU (s) |",
             "|---|--:|--:|--:|--:|"]
    for row in ROWS:
        values = seconds[row]
        used = f"{statistics.median(cpu[row]):.2f}" if cpu else ""
        lines.append(f"| {row} | {medians[row]:.2f} | {min(values):.2f}–{max(values):.2f} | "
                     f"{medians[row] / bound:.2f}× | {used} |")
    ratio = medians["imgcli xz"] / bound
    verdict = "met" if ratio <= TARGET else "missed"
    load = os.getloadavg()[0]
    return "\n".join([
        f"{size_mib} MiB image, its .xz {packed_mib:.0f} MiB; {len(seconds['xz -d'])} runs per "
        f"row; load average (1 min) at the end {load:.1f}.", "", *lines, "",
        f"Target: imgcli xz within {TARGET}× of max(xz -d, imgcli raw): {ratio:.2f}× — "
        f"{verdict}", ""])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.decompress",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--size-mib", type=int, default=256)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=None, help="seed of the run order")
    ap.add_argument("--work", type=Path, help="where the files are made and kept "
                    "(default: a new temporary folder)")
    ap.add_argument("--imgcli", default=str(Path(sys.executable).parent / "imgcli"))
    args = ap.parse_args(argv)
    from devcloud import cloud as devcloud  # only here: importing this module needs no cloud

    if not devcloud.status():
        devcloud.up()
    work = args.work or Path(tempfile.mkdtemp(prefix="imgcli-bench-xz-"))
    work.mkdir(parents=True, exist_ok=True)
    raw, packed, sha512 = prepare(work, args.size_mib, 22)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(work),
           "XDG_CACHE_HOME": str(work / "cache"), **devcloud.env("admin")}
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    seconds, cpu = bench(args.imgcli, env, raw, packed, sha512, args.runs, random.Random(seed))
    print(table(seconds, args.size_mib, packed.stat().st_size / MIB, cpu) + f"(--seed {seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
