"""Where devcloud lives: its state folder, clouds, regions, servers, ports, URLs, users, the lock.

Two clouds, each its own Keystone (nothing shared between them):
- `devcloud`: Keystone, Glance in RegionOne, a second Glance in RegionTwo (same Keystone), and
  the files server (web-download's source);
- `devcloud2`: Keystone and one Glance (RegionOne).
"""

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
REGION2 = "RegionTwo"
CLOUD = "devcloud"
CLOUD2 = "devcloud2"
# Started in this order; `files` is the web-download source (a plain HTTP file server).
# The first three are the original cloud; tests/integration/conftest.py loops over all.
SERVICES = ("keystone", "glance", "files", "glance-r2", "keystone2", "glance2")
# server -> (kind, port variable, default port)
_SERVERS = {
    "keystone": ("keystone", "DEVCLOUD_KEYSTONE_PORT", 35000),
    "glance": ("glance", "DEVCLOUD_GLANCE_PORT", 39292),
    "files": ("files", "DEVCLOUD_FILES_PORT", 39393),
    "glance-r2": ("glance", "DEVCLOUD_GLANCE_R2_PORT", 39492),
    "keystone2": ("keystone", "DEVCLOUD_KEYSTONE2_PORT", 35100),
    "glance2": ("glance", "DEVCLOUD_GLANCE2_PORT", 39592),
}
# cloud -> (its Keystone, {region: its Glance})
CLOUDS: dict[str, tuple[str, dict[str, str]]] = {
    CLOUD: ("keystone", {REGION: "glance", REGION2: "glance-r2"}),
    CLOUD2: ("keystone2", {REGION: "glance2"}),
}
# user -> (password, project); passwords are fixed so docs and CI can use them.
USERS: dict[str, tuple[str, str]] = {
    "admin": ("devcloud-admin", "admin"),
    "demo": ("devcloud-demo", "demo"),
    # A second member project: the tests where one project plants names for another.
    "alt_demo": ("devcloud-alt-demo", "alt_demo"),
}
# devcloud2's users: the same names and projects, other passwords, so that credentials sent to
# the wrong cloud are refused instead of silently working.
USERS2: dict[str, tuple[str, str]] = {
    "admin": ("devcloud2-admin", "admin"),
    "demo": ("devcloud2-demo", "demo"),
}
GLANCE_SERVICE_PASSWORD = "devcloud-glance"


class DevcloudError(RuntimeError):
    pass


def home() -> Path:
    return Path(os.environ.get("DEVCLOUD_HOME") or REPO / ".devcloud").resolve()


def kind(service: str) -> str:
    """keystone, glance or files: which program a server runs."""
    return _SERVERS[service][0]


def port_variable(service: str) -> str:
    return _SERVERS[service][1]


def port(service: str) -> int:
    _, var, default = _SERVERS[service]
    return int(os.environ.get(var) or default)


def users(cloud: str = CLOUD) -> dict[str, tuple[str, str]]:
    return USERS if cloud == CLOUD else USERS2


def _check_cloud(cloud: str) -> None:
    if cloud not in CLOUDS:
        raise DevcloudError(f"unknown cloud {cloud!r}: one of {', '.join(CLOUDS)}")


def keystone_service(cloud: str = CLOUD) -> str:
    _check_cloud(cloud)
    return CLOUDS[cloud][0]


def glance_service(region: str = REGION, cloud: str = CLOUD) -> str:
    _check_cloud(cloud)
    regions = CLOUDS[cloud][1]
    if region not in regions:
        raise DevcloudError(f"{cloud} has no region {region!r}: {', '.join(regions)}")
    return regions[region]


def url(service: str) -> str:
    """A server's root: Keystone at /identity and Glance at /image, as devstack mounts them."""
    base = f"http://{HOST}:{port(service)}"
    return {"keystone": f"{base}/identity", "glance": f"{base}/image", "files": base}[
        kind(service)
    ]


def keystone_url(cloud: str = CLOUD) -> str:
    return url(keystone_service(cloud))


def glance_url(region: str = REGION, cloud: str = CLOUD) -> str:
    return url(glance_service(region, cloud))


def files_url() -> str:
    """Root of the files server: $DEVCLOUD_HOME/www over plain HTTP."""
    return url("files")


def clouds_yaml_path() -> Path:
    """The clouds.yaml that `up` and `seed` write (OS_CLIENT_CONFIG_FILE points at it)."""
    return home() / "clouds.yaml"


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
