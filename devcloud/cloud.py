#!/usr/bin/env python3
"""devcloud: real Keystones and Glances (from PyPI) on 127.0.0.1 with SQLite.

Mounted like devstack: Keystone at http://127.0.0.1:<kport>/identity, Glance at
http://127.0.0.1:<gport>/image. Two clouds: `devcloud` (Keystone, Glance in
RegionOne and in RegionTwo, and a plain HTTP files server, the source for
Glance's web-download) and `devcloud2` (its own Keystone and Glance). Stdlib
only: this runs under the system python3; the services run from their own venv
under $DEVCLOUD_HOME (default <repo>/.devcloud), which also holds configs,
SQLite DBs, keys, the image stores, logs, pids and clouds.yaml.

    python3 devcloud/cloud.py up|seed|down|status|clients
    python3 devcloud/cloud.py env [--cloud devcloud|devcloud2] [--region RegionTwo]
                                  [--user admin|demo|alt_demo] [--json | --clouds-yaml]
    python3 devcloud/cloud.py clouds-yaml [--copy-to clouds.yaml]

Importable: up(), seed(), env(user, cloud, region) -> dict, down(), status()
-> bool, clients() -> Path, publish(name, data) -> URL; the rest is
re-exported from the modules beside this file (README.md lists them).
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

from devcloud import api, cloudsyaml, config, install, processes  # noqa: E402
from devcloud import seed as seeding  # noqa: E402
from devcloud.api import token  # noqa: E402, F401
from devcloud.common import (  # noqa: E402, F401
    CLOUD,
    CLOUD2,
    CLOUDS,
    GLANCE_SERVICE_PASSWORD,
    HOST,
    REGION,
    REGION2,
    SERVICES,
    USERS,
    USERS2,
    DevcloudError,
    clouds_yaml_path,
    files_url,
    glance_service,
    glance_url,
    home,
    keystone_service,
    keystone_url,
    locked,
    log,
    port,
    url,
    users,
)
from devcloud.config import (  # noqa: E402, F401
    DEFAULT_STORE,
    GLANCE_DOWNLOAD_PROPERTIES,
    IMPORT_METHODS,
    IMPORT_METHODS_R2,
    STORES,
)
from devcloud.files import publish, unpublish  # noqa: E402, F401
from devcloud.install import clients  # noqa: E402, F401
from devcloud.seed import (  # noqa: E402, F401
    CONFLICT_IMAGE,
    ID_NAMESPACE,
    ID_NAMESPACE_C2,
    ID_NAMESPACE_R2,
    MIB,
    SeedImage,
    qcow2,
    raw,
    seed_images,
    seed_images_devcloud2,
    seed_images_regiontwo,
)

_pid = processes.pid  # tests/integration/conftest.py asks which servers are alive


def status(verbose: bool = False) -> bool:
    """True when every server (both clouds' Keystones and Glances, files) runs and answers."""
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
    """Start every server of both clouds (installing/bootstrapping on first use).

    A server started with other configuration than the one just written
    (or by an older devcloud) is restarted. Returns True when devcloud's
    Keystone or RegionOne Glance was not running before, so a caller can stop
    only a cloud it brought up; restarting or adding a server to a running
    cloud is not that. Writes clouds.yaml.
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
        cloudsyaml.write()
        if not changed and status():
            log(f"already up: {' '.join(url(s) for s in SERVICES)}")
            return False
        for cloud in CLOUDS:
            keystone, glances = CLOUDS[cloud]
            processes.wait_ready(keystone)
            # The catalog and Glance's service user are made through the API, once
            # per set of ports (a port change rewrites the endpoints).
            urls = " ".join(url(s) for s in (keystone, *glances.values()))
            catalog = home() / "stamps" / ("catalog" if cloud == CLOUD else f"catalog-{cloud}")
            if not catalog.exists() or catalog.read_text() != urls:
                tok = api.token("admin", cloud)
                roles = ("admin", "service")
                api.ensure_user(tok, "glance", GLANCE_SERVICE_PASSWORD, "service", roles, cloud)
                api.ensure_catalog(tok, cloud)
                catalog.write_text(urls)
        for service in SERVICES:
            processes.wait_ready(service)
        log(f"up in {time.monotonic() - t0:.1f}s: {' '.join(url(s) for s in SERVICES)}")
        return not was_up


def down() -> None:
    """Stop the servers this state folder started; wait for them to exit."""
    with locked():
        processes.stop(SERVICES)


def seed() -> None:
    """Create each cloud's users and seed images (README.md says which); skips what exists."""
    with locked():
        if any(processes.pid(s) is None for s in SERVICES):
            raise DevcloudError("devcloud is not up: run `python3 devcloud/cloud.py up` first")
        for service in SERVICES:  # a one-worker Glance busy with an upload answers late
            processes.wait_ready(service, quiet=True)
        seeding.run()
        cloudsyaml.write()


def env(
    user: str = "admin", cloud: str = CLOUD, region: str = REGION, clouds_file: bool = False
) -> dict[str, str]:
    """OS_* variables for a user of a cloud, as python-openstackclient reads them.

    clouds_file: add OS_CLIENT_CONFIG_FILE (the clouds.yaml naming every cloud)."""
    glance_service(region, cloud)  # an unknown cloud or region is an error
    if user not in users(cloud):
        raise DevcloudError(f"{cloud} has no user {user!r}: {', '.join(users(cloud))}")
    password, project = users(cloud)[user]
    return {
        "OS_AUTH_URL": keystone_url(cloud),
        "OS_IDENTITY_API_VERSION": "3",
        "OS_USERNAME": user,
        "OS_PASSWORD": password,
        "OS_PROJECT_NAME": project,
        "OS_USER_DOMAIN_NAME": "Default",
        "OS_PROJECT_DOMAIN_NAME": "Default",
        "OS_REGION_NAME": region,
        "OS_INTERFACE": "public",
        **({"OS_CLIENT_CONFIG_FILE": str(clouds_yaml_path())} if clouds_file else {}),
    }


# What `env --clouds-yaml` unsets: every variable env() sets but OS_CLIENT_CONFIG_FILE, since
# OS_* variables beat clouds.yaml (in openstack as in imgcli) and would hijack --os-cloud.
_ENV_NAMES = tuple(env())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="cloud.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("up", help="install (first time), bootstrap and start the servers")
    sub.add_parser("seed", help="create each cloud's users and seed images (idempotent)")
    p_env = sub.add_parser(
        "env", help='print OS_* exports (eval "$(python3 devcloud/cloud.py env)")'
    )
    p_env.add_argument("--user", choices=sorted(USERS), default="admin",
                       help="admin (default), demo or alt_demo (devcloud only)")
    p_env.add_argument("--cloud", choices=sorted(CLOUDS), default=CLOUD)
    p_env.add_argument("--region", choices=(REGION, REGION2), default=REGION,
                       help="RegionTwo: devcloud's second Glance")
    how = p_env.add_mutually_exclusive_group()
    how.add_argument("--json", action="store_true", help="print a JSON object instead")
    how.add_argument("--clouds-yaml", action="store_true",
                     help="unset the OS_* variables and point OS_CLIENT_CONFIG_FILE at "
                          "clouds.yaml, for --os-cloud devcloud|devcloud2|...")
    p_yaml = sub.add_parser("clouds-yaml", help="write clouds.yaml; print its path")
    p_yaml.add_argument("--copy-to", type=Path, metavar="PATH",
                        help="copy it there too, unless a file not written by devcloud is there")
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
            values = env(args.user, args.cloud, args.region, clouds_file=True)
            cloudsyaml.write()  # so OS_CLIENT_CONFIG_FILE names a file even before `up`
            if args.json:
                print(json.dumps(values, indent=2))
            elif args.clouds_yaml:
                print(f"unset {' '.join(_ENV_NAMES)}")
                print(f"export OS_CLIENT_CONFIG_FILE={shlex.quote(str(clouds_yaml_path()))}")
            else:
                print("\n".join(f"export {k}={shlex.quote(v)}" for k, v in values.items()))
        elif args.cmd == "clouds-yaml":
            path = cloudsyaml.write()
            if args.copy_to:
                log(cloudsyaml.copy_to(args.copy_to))
            print(path)
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
