"""The venvs: Keystone + Glance (servers) and openstackclient (reference clients)."""

from __future__ import annotations

import hashlib
import shlex
import subprocess
import sys
import time
from pathlib import Path

from devcloud.common import DEVCLOUD_DIR, DevcloudError, dirs, home, locked, log

STAMP = ".devcloud-requirements.sha256"


def run(cmd: list[str], logname: str) -> None:
    """Run a setup command, output to a log; show its tail if it fails."""
    logfile = dirs()["logs"] / logname
    with logfile.open("ab") as f:
        f.write(f"\n$ {shlex.join(cmd)}\n".encode())
        f.flush()
        rc = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if rc:
        tail = logfile.read_text(errors="replace").splitlines()[-25:]
        raise DevcloudError(
            f"{shlex.join(cmd)} failed ({rc}); end of {logfile}:\n" + "\n".join(tail)
        )


def ensure_venv(venv: Path, requirements: Path, what: str) -> Path:
    """Create venv and install requirements unless the stamp says it is current."""
    stamp = venv / STAMP
    digest = hashlib.sha256(requirements.read_bytes() + sys.version.encode()).hexdigest()
    python = venv / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return venv / "bin"
    if not python.exists():
        log(f"creating venv {venv}")
        subprocess.check_call([sys.executable, "-m", "venv", str(venv)])
    log(f"installing {what} into {venv} (first run: a few minutes; log in {home() / 'logs'})")
    t0 = time.monotonic()
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
    run([*pip, "-r", str(requirements)], f"pip-{venv.name}.log")
    stamp.write_text(digest + "\n")
    log(f"installed {what} in {time.monotonic() - t0:.0f}s")
    return venv / "bin"


def servers() -> Path:
    """bin/ of the Keystone + Glance + gunicorn venv. Call with the lock held."""
    return ensure_venv(home() / "venv", DEVCLOUD_DIR / "requirements.txt", "Keystone/Glance")


def clients() -> Path:
    """Venv with python-openstackclient and python-glanceclient; returns its bin/."""
    with locked():
        return ensure_venv(
            home() / "clients",
            DEVCLOUD_DIR / "clients-requirements.txt",
            "openstack/glance clients",
        )
