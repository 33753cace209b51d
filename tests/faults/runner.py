"""imgcli as a child process against the attacking servers of fakecloud.hostile (for
test_redirects.py and test_error_body.py): its output, time and peak memory (os.wait4), with
or without imgcli.transport's guards; and a test certificate for the https cloud.
"""

from __future__ import annotations

import os
import shutil
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


def run(args: list[str], home: Path, env: Mapping[str, str] | None = None,
        timeout: float = 60) -> Run:
    """`python -m imgcli ARGS` in `home`; its output, time and peak memory (os.wait4, so
    the figure is this child's alone, not the largest of every child the tests ran)."""
    environment = {"PATH": os.environ.get("PATH", ""), "HOME": str(home),
                   "XDG_CACHE_HOME": str(home / "cache"),
                   "XDG_CONFIG_HOME": str(home / "config"), **(env or {})}
    out, err = home / "stdout", home / "stderr"
    started = time.monotonic()
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        proc = subprocess.Popen(imgcli_argv(args), env=environment,
                                cwd=home, stdin=subprocess.DEVNULL, stdout=stdout,
                                stderr=stderr)
    with killed_after(proc, timeout):
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(proc.returncode, out.read_bytes(), err.read_text(errors="replace"),
               time.monotonic() - started, usage.ru_maxrss * 1024)


@contextmanager
def killed_after(proc: subprocess.Popen[bytes], seconds: float) -> Iterator[None]:
    timer = threading.Timer(seconds, proc.kill)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
