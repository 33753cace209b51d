"""Where a devcloud lives: its state folder, ports, URLs, users, and the lock."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from collections.abc import Iterator
from pathlib import Path

DEVCLOUD_DIR = Path(__file__).resolve().parent
REPO = DEVCLOUD_DIR.parent
HOST = "127.0.0.1"
REGION = "RegionOne"
# Started in this order; `files` is the web-download source (a plain HTTP file server).
SERVICES = ("keystone", "glance", "files")
# user -> (password, project); passwords are fixed so docs and CI can use them.
USERS: dict[str, tuple[str, str]] = {
    "admin": ("devcloud-admin", "admin"),
    "demo": ("devcloud-demo", "demo"),
    # A second member project: the tests where one project plants names for another.
    "alt_demo": ("devcloud-alt-demo", "alt_demo"),
}
GLANCE_SERVICE_PASSWORD = "devcloud-glance"

_PORTS = {
    "keystone": ("DEVCLOUD_KEYSTONE_PORT", 35000),
    "glance": ("DEVCLOUD_GLANCE_PORT", 39292),
    "files": ("DEVCLOUD_FILES_PORT", 39393),
}


class DevcloudError(RuntimeError):
    pass


def home() -> Path:
    return Path(os.environ.get("DEVCLOUD_HOME") or REPO / ".devcloud").resolve()


def port_variable(service: str) -> str:
    return _PORTS[service][0]


def port(service: str) -> int:
    var, default = _PORTS[service]
    return int(os.environ.get(var) or default)


def keystone_url() -> str:
    return f"http://{HOST}:{port('keystone')}/identity"


def glance_url() -> str:
    return f"http://{HOST}:{port('glance')}/image"


def files_url() -> str:
    """Root of the files server: $DEVCLOUD_HOME/www over plain HTTP."""
    return f"http://{HOST}:{port('files')}"


def url(service: str) -> str:
    return {"keystone": keystone_url, "glance": glance_url, "files": files_url}[service]()


def log(msg: str) -> None:
    print(f"devcloud: {msg}", file=sys.stderr, flush=True)


def dirs() -> dict[str, Path]:
    """The state folder's subfolders, created on first use."""
    h = home()
    d = {
        "home": h,
        "etc": h / "etc",
        "logs": h / "logs",
        "run": h / "run",
        "stamps": h / "stamps",
        "data": h / "data",
        "www": h / "www",
    }
    for p in d.values():
        p.mkdir(parents=True, exist_ok=True)
    # Keep the state folder out of git without touching the repo's .gitignore.
    (h / ".gitignore").write_text("*\n")
    return d


@contextlib.contextmanager
def locked() -> Iterator[None]:
    """Serialize up/seed/down/clients across processes (CI, demo, xdist workers)."""
    with (dirs()["run"] / "lock").open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield
