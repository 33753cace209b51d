"""Keystone and Glance configuration files, and their one-time bootstrap (metadefs included).

Every server has its own config folder, SQLite DB and data: the original cloud keeps the
paths it always had (etc/keystone.conf, etc/glance-api.conf, data/glance/...); the servers
added later live under etc/<server>/ and data/<server>/.
"""

from __future__ import annotations

import base64
import concurrent.futures
import os
import shutil
from pathlib import Path

from devcloud.common import (
    CLOUD,
    CLOUD2,
    GLANCE_SERVICE_PASSWORD,
    HOST,
    REGION,
    REGION2,
    SERVICES,
    dirs,
    keystone_url,
    kind,
    log,
    port,
    url,
    users,
)
from devcloud.install import run

# Glance's file stores: images land in the default one; copy-image and
# `--store`/`--all-stores` need a second one.
STORES = ("fs", "fs2")
DEFAULT_STORE = "fs"
IMPORT_METHODS = ("glance-direct", "web-download", "copy-image")
# RegionTwo's Glance also imports from RegionOne's (same Keystone): glance-download.
IMPORT_METHODS_R2 = (*IMPORT_METHODS, "glance-download")
# What glance-download copies from the source image besides the data and formats
# (Glance's default for [glance_download_properties] extra_properties, written out).
GLANCE_DOWNLOAD_PROPERTIES = ("hw_", "trait:", "os_distro", "os_secure_boot", "os_type")
# server -> (cloud, region)
PLACES = {
    "keystone": (CLOUD, REGION),
    "glance": (CLOUD, REGION),
    "glance-r2": (CLOUD, REGION2),
    "keystone2": (CLOUD2, REGION),
    "glance2": (CLOUD2, REGION),
}


def etc_dir(service: str) -> Path:
    """Where a server's config files are (OS_KEYSTONE_CONFIG_DIR / OS_GLANCE_CONFIG_DIR)."""
    etc = dirs()["etc"]
    return etc if service in ("keystone", "glance") else etc / service


def data_dir(service: str) -> Path:
    """A server's keys (Keystone) or stores and cache (Glance)."""
    data = dirs()["data"]
    return {"keystone": data, "glance": data / "glance"}.get(service, data / service)


def _db(service: str) -> str:
    return f"sqlite:///{dirs()['data'] / service}.sqlite"


def _keystone_conf(service: str) -> str:
    keys, logs = data_dir(service), dirs()["logs"]
    return f"""\
[DEFAULT]
log_file = {logs}/{service}.log
[database]
connection = {_db(service)}
[fernet_tokens]
key_repository = {keys}/fernet-keys
[fernet_receipts]
key_repository = {keys}/fernet-receipts
[credential]
key_repository = {keys}/credential-keys
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


def _glance_conf(service: str) -> str:
    cloud, region = PLACES[service]
    kurl, g, logs = keystone_url(cloud), data_dir(service), dirs()["logs"]
    methods = IMPORT_METHODS_R2 if service == "glance-r2" else IMPORT_METHODS
    # web-download may fetch from the files server only; glance-download fetches from
    # RegionOne's Glance, which must pass the same filter.
    ports = [port("files"), *([port("glance")] if service == "glance-r2" else [])]
    # oslo.config list options declared with bounds=True need the [...].
    return f"""\
[DEFAULT]
log_file = {logs}/{service}.log
enabled_backends = {", ".join(f"{s}:file" for s in STORES)}
enabled_import_methods = [{",".join(methods)}]
# The image cache as devstack has it: the keystone+cachemanagement pipeline (the cache
# middleware tees every full download into the cache and serves later ones from it), the
# /v2/cache API, and the centralized_db driver, which names this server by its URL.
image_cache_dir = {g}/cache
image_cache_driver = centralized_db
worker_self_reference_url = {url(service)}
[database]
connection = {_db(service)}
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
# listed: allow only this cloud's files server (and, in RegionTwo, RegionOne's Glance).
allowed_schemes = [http]
allowed_hosts = [{HOST}]
allowed_ports = [{",".join(map(str, ports))}]
[glance_download_properties]
extra_properties = [{",".join(GLANCE_DOWNLOAD_PROPERTIES)}]
[paste_deploy]
flavor = keystone+cachemanagement
config_file = {etc_dir(service)}/glance-api-paste.ini
[keystone_authtoken]
www_authenticate_uri = {kurl}
auth_url = {kurl}
auth_type = password
username = glance
password = {GLANCE_SERVICE_PASSWORD}
project_name = service
user_domain_name = Default
project_domain_name = Default
# Keystone's own region (every cloud has its identity endpoint in RegionOne), not this
# Glance's ({region})
region_name = {REGION}
# keystonemiddleware otherwise looks for an *internal* identity endpoint
interface = public
[oslo_concurrency]
lock_path = {g}/locks
[oslo_messaging_notifications]
driver = noop
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def write(bin_dir: Path) -> dict[str, tuple[Path, ...]]:
    """Write every config file; returns the files each server reads at start."""
    # The paste pipeline ships with glance in <venv>/etc/glance.
    paste = (bin_dir.parent / "etc" / "glance" / "glance-api-paste.ini").read_text()
    out: dict[str, tuple[Path, ...]] = {}
    for service in SERVICES:
        etc = etc_dir(service)
        if kind(service) == "keystone":
            out[service] = (_write(etc / "keystone.conf", _keystone_conf(service)),)
        elif kind(service) == "glance":
            for sub in ("images", "images-fs2", "staging", "tasks", "locks", "cache"):
                (data_dir(service) / sub).mkdir(parents=True, exist_ok=True)
            out[service] = (
                _write(etc / "glance-api.conf", _glance_conf(service)),
                _write(etc / "glance-api-paste.ini", paste),
            )
        else:
            out[service] = ()
    return out


def _new_keys(repository: Path) -> None:
    """Two Fernet keys (0 staged, 1 primary), as `keystone-manage fernet_setup` (tokens and
    receipts) or `credential_setup` leaves them, without its 5 s of start-up: 32 random bytes each,
    urlsafe-base64 (cryptography's Fernet.generate_key()), 0600 in a 0700 folder."""
    repository.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in ("0", "1"):
        fd = os.open(repository / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(base64.urlsafe_b64encode(os.urandom(32)))


def _template(bin_dir: Path, program: str) -> Path:
    """A pristine DB for every server of a program: Keystone's schema, or Glance's schema and
    the metadef catalogue. Made once; each server's DB starts as a copy of it."""
    folder = dirs()["data"] / "templates"
    db, stamp = folder / f"{program}.sqlite", dirs()["stamps"] / f"template-{program}"
    if stamp.exists() and db.exists():
        return db
    folder.mkdir(exist_ok=True)
    db.unlink(missing_ok=True)
    conf = _write(folder / f"{program}.conf", f"[database]\nconnection = sqlite:///{db}\n")
    manage, logname = [str(bin_dir / f"{program}-manage"), "--config-file", str(conf)], \
        f"setup-template-{program}.log"
    log(f"{program}: db_sync{' and db_load_metadefs' if program == 'glance' else ''} (template)")
    run([*manage, "db_sync"], logname)
    if program == "glance":
        run([*manage, "db_load_metadefs", str(_metadefs(bin_dir))], logname)
    stamp.touch()
    return db


def _metadefs(bin_dir: Path) -> Path:
    # The standard catalogue (OS::Compute::..., ...) as glance ships it.
    return bin_dir.parent / "etc" / "glance" / "metadefs"


def _new_server(bin_dir: Path, service: str, template: Path) -> None:
    """A server's DB from the template; a Keystone also gets its keys and its admin."""
    stamps = dirs()["stamps"]
    shutil.copyfile(template, dirs()["data"] / f"{service}.sqlite")
    if kind(service) == "glance":
        (stamps / f"{service}-metadefs").touch()
    else:
        cloud = PLACES[service][0]
        log(f"{service}: fernet/credential keys, bootstrap admin")
        for repository in ("fernet-keys", "fernet-receipts", "credential-keys"):
            _new_keys(data_dir(service) / repository)
        kconf = ["--config-file", str(etc_dir(service) / "keystone.conf")]
        run([str(bin_dir / "keystone-manage"), *kconf, "bootstrap",
             "--bootstrap-username", "admin",
             "--bootstrap-password", users(cloud)["admin"][0],
             "--bootstrap-project-name", "admin",
             "--bootstrap-role-name", "admin",
             "--bootstrap-service-name", "keystone",
             "--bootstrap-region-id", REGION,
             "--bootstrap-public-url", keystone_url(cloud),
             "--bootstrap-internal-url", keystone_url(cloud)], f"setup-{service}.log")  # fmt: skip
    (stamps / service).touch()


def _load_metadefs(bin_dir: Path, service: str) -> None:
    """Load the metadef catalogue into a Glance DB made before devcloud loaded it. Namespaces
    that exist are skipped, so a rerun changes nothing."""
    log(f"{service}: db_load_metadefs")
    conf = str(etc_dir(service) / "glance-api.conf")
    run([str(bin_dir / "glance-manage"), "--config-file", conf, "db_load_metadefs",
         str(_metadefs(bin_dir))], f"setup-{service}.log")  # fmt: skip
    (dirs()["stamps"] / f"{service}-metadefs").touch()


def bootstrap(bin_dir: Path) -> None:
    """One-time DB, key and metadef setup of every server; each step stamped so a later `up`
    skips it. The setup commands cost ~5 s of imports each: one db_sync per program (the
    templates), copies for the servers, and the two programs side by side."""
    stamps = dirs()["stamps"]
    new = [s for s in SERVICES if kind(s) != "files" and not (stamps / s).exists()]
    old_glances = [s for s in SERVICES if kind(s) == "glance" and s not in new
                   and not (stamps / f"{s}-metadefs").exists()]  # fmt: skip
    programs = {kind(s) for s in new}
    with concurrent.futures.ThreadPoolExecutor(len(SERVICES)) as pool:
        jobs = [pool.submit(_load_metadefs, bin_dir, s) for s in old_glances]
        templates = {pool.submit(_template, bin_dir, p): p for p in sorted(programs)}
        for done in concurrent.futures.as_completed(templates):  # Keystone's is ready first
            for service in (s for s in new if kind(s) == templates[done]):
                jobs.append(pool.submit(_new_server, bin_dir, service, done.result()))
        for job in jobs:
            job.result()
