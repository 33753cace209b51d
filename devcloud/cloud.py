#!/usr/bin/env python3
"""devcloud: a real Keystone and Glance (from PyPI) on 127.0.0.1 with SQLite.

Mounted like devstack: Keystone at http://127.0.0.1:<kport>/identity, Glance at
http://127.0.0.1:<gport>/image, and a plain HTTP files server (the source for
Glance's web-download) at http://127.0.0.1:<fport>/. Stdlib only: this runs
under the system python3; the services run from their own venv under
$DEVCLOUD_HOME (default <repo>/.devcloud), which also holds configs, SQLite
DBs, keys, the image stores, logs and pids.

    python3 devcloud/cloud.py up|seed|down|status|clients
    python3 devcloud/cloud.py env [--user admin|demo|alt_demo] [--json]

Importable: up(), seed(), env(user) -> dict, down(), status() -> bool,
clients() -> Path, publish(name, data) -> URL; the rest is re-exported from
the modules beside this file (README.md lists them).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

# Run as a script, or loaded by path (tests/integration/conftest.py): either
# way import the sibling modules as the `devcloud` package.
if not __package__:
    _repo = str(Path(__file__).resolve().parents[1])
    if _repo not in sys.path:
        sys.path.insert(0, _repo)

from devcloud import api, config, install, processes  # noqa: E402
from devcloud import seed as seeding  # noqa: E402
from devcloud.api import token  # noqa: E402, F401
from devcloud.common import (  # noqa: E402, F401
    GLANCE_SERVICE_PASSWORD,
    HOST,
    REGION,
    SERVICES,
    USERS,
    DevcloudError,
    files_url,
    glance_url,
    home,
    keystone_url,
    locked,
    log,
    port,
    url,
)
from devcloud.config import DEFAULT_STORE, IMPORT_METHODS, STORES  # noqa: E402, F401
from devcloud.files import publish, unpublish  # noqa: E402, F401
from devcloud.install import clients  # noqa: E402, F401
from devcloud.seed import ID_NAMESPACE, MIB, SeedImage, qcow2, raw, seed_images  # noqa: E402, F401

_pid = processes.pid  # tests/integration/conftest.py asks which servers are alive


def status(verbose: bool = False) -> bool:
    """True when every server (Keystone, Glance, files) runs (our pids) and answers."""
    ok = True
    for service in SERVICES:
        pid, answers = processes.pid(service), processes.answers(service)
        ok = ok and pid is not None and answers
        if verbose:
            state = f"running (pid {pid})" if pid else "not running"
            answer = "answering" if answers else "not answering"
            print(f"{service}: {state}, {answer} at {url(service)}")
    return ok


def up() -> bool:
    """Start Keystone, Glance and the files server (installing/bootstrapping on first use).

    A server started with other configuration than the one just written
    (or by an older devcloud) is restarted. Returns True when Keystone or
    Glance was not running before, so a caller can stop only a cloud it
    brought up; restarting or adding a server to a running cloud is not that.
    """
    with locked():
        t0 = time.monotonic()
        bin_dir = install.servers()
        conf_files = config.write(bin_dir)
        config.bootstrap(bin_dir)
        was_up = all(processes.pid(s) is not None for s in ("keystone", "glance"))
        changed = False
        for service in SERVICES:  # start all before waiting: their slow imports overlap
            stamp = processes.fingerprint(service, bin_dir, conf_files[service])
            running = processes.pid(service) is not None
            if running and processes.started_with(service) != stamp:
                log(f"{service}: configuration changed since it started: restarting")
                processes.stop((service,))
                running = False
            if not running:
                processes.start(service, bin_dir, stamp)
                changed = True
        if not changed and status():
            log(f"already up: {keystone_url()} {glance_url()} {files_url()}")
            return False
        processes.wait_ready("keystone")
        # The catalog and Glance's service user are made through the API, once
        # per port pair (a port change rewrites the endpoints).
        urls = f"{keystone_url()} {glance_url()}"
        catalog = home() / "stamps" / "catalog"
        if not catalog.exists() or catalog.read_text() != urls:
            tok = api.token("admin")
            roles = ("admin", "service")
            api.ensure_user(tok, "glance", GLANCE_SERVICE_PASSWORD, "service", roles)
            api.ensure_catalog(tok)
            catalog.write_text(urls)
        processes.wait_ready("glance")
        processes.wait_ready("files")
        log(f"up in {time.monotonic() - t0:.1f}s: {urls} {files_url()}")
        return not was_up


def down() -> None:
    """Stop the servers this state folder started; wait for them to exit."""
    with locked():
        processes.stop(SERVICES)


def seed() -> None:
    """Create the demo and alt_demo projects/users and the seed images; skips what exists."""
    with locked():
        if not status():
            raise DevcloudError("devcloud is not up: run `python3 devcloud/cloud.py up` first")
        seeding.run()


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="cloud.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("up", help="install (first time), bootstrap and start the servers")
    sub.add_parser("seed", help="create the demo and alt_demo projects/users and the seed "
                                "images (idempotent)")
    p_env = sub.add_parser(
        "env", help='print OS_* exports (eval "$(python3 devcloud/cloud.py env)")'
    )
    p_env.add_argument("--user", choices=sorted(USERS), default="admin")
    p_env.add_argument("--json", action="store_true", help="print a JSON object instead")
    sub.add_parser("down", help="stop the servers started by up")
    sub.add_parser("status", help="exit 0 when every server runs and answers")
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
        log(f"error: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
