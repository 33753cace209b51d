"""imgcli as a child process against the attacking servers of fakecloud.hostile (for
test_redirects.py and test_error_body.py): its output, time and peak memory (os.wait4), with
or without imgcli.transport's guards; and a test certificate for the https cloud.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own CA), for --os-cacert; made with the openssl
    command, as the venv has no cryptography package."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command to make a test certificate with")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                    "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    return cert, key


# HOSTILE_UNGUARDED=1 runs imgcli without imgcli.transport's guards (Retry-After capping
# kept): every attack test should then fail, which shows it carries the attack out.
UNGUARDED = ("import sys, imgcli.transport as t\n"
             "t.install = lambda session, named: session.hooks['response'].append("
             "t.cap_retry_after)\n"
             "from imgcli.__main__ import main\nsys.exit(main())")


def imgcli_argv(args: list[str]) -> list[str]:
    if os.environ.get("HOSTILE_UNGUARDED"):
        return [sys.executable, "-c", UNGUARDED, *args]
    return [sys.executable, "-m", "imgcli", *args]


@dataclass
class Run:
    returncode: int
    stdout: bytes
    stderr: str
    seconds: float
    peak_rss: int  # bytes: the child's maximum resident set size


# Linux counts the memory a child had before exec in its peak (the parent's pages, shared with
# it until exec): run from the test process (200+ MiB with the whole suite imported), every
# child would look that large. So a small Python starts the child and reports its peak.
MEASURE = ("import os, subprocess, sys\n"
           "child = subprocess.Popen(sys.argv[2:])\n"
           "_, status, usage = os.wait4(child.pid, 0)\n"
           "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
           "code = os.waitstatus_to_exitcode(status)\n"
           "if code < 0:\n"
           "    import signal\n"
           "    signal.signal(-code, signal.SIG_DFL)\n"
           "    os.kill(os.getpid(), -code)\n"
           "sys.exit(code)")


def run(args: list[str], home: Path, env: Mapping[str, str] | None = None,
        timeout: float = 60) -> Run:
    """`python -m imgcli ARGS` in `home`; its output, time and peak memory (the child's
    alone, measured by a small parent; see MEASURE)."""
    environment = {"PATH": os.environ.get("PATH", ""), "HOME": str(home),
                   "XDG_CACHE_HOME": str(home / "cache"),
                   "XDG_CONFIG_HOME": str(home / "config"), **(env or {})}
    out, err, peak = home / "stdout", home / "stderr", home / "peak_rss"
    started = time.monotonic()
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-c", MEASURE, str(peak),
                                 *imgcli_argv(args)], env=environment,
                                cwd=home, stdin=subprocess.DEVNULL, stdout=stdout,
                                stderr=stderr, start_new_session=True)
    with killed_after(proc, timeout):
        proc.wait()
    return Run(proc.returncode, out.read_bytes(), err.read_text(errors="replace"),
               time.monotonic() - started, int(peak.read_text() or 0) * 1024)


@contextmanager
def killed_after(proc: subprocess.Popen[bytes], seconds: float) -> Iterator[None]:
    timer = threading.Timer(seconds, lambda: os.killpg(proc.pid, signal.SIGKILL))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
