#!/usr/bin/env python3
"""devcloud: a real Keystone and Glance (from PyPI) on 127.0.0.1 with SQLite.

Mounted like devstack: Keystone at http://127.0.0.1:<kport>/identity, Glance at
http://127.0.0.1:<gport>/image. Stdlib only: this runs under the system
python3; the services run from their own venv under $DEVCLOUD_HOME
(default <repo>/.devcloud), which also holds configs, SQLite DBs, keys, the
image store, logs and pids.

    python3 devcloud/cloud.py up|seed|env [--user admin|demo] [--json]|down|status|clients

Importable: up(), seed(), env(user) -> dict, down(), status() -> bool,
clients() -> Path.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import grp
import hashlib
import json
import os
import pwd
import shlex
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEVCLOUD_DIR = Path(__file__).resolve().parent
REPO = DEVCLOUD_DIR.parent
HOST = "127.0.0.1"
REGION = "RegionOne"
SERVICES = ("keystone", "glance")
# user -> (password, project); passwords are fixed so docs and CI can use them.
USERS: dict[str, tuple[str, str]] = {
    "admin": ("devcloud-admin", "admin"),
    "demo": ("devcloud-demo", "demo"),
}
GLANCE_SERVICE_PASSWORD = "devcloud-glance"
# Seeded image ids are uuid5(name) so they are identical on every fresh cloud.
ID_NAMESPACE = uuid.UUID("6f1c1e9a-2b0e-4d3a-9a51-0d5e5c0de7c1")

# Popen objects of servers started by this process: kept so they are reaped
# (no zombies, no ResourceWarning) when down() runs in the same process.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class DevcloudError(RuntimeError):
    pass


# --------------------------------------------------------------- locations


def home() -> Path:
    return Path(os.environ.get("DEVCLOUD_HOME") or REPO / ".devcloud").resolve()


def port(service: str) -> int:
    var, default = {
        "keystone": ("DEVCLOUD_KEYSTONE_PORT", 35000),
        "glance": ("DEVCLOUD_GLANCE_PORT", 39292),
    }[service]
    return int(os.environ.get(var) or default)


def keystone_url() -> str:
    return f"http://{HOST}:{port('keystone')}/identity"


def glance_url() -> str:
    return f"http://{HOST}:{port('glance')}/image"


def _url(service: str) -> str:
    return keystone_url() if service == "keystone" else glance_url()


def _log(msg: str) -> None:
    print(f"devcloud: {msg}", file=sys.stderr, flush=True)


def _dirs() -> dict[str, Path]:
    h = home()
    d = {
        "home": h,
        "etc": h / "etc",
        "logs": h / "logs",
        "run": h / "run",
        "stamps": h / "stamps",
        "data": h / "data",
    }
    for p in d.values():
        p.mkdir(parents=True, exist_ok=True)
    # Keep the state folder out of git without touching the repo's .gitignore.
    (h / ".gitignore").write_text("*\n")
    return d


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """Serialize up/seed/down/clients across processes (CI, demo, xdist workers)."""
    with (_dirs()["run"] / "lock").open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


# ------------------------------------------------------------------- venvs


def _run(cmd: list[str], logname: str, env: dict[str, str] | None = None) -> None:
    """Run a setup command, output to a log; show its tail if it fails."""
    logfile = _dirs()["logs"] / logname
    with logfile.open("ab") as f:
        f.write(f"\n$ {shlex.join(cmd)}\n".encode())
        f.flush()
        rc = subprocess.call(
            cmd, stdout=f, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL
        )
    if rc:
        tail = logfile.read_text(errors="replace").splitlines()[-25:]
        raise DevcloudError(
            f"{shlex.join(cmd)} failed ({rc}); end of {logfile}:\n" + "\n".join(tail)
        )


def _ensure_venv(venv: Path, requirements: Path, what: str) -> Path:
    """Create venv and install requirements unless the stamp says it is current."""
    stamp = venv / ".devcloud-requirements.sha256"
    digest = hashlib.sha256(requirements.read_bytes() + sys.version.encode()).hexdigest()
    python = venv / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return venv / "bin"
    if not python.exists():
        _log(f"creating venv {venv}")
        subprocess.check_call([sys.executable, "-m", "venv", str(venv)])
    _log(f"installing {what} into {venv} (first run: a few minutes; log in {home() / 'logs'})")
    t0 = time.monotonic()
    _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-r",
            str(requirements),
        ],
        f"pip-{venv.name}.log",
    )
    stamp.write_text(digest + "\n")
    _log(f"installed {what} in {time.monotonic() - t0:.0f}s")
    return venv / "bin"


def clients() -> Path:
    """Venv with python-openstackclient and python-glanceclient; returns its bin/."""
    with _locked():
        return _ensure_venv(
            home() / "clients",
            DEVCLOUD_DIR / "clients-requirements.txt",
            "openstack/glance clients",
        )


# ----------------------------------------------------------------- configs


def _write_configs(bin_dir: Path) -> None:
    d = _dirs()
    etc, data, logs = d["etc"], d["data"], d["logs"]
    kurl = keystone_url()
    (etc / "keystone.conf").write_text(f"""\
[DEFAULT]
log_file = {logs}/keystone.log
[database]
connection = sqlite:///{data}/keystone.sqlite
[fernet_tokens]
key_repository = {data}/fernet-keys
[fernet_receipts]
key_repository = {data}/fernet-receipts
[credential]
key_repository = {data}/credential-keys
[identity]
# bcrypt's minimum: logins take milliseconds instead of ~0.3 s
password_hash_rounds = 4
[cache]
# without a cache Keystone runs ~200 SQL queries per request (~0.5 s)
enabled = true
backend = dogpile.cache.memory
[oslo_messaging_notifications]
driver = noop
""")
    # The paste pipeline ships with glance in <venv>/etc/glance.
    paste = (bin_dir.parent / "etc" / "glance" / "glance-api-paste.ini").read_text()
    (etc / "glance-api-paste.ini").write_text(paste)
    (etc / "glance-api.conf").write_text(f"""\
[DEFAULT]
log_file = {logs}/glance.log
enabled_backends = fs:file
image_cache_dir = {data}/glance/cache
[database]
connection = sqlite:///{data}/glance.sqlite
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = {data}/glance/images
[os_glance_staging_store]
filesystem_store_datadir = {data}/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = {data}/glance/tasks
[paste_deploy]
flavor = keystone
config_file = {etc}/glance-api-paste.ini
[keystone_authtoken]
www_authenticate_uri = {kurl}
auth_url = {kurl}
auth_type = password
username = glance
password = {GLANCE_SERVICE_PASSWORD}
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = {REGION}
# keystonemiddleware otherwise looks for an *internal* identity endpoint
interface = public
[oslo_concurrency]
lock_path = {data}/glance/locks
[oslo_messaging_notifications]
driver = noop
""")
    for sub in ("images", "staging", "tasks", "locks", "cache"):
        (data / "glance" / sub).mkdir(parents=True, exist_ok=True)


def _bootstrap(bin_dir: Path) -> None:
    """One-time DB and key setup; stamped so a later `up` skips it."""
    d = _dirs()
    stamps, etc = d["stamps"], d["etc"]
    if not (stamps / "keystone").exists():
        _log("keystone: db_sync, fernet/credential keys, bootstrap admin")
        kconf = ["--config-file", str(etc / "keystone.conf")]
        manage = str(bin_dir / "keystone-manage")
        owner = [
            "--keystone-user",
            pwd.getpwuid(os.getuid()).pw_name,
            "--keystone-group",
            grp.getgrgid(os.getgid()).gr_name,
        ]
        _run([manage, *kconf, "db_sync"], "setup.log")
        _run([manage, *kconf, "fernet_setup", *owner], "setup.log")
        _run([manage, *kconf, "credential_setup", *owner], "setup.log")
        _run([manage, *kconf, "bootstrap",
              "--bootstrap-username", "admin",
              "--bootstrap-password", USERS["admin"][0],
              "--bootstrap-project-name", "admin",
              "--bootstrap-role-name", "admin",
              "--bootstrap-service-name", "keystone",
              "--bootstrap-region-id", REGION,
              "--bootstrap-public-url", keystone_url(),
              "--bootstrap-internal-url", keystone_url()], "setup.log")  # fmt: skip
        (stamps / "keystone").touch()
    if not (stamps / "glance").exists():
        _log("glance: db_sync")
        _run(
            [
                str(bin_dir / "glance-manage"),
                "--config-file",
                str(etc / "glance-api.conf"),
                "db_sync",
            ],
            "setup.log",
        )
        (stamps / "glance").touch()


# --------------------------------------------------------------- processes


def _pidfile(service: str) -> Path:
    return home() / "run" / f"{service}.pid"  # no mkdir: status must not create state


def _proc_name(service: str) -> str:
    # gunicorn's --name (shown by setproctitle) ties a pid to this state folder.
    return f"devcloud-{service}@{home()}"


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


def _pid(service: str) -> int | None:
    """Pid of our running gunicorn master for service, else None."""
    try:
        pid = int(_pidfile(service).read_text())
    except (OSError, ValueError):
        return None
    if not _alive(pid):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    # A recycled pid belongs to someone else: never signal it.
    return pid if b"gunicorn" in cmdline and _proc_name(service).encode() in cmdline else None


def _answers(service: str, timeout: float = 3) -> bool:
    """True when the service's version document answers 300 Multiple Choices."""
    try:
        with urllib.request.urlopen(_url(service), timeout=timeout) as r:
            return r.status == 300
    except urllib.error.HTTPError as e:
        return e.code == 300
    except (OSError, ValueError):
        return False


def _port_taken(p: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((HOST, p)) == 0


def _start(service: str, bin_dir: Path) -> None:
    p = port(service)
    if _port_taken(p):
        var = f"DEVCLOUD_{service.upper()}_PORT"
        raise DevcloudError(f"{HOST}:{p} is in use by another process; set {var} to another port")
    d = _dirs()
    env = dict(
        os.environ,
        DEVCLOUD_SERVICE=service,
        OS_KEYSTONE_CONFIG_DIR=str(d["etc"]),
        OS_GLANCE_CONFIG_DIR=str(d["etc"]),
    )
    # Keystone: threads are fine (reads + fernet tokens, in-process cache
    # needs one process). Glance on SQLite: one thread, or concurrent writes
    # fail with "database is locked".
    threads = "4" if service == "keystone" else "1"
    cmd = [
        str(bin_dir / "gunicorn"),
        "--bind", f"{HOST}:{p}",
        "--workers", "1",
        "--worker-class", "gthread" if service == "keystone" else "sync",
        "--threads", threads,
        "--timeout", "600",  # big uploads keep a sync worker busy
        "--graceful-timeout", "5",
        "--name", _proc_name(service),
        "--no-control-socket",  # else both share ~/.gunicorn/gunicorn.ctl
        "--pythonpath", str(DEVCLOUD_DIR),
        "--error-logfile", str(d["logs"] / f"{service}-gunicorn.log"),
        "--access-logfile", str(d["logs"] / f"{service}-access.log"),
        "wsgi:application",
    ]  # fmt: skip
    with (d["logs"] / f"{service}-gunicorn.log").open("ab") as out:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=d["home"],
            start_new_session=True,
        )
    _CHILDREN[proc.pid] = proc
    _pidfile(service).write_text(f"{proc.pid}\n")
    _log(f"{service}: started gunicorn pid {proc.pid} on {_url(service)}")


def _wait_ready(service: str, timeout: float = 180) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if _answers(service):
            _log(f"{service}: answering at {_url(service)} ({time.monotonic() - t0:.1f}s)")
            return
        if _pid(service) is None:
            break
        time.sleep(0.25)
    logs = _dirs()["logs"]
    tail = []
    for name in (f"{service}-gunicorn.log", f"{service}.log"):
        if (logs / name).exists():
            tail += [f"--- {name}", *(logs / name).read_text(errors="replace").splitlines()[-15:]]
    raise DevcloudError(f"{service} did not come up at {_url(service)}\n" + "\n".join(tail))


# ---------------------------------------------------------------- HTTP API


def _http(
    method: str,
    url: str,
    token: str | None = None,
    body: Any = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, Any]:
    """One request; returns (status, headers, parsed JSON or raw bytes)."""
    hdrs = {"Accept": "application/json"}
    if token:
        hdrs["X-Auth-Token"] = token
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            status, rh, raw = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, rh, raw = e.code, e.headers, e.read()
    if raw and "json" in (rh.get("Content-Type") or ""):
        return status, rh, json.loads(raw)
    return status, rh, raw


def _api(
    method: str,
    url: str,
    token: str | None = None,
    ok: tuple[int, ...] = (200, 201, 202, 204),
    **kw: Any,
) -> Any:
    status, _, out = _http(method, url, token, **kw)
    if status not in ok:
        raise DevcloudError(f"{method} {url} -> {status}: {out!r}"[:2000])
    return out


def token(user: str = "admin") -> str:
    """A project-scoped token for a devcloud user (admin or demo)."""
    password, project = USERS[user]
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "password": password, "domain": {"name": "Default"}}
                },
            },
            "scope": {"project": {"name": project, "domain": {"name": "Default"}}},
        }
    }
    status, headers, out = _http("POST", f"{keystone_url()}/v3/auth/tokens", body=body)
    if status != 201:
        raise DevcloudError(f"login as {user} failed: {status} {out!r}"[:500])
    return headers["X-Subject-Token"]


def _one(tok: str, kind: str, name: str, create: dict[str, Any], **filters: str) -> dict[str, Any]:
    """Find a Keystone entity by name (and filters), creating it when missing."""
    base = f"{keystone_url()}/v3/{kind}s"
    query = urllib.parse.urlencode({"name": name, **filters})
    found = _api("GET", f"{base}?{query}", tok)[f"{kind}s"]
    if found:
        return found[0]
    return _api("POST", base, tok, body={kind: {"name": name, **create}})[kind]


def _grant(tok: str, project_id: str, user_id: str, role: str) -> None:
    role_id = _one(tok, "role", role, {})["id"]
    _api("PUT", f"{keystone_url()}/v3/projects/{project_id}/users/{user_id}/roles/{role_id}", tok)


def _user(tok: str, name: str, password: str, project: str, roles: tuple[str, ...]) -> None:
    p = _one(
        tok,
        "project",
        project,
        {"domain_id": "default", "description": f"devcloud {project} project"},
        domain_id="default",
    )
    u = _one(
        tok,
        "user",
        name,
        {"domain_id": "default", "password": password, "default_project_id": p["id"]},
        domain_id="default",
    )
    for role in roles:
        _grant(tok, p["id"], u["id"], role)


def _ensure_catalog(tok: str) -> None:
    """Image service + endpoints, and identity endpoints kept on the current port."""
    base = f"{keystone_url()}/v3"
    services = _api("GET", f"{base}/services", tok)["services"]
    wanted = {"identity": ("keystone", keystone_url()), "image": ("glance", glance_url())}
    for stype, (sname, url) in wanted.items():
        svc = next((s for s in services if s["type"] == stype), None)
        if svc is None:
            svc = _api(
                "POST", f"{base}/services", tok, body={"service": {"type": stype, "name": sname}}
            )["service"]
            _log(f"keystone: registered service {stype}")
        eps = _api("GET", f"{base}/endpoints?service_id={svc['id']}", tok)["endpoints"]
        for iface in ("public", "internal"):
            ep = next(
                (e for e in eps if e["interface"] == iface and e.get("region_id") == REGION), None
            )
            if ep is None:
                _api(
                    "POST",
                    f"{base}/endpoints",
                    tok,
                    body={
                        "endpoint": {
                            "service_id": svc["id"],
                            "interface": iface,
                            "region_id": REGION,
                            "url": url,
                        }
                    },
                )
            elif ep["url"] != url:
                _api("PATCH", f"{base}/endpoints/{ep['id']}", tok, body={"endpoint": {"url": url}})


# ------------------------------------------------------------------- verbs


def status(verbose: bool = False) -> bool:
    """True when both services run (our pids) and answer."""
    ok = True
    for service in SERVICES:
        pid, answers = _pid(service), _answers(service)
        ok = ok and pid is not None and answers
        if verbose:
            state = f"running (pid {pid})" if pid else "not running"
            answer = "answering" if answers else "not answering"
            print(f"{service}: {state}, {answer} at {_url(service)}")
    return ok


def up() -> bool:
    """Start Keystone and Glance (installing/bootstrapping on first use).

    Returns True when this call started at least one server, so a caller can
    stop only what it started.
    """
    with _locked():
        if status():
            _log(f"already up: {keystone_url()} {glance_url()}")
            return False
        t0 = time.monotonic()
        bin_dir = _ensure_venv(
            home() / "venv", DEVCLOUD_DIR / "requirements.txt", "Keystone/Glance"
        )
        _write_configs(bin_dir)
        _bootstrap(bin_dir)
        started = False
        for service in SERVICES:  # start both before waiting: their slow imports overlap
            if _pid(service) is None:
                _start(service, bin_dir)
                started = True
        _wait_ready("keystone")
        # The catalog and Glance's service user are made through the API, once
        # per port pair (a port change rewrites the endpoints).
        urls = f"{keystone_url()} {glance_url()}"
        stamp = _dirs()["stamps"] / "catalog"
        if not stamp.exists() or stamp.read_text() != urls:
            tok = token("admin")
            _user(tok, "glance", GLANCE_SERVICE_PASSWORD, "service", ("admin", "service"))
            _ensure_catalog(tok)
            stamp.write_text(urls)
        _wait_ready("glance")
        _log(f"up in {time.monotonic() - t0:.1f}s: {urls}")
        return started


def down() -> None:
    """Stop the servers this state folder started; wait for them to exit."""
    with _locked():
        pids = {s: p for s in SERVICES if (p := _pid(s)) is not None}
        for pid in pids.values():
            os.kill(pid, signal.SIGTERM)  # gunicorn master stops its worker
        deadline = time.monotonic() + 20
        for service, pid in pids.items():
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                os.killpg(pid, signal.SIGKILL)  # own session, so pgid == pid
                while _alive(pid):
                    time.sleep(0.1)
            if pid in _CHILDREN:
                _CHILDREN.pop(pid).wait()
            _log(f"{service}: stopped pid {pid}")
        for service in SERVICES:
            _pidfile(service).unlink(missing_ok=True)


def env(user: str = "admin") -> dict[str, str]:
    """OS_* variables for a devcloud user, as python-openstackclient reads them."""
    password, project = USERS[user]
    return {
        "OS_AUTH_URL": keystone_url(),
        "OS_IDENTITY_API_VERSION": "3",
        "OS_USERNAME": user,
        "OS_PASSWORD": password,
        "OS_PROJECT_NAME": project,
        "OS_USER_DOMAIN_NAME": "Default",
        "OS_PROJECT_DOMAIN_NAME": "Default",
        "OS_REGION_NAME": REGION,
        "OS_INTERFACE": "public",
    }


# -------------------------------------------------------------------- seed


def qcow2(virtual_size: int) -> bytes:
    """A minimal valid, empty qcow2 v3 image, laid out like `qemu-img create`.

    Clusters (64 KiB, cluster_bits 16): 0 header, 1 refcount table,
    2 refcount block (16-bit refcounts: clusters 0-3 in use), 3 L1 table.
    Glance 33 inspects uploads, so a fake header alone would be rejected.
    """
    cs = 1 << 16
    l1_size = -(-virtual_size // (cs * (cs // 8)))  # one L2 table maps 512 MiB
    header = struct.pack(
        ">4sIQIIQIIQQIIQQQQII",
        b"QFI\xfb", 3,  # magic, version
        0, 0,  # backing file offset, size
        16, virtual_size,  # cluster_bits, size
        0, l1_size, 3 * cs,  # crypt_method, l1_size, l1_table_offset
        cs, 1,  # refcount_table_offset, refcount_table_clusters
        0, 0,  # nb_snapshots, snapshots_offset
        0, 0, 0,  # incompatible, compatible, autoclear features
        4, 104,  # refcount_order (16 bit), header_length
    )  # fmt: skip
    header += struct.pack(">II", 0, 0)  # end of header extensions
    refcount_table = struct.pack(">Q", 2 * cs).ljust(cs, b"\0")
    refcount_block = struct.pack(">4H", 1, 1, 1, 1).ljust(cs, b"\0")
    return header.ljust(cs, b"\0") + refcount_table + refcount_block + b"\0" * (8 * l1_size)


def raw(name: str, size: int) -> bytes:
    """Deterministic raw bytes, so checksums are the same on every cloud."""
    return (f"devcloud:{name}:".encode() * (size // 10 + 1))[:size]


@dataclass
class SeedImage:
    name: str
    visibility: str = "public"
    disk_format: str | None = "raw"
    container_format: str | None = "bare"
    data: bytes | None = None  # None: left queued
    owner: str = "admin"  # which user creates it (its project owns it)
    tags: tuple[str, ...] = ()
    props: dict[str, Any] = field(default_factory=dict)  # extra create fields
    deactivate: bool = False
    members: dict[str, str] = field(default_factory=dict)  # project -> member_status


MIB = 1 << 20


def _sdk_props(name: str, data: bytes) -> dict[str, str]:
    # What `openstack image create --file` (openstacksdk) stores, as on the seed cloud.
    return {
        "owner_specified.openstack.md5": hashlib.md5(data).hexdigest(),
        "owner_specified.openstack.sha256": hashlib.sha256(data).hexdigest(),
        "owner_specified.openstack.object": f"images/{name}",
    }


def seed_images() -> list[SeedImage]:
    cirros, trove = qcow2(112 * MIB), qcow2(5 * 1024 * MIB)
    imgs = [
        # The seed cloud's three images.
        SeedImage(
            "cirros-0.5.1-x86_64-disk",
            disk_format="qcow2",
            data=cirros,
            props=_sdk_props("cirros-0.5.1-x86_64-disk", cirros),
        ),
        SeedImage(
            "cirros-0.5.2-x86_64-disk",
            disk_format="qcow2",
            data=cirros,
            props={"hw_rng_model": "virtio", **_sdk_props("cirros-0.5.2-x86_64-disk", cirros)},
        ),
        SeedImage(
            "trove-guest-ubuntu-focal",
            "shared",
            "qcow2",
            data=trove,
            tags=("trove",),
            props={"hw_rng_model": "virtio", **_sdk_props("trove-guest-ubuntu-focal", trove)},
        ),
        # One of each shape a listing can meet.
        SeedImage("private-admin-image", "private", data=raw("private-admin-image", 1000)),
        SeedImage("community-image", "community", "qcow2", data=qcow2(64 * MIB)),
        SeedImage("hidden-image", data=raw("hidden-image", 100), props={"os_hidden": True}),
        SeedImage("deactivated-image", data=raw("deactivated-image", 10), deactivate=True),
        SeedImage("queued-image", "private", None, None),
        SeedImage("protected-image", data=raw("protected-image", 512), props={"protected": True}),
        SeedImage(
            "ubuntu-custom-props",
            disk_format="qcow2",
            data=qcow2(10 * 1024 * MIB),
            props={
                "os_distro": "ubuntu",
                "os_version": "22.04",
                "hw_disk_bus": "scsi",
                "hw_scsi_model": "virtio-scsi",
                "architecture": "x86_64",
                "min_disk": 10,
                "min_ram": 512,
            },
        ),
        # Sizes whose numeric order differs from their text order.
        SeedImage("raw-size-9", data=raw("raw-size-9", 9)),
        SeedImage("raw-size-10", data=raw("raw-size-10", 10)),
        SeedImage("raw-size-100", data=raw("raw-size-100", 100)),
        SeedImage("raw-size-1000", data=raw("raw-size-1000", 1000)),
        SeedImage(
            "multi-tag-image", data=raw("multi-tag-image", 2048), tags=("zeta", "alpha", "mid")
        ),
        SeedImage('Ünïcode 画像 "quoted", comma', "shared", "qcow2", data=qcow2(MIB)),
        # Glance inspects only container_format=bare uploads.
        SeedImage(
            "ovf-container-image",
            disk_format="vmdk",
            container_format="ovf",
            data=raw("ovf-container-image", 3000),
        ),
        SeedImage(
            "shared-accepted-by-demo",
            "shared",
            data=raw("shared-accepted-by-demo", 300),
            members={"demo": "accepted"},
        ),
        SeedImage(
            "shared-pending-for-demo",
            "shared",
            data=raw("shared-pending-for-demo", 301),
            members={"demo": "pending"},
        ),
        SeedImage(
            "demo-private-image", "private", data=raw("demo-private-image", 4096), owner="demo"
        ),
    ]
    for i in range(1, 13):  # fillers: push the total past Glance's default page size (25)
        name = f"filler-{i:02d}"
        even = ("even",) if i % 2 == 0 else ()
        imgs.append(SeedImage(name, data=raw(name, 7 * i * i), tags=("filler", *even)))
    return imgs


def _glance_images(tok: str) -> dict[str, dict[str, Any]]:
    """Every image by name, hidden ones included (they are not listed by default)."""
    out: dict[str, dict[str, Any]] = {}
    for extra in ("", "&os_hidden=true"):
        url = f"{glance_url()}/v2/images?limit=1000&visibility=all{extra}"
        out |= {img["name"]: img for img in _api("GET", url, tok)["images"]}
    return out


def seed() -> None:
    """Create the demo project/user and the seed images; skips what exists."""
    with _locked():
        if not status():
            raise DevcloudError("devcloud is not up: run `python3 devcloud/cloud.py up` first")
        _seed()


def _seed() -> None:
    t0 = time.monotonic()
    admin = token("admin")
    _user(admin, "demo", USERS["demo"][0], "demo", ("member",))
    projects = {
        p: _one(admin, "project", p, {}, domain_id="default")["id"] for p in ("admin", "demo")
    }
    tokens = {"admin": admin, "demo": token("demo")}
    existing = _glance_images(admin)
    created = 0
    base = f"{glance_url()}/v2/images"
    for spec in seed_images():
        tok = tokens[spec.owner]
        img = existing.get(spec.name)
        if img is None:
            body: dict[str, Any] = {
                "name": spec.name,
                "visibility": spec.visibility,
                "tags": list(spec.tags),
                "id": str(uuid.uuid5(ID_NAMESPACE, spec.name)),
                **spec.props,
            }
            if spec.disk_format:
                body |= {
                    "disk_format": spec.disk_format,
                    "container_format": spec.container_format,
                }
            status_, _, img = _http("POST", base, tok, body=body)
            if status_ == 409:  # the uuid5 id was used by a deleted image: let Glance pick one
                body.pop("id")
                img = _api("POST", base, tok, body=body)
            elif status_ != 201:
                raise DevcloudError(f"creating image {spec.name}: {status_} {img!r}")
            created += 1
        if spec.data is not None and img["status"] == "queued":
            _api(
                "PUT",
                f"{base}/{img['id']}/file",
                tok,
                data=spec.data,
                headers={"Content-Type": "application/octet-stream"},
            )
        if spec.deactivate and img["status"] != "deactivated":
            _api("POST", f"{base}/{img['id']}/actions/deactivate", admin)
        for project, member_status in spec.members.items():
            pid = projects[project]
            members = _api("GET", f"{base}/{img['id']}/members", tok)["members"]
            if not any(m["member_id"] == pid for m in members):
                _api("POST", f"{base}/{img['id']}/members", tok, body={"member": pid})
            if member_status != "pending":  # only the member itself may accept
                _api(
                    "PUT",
                    f"{base}/{img['id']}/members/{pid}",
                    tokens[project],
                    body={"status": member_status},
                )
    # Verify: every uploaded image must have gone active (format inspection).
    final = _glance_images(admin)
    bad = [
        f"{s.name}={final[s.name]['status']}"
        for s in seed_images()
        if s.data is not None and final[s.name]["status"] not in ("active", "deactivated")
    ]
    if bad:
        raise DevcloudError(
            f"images not active after upload: {', '.join(bad)}; see {home() / 'logs/glance.log'}"
        )
    _log(f"seeded: {created} new, {len(final)} images in total ({time.monotonic() - t0:.1f}s)")


# --------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="cloud.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("up", help="install (first time), bootstrap and start Keystone and Glance")
    sub.add_parser("seed", help="create the demo project/user and the seed images (idempotent)")
    p_env = sub.add_parser(
        "env", help='print OS_* exports (eval "$(python3 devcloud/cloud.py env)")'
    )
    p_env.add_argument("--user", choices=sorted(USERS), default="admin")
    p_env.add_argument("--json", action="store_true", help="print a JSON object instead")
    sub.add_parser("down", help="stop the servers started by up")
    sub.add_parser("status", help="exit 0 when both servers run and answer")
    sub.add_parser("clients", help="create the openstack/glance client venv; print its bin/")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "up":
            up()
        elif args.cmd == "seed":
            seed()
        elif args.cmd == "env":
            values = env(args.user)
            if args.json:
                print(json.dumps(values, indent=2))
            else:
                print("\n".join(f"export {k}={shlex.quote(v)}" for k, v in values.items()))
        elif args.cmd == "down":
            down()
        elif args.cmd == "status":
            return 0 if status(verbose=True) else 1
        elif args.cmd == "clients":
            print(clients())
    except DevcloudError as e:
        _log(f"error: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
