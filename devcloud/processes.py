"""The servers: gunicorn for each Keystone and Glance, http.server for the files.

Each runs in its own session; its pid is in run/<service>.pid and the
fingerprint of what it was started with (config files, command, wsgi.py,
venv) in run/<service>.started, so `up` can tell a stale server from a
current one.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from devcloud.common import (
    DEVCLOUD_DIR,
    HOST,
    DevcloudError,
    dirs,
    home,
    kind,
    log,
    port,
    port_variable,
    url,
)
from devcloud.config import etc_dir
from devcloud.install import STAMP

# Popen objects of servers started by this process: kept so they are reaped
# (no zombies, no ResourceWarning) when stop() runs in the same process.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def _run_file(service: str, suffix: str) -> Path:
    return home() / "run" / f"{service}.{suffix}"  # no mkdir: status must not create state


def _proc_name(service: str) -> str:
    # gunicorn's --name (shown by setproctitle) ties a pid to this state folder.
    return f"devcloud-{service}@{home()}"


def _command(service: str, bin_dir: Path) -> list[str]:
    p, h = str(port(service)), home()
    if kind(service) == "files":
        # ThreadingHTTPServer; GET and HEAD with Content-Length are all web-download needs.
        # The venv's python, not sys.executable: the command must not depend on
        # which python called up() (pytest's venv, the system's), or up() restarts it.
        return [str(bin_dir / "python"), "-m", "http.server",
                "--bind", HOST, "--directory", str(h / "www"), p]  # fmt: skip
    # Keystone: threads are fine (reads + fernet tokens, in-process cache
    # needs one process). Glance on SQLite: one thread, or concurrent writes
    # fail with "database is locked".
    threads = "4" if kind(service) == "keystone" else "1"
    return [
        str(bin_dir / "gunicorn"),
        "--bind", f"{HOST}:{p}",
        "--workers", "1",
        "--worker-class", "gthread" if kind(service) == "keystone" else "sync",
        "--threads", threads,
        "--timeout", "600",  # big uploads keep a sync worker busy
        "--graceful-timeout", "5",
        "--name", _proc_name(service),
        "--no-control-socket",  # else both share ~/.gunicorn/gunicorn.ctl
        # for wsgi.py; its siblings' names (api, config, ...) clash with no dependency's
        "--pythonpath", str(DEVCLOUD_DIR),
        "--error-logfile", str(h / "logs" / f"{service}-gunicorn.log"),
        "--access-logfile", str(h / "logs" / f"{service}-access.log"),
        "wsgi:application",
    ]  # fmt: skip


def _markers(service: str) -> list[bytes]:
    """Bytes in /proc/<pid>/cmdline that identify our server for this state folder."""
    if kind(service) == "files":
        return [b"http.server", f"--directory\0{home() / 'www'}\0".encode()]
    return [b"gunicorn", _proc_name(service).encode()]


def fingerprint(service: str, bin_dir: Path, config_files: tuple[Path, ...]) -> str:
    """Digest of everything a server reads when it starts."""
    h = hashlib.sha256("\0".join(_command(service, bin_dir)).encode())
    if kind(service) != "files":
        h.update((DEVCLOUD_DIR / "wsgi.py").read_bytes())
        h.update((bin_dir.parent / STAMP).read_bytes())
    for f in config_files:
        h.update(f.read_bytes())
    return h.hexdigest()


def started_with(service: str) -> str | None:
    """The fingerprint a running server was started with (None: unknown, or older devcloud)."""
    try:
        return _run_file(service, "started").read_text().strip()
    except OSError:
        return None


def _alive(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        _CHILDREN.pop(pid)
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def pid(service: str) -> int | None:
    """Pid of our running server for service, else None."""
    try:
        n = int(_run_file(service, "pid").read_text())
    except (OSError, ValueError):
        return None
    if not _alive(n):
        return None
    try:
        cmdline = Path(f"/proc/{n}/cmdline").read_bytes()
    except OSError:
        return None
    # A recycled pid belongs to someone else: never signal it.
    return n if all(m in cmdline for m in _markers(service)) else None


def answers(service: str, timeout: float = 3) -> bool:
    """True when the service answers its root: 300 (version list) or 200 (files)."""
    want = 200 if kind(service) == "files" else 300
    try:
        with urllib.request.urlopen(url(service), timeout=timeout) as r:
            return r.status == want
    except urllib.error.HTTPError as e:
        return e.code == want
    except (OSError, ValueError):
        return False


def _port_taken(p: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((HOST, p)) == 0


def start(service: str, bin_dir: Path, stamp: str) -> None:
    p = port(service)
    if _port_taken(p):
        var = port_variable(service)
        raise DevcloudError(f"{HOST}:{p} is in use by another process; set {var} to another port")
    d = dirs()
    # wsgi.py loads the program (keystone or glance); the config folder makes the server.
    env = dict(
        os.environ,
        DEVCLOUD_SERVICE=kind(service),
        OS_KEYSTONE_CONFIG_DIR=str(etc_dir(service)),
        OS_GLANCE_CONFIG_DIR=str(etc_dir(service)),
    )
    logname = "files.log" if kind(service) == "files" else f"{service}-gunicorn.log"
    with (d["logs"] / logname).open("ab") as out:
        proc = subprocess.Popen(
            _command(service, bin_dir),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=d["home"],
            start_new_session=True,
        )
    _CHILDREN[proc.pid] = proc
    _run_file(service, "pid").write_text(f"{proc.pid}\n")
    _run_file(service, "started").write_text(f"{stamp}\n")
    log(f"{service}: started pid {proc.pid} on {url(service)}")


def wait_ready(service: str, timeout: float = 180, quiet: bool = False) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if answers(service):
            if not quiet:
                log(f"{service}: answering at {url(service)} ({time.monotonic() - t0:.1f}s)")
            return
        if pid(service) is None:
            break
        time.sleep(0.25)
    logs = dirs()["logs"]
    tail = []
    for name in (f"{service}-gunicorn.log", f"{service}.log"):
        if (logs / name).exists():
            tail += [f"--- {name}", *(logs / name).read_text(errors="replace").splitlines()[-15:]]
    raise DevcloudError(f"{service} did not come up at {url(service)}\n" + "\n".join(tail))


def stop(services: tuple[str, ...]) -> None:
    """Stop our servers for these services; wait for them to exit."""
    pids = {s: p for s in services if (p := pid(s)) is not None}
    for p in pids.values():
        os.kill(p, signal.SIGTERM)  # a gunicorn master stops its worker
    deadline = time.monotonic() + 20
    for service, p in pids.items():
        while _alive(p) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(p):
            os.killpg(p, signal.SIGKILL)  # own session, so pgid == pid
            while _alive(p):
                time.sleep(0.1)
        if p in _CHILDREN:
            _CHILDREN.pop(p).wait()
        log(f"{service}: stopped pid {p}")
    for service in services:
        _run_file(service, "pid").unlink(missing_ok=True)
        _run_file(service, "started").unlink(missing_ok=True)
