"""`image save` interrupted by SIGTERM, SIGHUP and SIGINT during a real download from
devcloud's Glance: exit 128 + the signal, the destination exactly as it was, the partial
file kept and named in one line with the command that resumes, that command (run as
printed, credentials from the environment) finishing the download byte-identical, and the
image untouched in Glance.

To land the signal mid-body on a download that loopback makes fast, imgcli is stopped
(SIGSTOP) once its partial file holds a first MiB, signalled, then continued: the signal
is handled before the rest of the body can arrive. The scratch image is hidden and deleted
at the end.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scratch import ScratchImages

pytestmark = pytest.mark.integration

SIZE = 96 << 20  # bytes: large enough that a stop at the first MiB is mid-body
FIRST = 1 << 20


@pytest.fixture(scope="module")
def data() -> bytes:
    """Made when these tests run, not when pytest collects them: 96 MiB held by the test
    process would count in every child's peak RSS (vfork shares the memory until exec)."""
    return os.urandom(SIZE)


@pytest.fixture(scope="module")
def image(devcloud: Any, data: bytes) -> Iterator[dict[str, Any]]:
    with ScratchImages(devcloud, "it-sig") as scratch:
        yield scratch.image(data)


def env(devcloud: Any, home: Path) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": str(home),
            "XDG_CACHE_HOME": str(home / "cache"), **devcloud.admin_env}


def parts(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.endswith(".part"))


def interrupt(proc: subprocess.Popen[bytes], home: Path, signum: int) -> bytes:
    """Stop imgcli once its partial file holds FIRST bytes, signal it, continue it; its
    stderr."""
    deadline = time.monotonic() + 60
    while not (found := parts(home)) or found[0].stat().st_size < FIRST:
        assert proc.poll() is None, proc.communicate()[1].decode()
        assert time.monotonic() < deadline, "the download never started"
        time.sleep(0.001)
    proc.send_signal(signal.SIGSTOP)
    proc.send_signal(signum)
    proc.send_signal(signal.SIGCONT)
    _, err = proc.communicate(timeout=60)
    return err


@pytest.mark.parametrize("signum, existing", [
    (signal.SIGTERM, b"yesterday's image"), (signal.SIGHUP, None), (signal.SIGINT, None)],
    ids=["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_during_a_real_download_keeps_the_partial_and_resumes(
        devcloud: Any, image: dict[str, Any], data: bytes, tmp_path: Path, signum: int,
        existing: bytes | None) -> None:
    dest = tmp_path / "saved.img"
    if existing is not None:
        dest.write_bytes(existing)
    proc = subprocess.Popen([sys.executable, "-m", "imgcli", "image", "save", image["id"],
                             "--file", str(dest)], env=env(devcloud, tmp_path), cwd=tmp_path,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    err = interrupt(proc, tmp_path, signum).decode()
    assert proc.returncode == 128 + signum, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    [part] = parts(tmp_path)
    kept = part.stat().st_size
    assert FIRST <= kept < SIZE and data.startswith(part.read_bytes())
    cause = "interrupted" if signum == signal.SIGINT else \
        f"interrupted by {signal.Signals(signum).name}"
    state = f"{dest} is unchanged" if existing is not None else f"{dest} was not created"
    found = re.fullmatch(rf"{re.escape(cause)} after {kept} bytes; {re.escape(state)}; the "
                         rf"{kept} bytes are kept in {re.escape(str(part))}: resume with `(.+)`",
                         err.rstrip("\n"))
    assert found, err
    assert devcloud.admin_env["OS_PASSWORD"] not in err
    assert (dest.read_bytes() if dest.exists() else None) == existing

    words = shlex.split(found.group(1))
    assert words[:1] == ["imgcli"] and words[-4:] == ["save", image["id"], "--file", str(dest)]
    resumed = subprocess.run([sys.executable, "-m", "imgcli", *words[1:]],
                             env=env(devcloud, tmp_path), cwd=tmp_path,
                             stdin=subprocess.DEVNULL, capture_output=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr.decode() == (f"resumed from byte {kept} of {SIZE} (a partial "
                                       "file an earlier save kept)\n")
    assert hashlib.sha512(dest.read_bytes()).hexdigest() == image["os_hash_value"]
    assert parts(tmp_path) == []


def test_the_image_is_untouched_in_glance(devcloud: Any, image: dict[str, Any]) -> None:
    """After the interrupted saves (this module's tests run in order): still active, the
    same data."""
    scratch = ScratchImages(devcloud, "it-sig")
    now = scratch.get(image["id"])
    assert (now["status"], now["os_hash_value"], now["size"]) == \
        ("active", image["os_hash_value"], SIZE)
