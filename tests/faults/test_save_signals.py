"""`image save` interrupted by SIGTERM, SIGHUP or SIGINT, as a real process against the
loopback Glance: exit 128 + the signal, the destination exactly as it was, the partial file
kept beside it and named in one line with the command that resumes, and that command,
run as printed, finishing the download from where it stopped."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakecloud.data import LoopbackGlance

DATA = os.urandom(3 << 20) + b"end"  # 3 MiB and a bit
STOP = 1 << 20  # the server stalls after this many bytes of the body
TOKEN = "fake-token-for-signals"


@pytest.fixture
def glance() -> Iterator[LoopbackGlance]:
    with LoopbackGlance() as model:
        yield model


def env(home: Path, **extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home),
            "XDG_CACHE_HOME": str(home / "cache"), "XDG_CONFIG_HOME": str(home / "config"),
            "PYTHONFAULTHANDLER": "1", **extra}


def start_save(model: LoopbackGlance, home: Path, *args: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "imgcli", "--os-token", TOKEN, "--os-endpoint",
            model.endpoint, "--timeout", "20", "image", "save", *args]
    return subprocess.Popen(argv, env=env(home), cwd=home, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def parts(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.endswith(".part"))


def wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + 20
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def finish(proc: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """Its output once it has exited; if it hangs, its threads' stacks (faulthandler, on
    SIGABRT) in the failure."""
    try:
        return proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        out, err = proc.communicate(timeout=20)
        raise AssertionError(f"imgcli did not exit after the signal:\n{err.decode()}") from None


def one_line(err: bytes) -> str:
    text = err.decode()
    assert text.count("\n") == 1 and "Traceback" not in text, text
    return text.rstrip("\n")


def run_printed(command: str, home: Path) -> subprocess.CompletedProcess[bytes]:
    """The printed command, as a user would paste it: `imgcli` is this checkout's, and the
    token comes from the environment (the line never carries a secret)."""
    words = shlex.split(command)
    assert words[0] == "imgcli"
    return subprocess.run([sys.executable, "-m", "imgcli", *words[1:]],
                          env=env(home, OS_TOKEN=TOKEN), cwd=home, stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=90)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT],
                         ids=["SIGTERM", "SIGHUP", "SIGINT"])
@pytest.mark.parametrize("existing", [b"yesterday's image", None], ids=["existing", "new"])
def test_a_signal_mid_body_keeps_the_partial_and_the_printed_command_resumes(
        glance: LoopbackGlance, tmp_path: Path, signum: int, existing: bytes | None) -> None:
    image_id = glance.add(DATA)
    glance.stall_after = STOP
    dest = tmp_path / "new.img"
    if existing is not None:
        dest.write_bytes(existing)
    proc = start_save(glance, tmp_path, image_id, "--file", str(dest))
    wait_for(lambda: parts(tmp_path) and parts(tmp_path)[0].stat().st_size >= STOP,
             "the download never started")
    proc.send_signal(signum)
    out, err = finish(proc)
    assert proc.returncode == 128 + signum
    assert out == b""
    line = one_line(err)
    [part] = parts(tmp_path)
    kept = part.stat().st_size
    assert kept == STOP and DATA.startswith(part.read_bytes())
    cause = "interrupted" if signum == signal.SIGINT else \
        f"interrupted by {signal.Signals(signum).name}"
    state = f"{dest} is unchanged" if existing is not None else f"{dest} was not created"
    found = re.fullmatch(rf"{re.escape(cause)} after {kept} bytes; {re.escape(state)}; the "
                         rf"{kept} bytes are kept in {re.escape(str(part))}: resume with `(.+)`",
                         line)
    assert found, line
    assert TOKEN not in line
    assert (dest.read_bytes() if dest.exists() else None) == existing

    glance.stall_after = None
    glance.release.set()
    resumed = run_printed(found.group(1), tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert one_line(resumed.stderr) == (f"resumed from byte {kept} of {len(DATA)} (a partial "
                                        "file an earlier save kept)")
    assert glance.ranges[-1] == f"bytes={kept}-"
    assert dest.read_bytes() == DATA and parts(tmp_path) == []


def test_a_signal_before_any_data_leaves_nothing(glance: LoopbackGlance,
                                                 tmp_path: Path) -> None:
    image_id = glance.add(DATA)
    glance.stall_after = 0  # the answer's headers, then nothing
    dest = tmp_path / "new.img"
    proc = start_save(glance, tmp_path, image_id, "--file", str(dest))
    wait_for(lambda: parts(tmp_path), "the answer never came")
    proc.send_signal(signal.SIGTERM)
    _, err = finish(proc)
    assert proc.returncode == 143
    assert one_line(err) == (f"interrupted by SIGTERM before any image data arrived; {dest} "
                             "was not created")
    assert not dest.exists() and parts(tmp_path) == []


def test_a_signal_while_writing_to_stdout_counts_what_the_reader_got(
        glance: LoopbackGlance, tmp_path: Path) -> None:
    image_id = glance.add(DATA)
    glance.stall_after = STOP
    proc = start_save(glance, tmp_path, image_id)
    assert proc.stdout is not None
    got = b""
    while len(got) < STOP:  # read the pipe as it fills, so that nothing waits in it
        block = os.read(proc.stdout.fileno(), 1 << 16)
        assert block, "the download never started"
        got += block
    proc.send_signal(signal.SIGHUP)
    out, err = finish(proc)
    got += out
    assert proc.returncode == 129
    # The count is exact, or a range when the signal ended a write (whose bytes may be out).
    found = re.fullmatch(r"interrupted by SIGHUP after (\d+)(?: to (\d+))? bytes; what was "
                         r"written to stdout is incomplete", one_line(err))
    assert found, err
    low, high = int(found.group(1)), int(found.group(2) or found.group(1))
    assert low <= len(got) <= high and high - low <= 1 << 20
    assert got == DATA[:STOP]


def test_the_resume_command_keeps_the_cloud_options_but_never_a_secret(
        glance: LoopbackGlance, tmp_path: Path) -> None:
    image_id = glance.add(DATA)
    glance.stall_after = STOP
    dest = tmp_path / "name with spaces.img"
    digest = __import__("hashlib").sha256(DATA).hexdigest()
    proc = start_save(glance, tmp_path, image_id, "--file", str(dest), "--expect-checksum",
                      f"sha256:{digest}")
    wait_for(lambda: parts(tmp_path) and parts(tmp_path)[0].stat().st_size >= STOP,
             "the download never started")
    proc.send_signal(signal.SIGTERM)
    _, err = finish(proc)
    command = one_line(err).split("resume with `", 1)[1].rstrip("`")
    assert shlex.split(command) == [
        "imgcli", "--os-endpoint", glance.endpoint, "--timeout", "20", "image", "save",
        image_id, "--file", str(dest), "--expect-checksum", f"sha256:{digest}"]
    glance.stall_after = None
    glance.release.set()
    assert run_printed(command, tmp_path).returncode == 0
    assert dest.read_bytes() == DATA
