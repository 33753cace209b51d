"""Keystone and Glance configuration files, and their one-time bootstrap."""

from __future__ import annotations

import grp
import os
import pwd
from pathlib import Path

from devcloud.common import (
    GLANCE_SERVICE_PASSWORD,
    HOST,
    REGION,
    USERS,
    dirs,
    keystone_url,
    log,
    port,
)
from devcloud.install import run

# Glance's file stores: images land in the default one; copy-image and
# `--store`/`--all-stores` need a second one.
STORES = ("fs", "fs2")
DEFAULT_STORE = "fs"
IMPORT_METHODS = ("glance-direct", "web-download", "copy-image")


def _keystone_conf(data: Path, logs: Path) -> str:
    return f"""\
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
"""


def _glance_conf(etc: Path, data: Path, logs: Path) -> str:
    kurl = keystone_url()
    g = data / "glance"
    # oslo.config list options declared with bounds=True need the [...].
    return f"""\
[DEFAULT]
log_file = {logs}/glance.log
enabled_backends = {", ".join(f"{s}:file" for s in STORES)}
enabled_import_methods = [{",".join(IMPORT_METHODS)}]
image_cache_dir = {g}/cache
[database]
connection = sqlite:///{data}/glance.sqlite
[glance_store]
default_backend = {DEFAULT_STORE}
[fs]
filesystem_store_datadir = {g}/images
store_description = default file store
[fs2]
filesystem_store_datadir = {g}/images-fs2
store_description = second file store (copy-image, --store)
[os_glance_staging_store]
# glance-direct stages here; web-download and copy-image download here first
filesystem_store_datadir = {g}/staging
[os_glance_tasks_store]
filesystem_store_datadir = {g}/tasks
[import_filtering_opts]
# web-download refuses loopback hosts and ports other than 80/443 unless
# listed: allow only this cloud's files server.
allowed_schemes = [http]
allowed_hosts = [{HOST}]
allowed_ports = [{port("files")}]
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
lock_path = {g}/locks
[oslo_messaging_notifications]
driver = noop
"""


def _write(path: Path, text: str) -> Path:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def write(bin_dir: Path) -> dict[str, tuple[Path, ...]]:
    """Write every config file; returns the files each service reads at start."""
    d = dirs()
    etc, data, logs = d["etc"], d["data"], d["logs"]
    # The paste pipeline ships with glance in <venv>/etc/glance.
    paste = (bin_dir.parent / "etc" / "glance" / "glance-api-paste.ini").read_text()
    for sub in ("images", "images-fs2", "staging", "tasks", "locks", "cache"):
        (data / "glance" / sub).mkdir(parents=True, exist_ok=True)
    return {
        "keystone": (_write(etc / "keystone.conf", _keystone_conf(data, logs)),),
        "glance": (
            _write(etc / "glance-api.conf", _glance_conf(etc, data, logs)),
            _write(etc / "glance-api-paste.ini", paste),
        ),
        "files": (),
    }


def bootstrap(bin_dir: Path) -> None:
    """One-time DB and key setup; stamped so a later `up` skips it."""
    d = dirs()
    stamps, etc = d["stamps"], d["etc"]
    if not (stamps / "keystone").exists():
        log("keystone: db_sync, fernet/credential keys, bootstrap admin")
        kconf = ["--config-file", str(etc / "keystone.conf")]
        manage = str(bin_dir / "keystone-manage")
        owner = [
            "--keystone-user",
            pwd.getpwuid(os.getuid()).pw_name,
            "--keystone-group",
            grp.getgrgid(os.getgid()).gr_name,
        ]
        run([manage, *kconf, "db_sync"], "setup.log")
        run([manage, *kconf, "fernet_setup", *owner], "setup.log")
        run([manage, *kconf, "credential_setup", *owner], "setup.log")
        run([manage, *kconf, "bootstrap",
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
        log("glance: db_sync")
        gconf = ["--config-file", str(etc / "glance-api.conf")]
        run([str(bin_dir / "glance-manage"), *gconf, "db_sync"], "setup.log")
        (stamps / "glance").touch()
