"""Find and read clouds.yaml / secure.yaml the way openstacksdk does, without importing it.

The rules are openstacksdk's (openstack/config/loader.py) and osc-lib's (osc_lib/cli/
client_config.py, what `openstack` itself runs) unless a comment says otherwise.

Imports: imgcli.errors.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgcli.errors import ConfigError

# openstacksdk's last search directory (UNIX_SITE_CONFIG_HOME); a module-level tuple so that
# tests can point it at a temporary directory instead of needing root.
SITE_DIRS: tuple[str, ...] = ("/etc/openstack",)
SUFFIXES = (".yaml", ".yml", ".json")

AUTH_KEYS = (
    "auth_url", "username", "user_id", "password", "project_name", "project_id",
    "user_domain_name", "user_domain_id", "project_domain_name", "project_domain_id",
    "domain_name", "domain_id", "application_credential_id", "application_credential_name",
    "application_credential_secret", "token", "system_scope",
)  # fmt: skip
TOP_KEYS = (
    "auth_type", "region_name", "interface", "identity_api_version", "image_api_version",
    "verify", "cacert", "cert", "key", "insecure", "api_timeout", "default_domain",
)  # fmt: skip
# Spellings scanned in order, the last one present winning (openstacksdk _fix_backwards_auth,
# _fix_backwards_auth_plugin; for interface, its defaults put `interface` first, so
# `endpoint_type` wins whenever both are given).
ALIASES = {
    "project_id": ("tenant_id", "project_id"),
    "project_name": ("tenant_name", "project_name"),
    "token": ("auth_token", "token"),
    "auth_type": ("auth_plugin", "auth_type"),
    "interface": ("interface", "endpoint_type"),
}
BOOL_KEYS = ("verify", "insecure")
# openstacksdk's words for verify/insecure (anything else under verify is a CA bundle path),
# which are fewer than the ones imgcli's own settings take (imgcli.config.TRUE_WORDS).
SDK_TRUE, SDK_FALSE = ("true", "yes", "1"), ("false", "no", "0")
# OS_* variables that only select or locate a cloud; any other OS_* variable makes openstacksdk
# build its "envvars" cloud (loader._get_os_environ).
SELECTOR_VARS = frozenset(
    {"OS_CLOUD", "OS_REGION_NAME", "OS_CLIENT_CONFIG_FILE", "OS_CLIENT_SECURE_FILE",
     "OS_CLOUD_NAME"}
)  # fmt: skip

Sourced = tuple[Any, str]  # a value and the file it came from


@dataclass(frozen=True)
class CloudConfig:
    name: str
    settings: dict[str, object]
    sources: dict[str, str]
    regions: tuple[str, ...]


def search_dirs(env: Mapping[str, str], cwd: str | None = None) -> list[str]:
    """openstacksdk's CONFIG_SEARCH_PATH, computed from `env` instead of os.environ."""
    home = env.get("HOME") or os.path.expanduser("~")
    # platformdirs user_config_dir: $XDG_CONFIG_HOME only when absolute, as the XDG spec says.
    xdg_home = env.get("XDG_CONFIG_HOME", "")
    user = os.path.join(xdg_home if os.path.isabs(xdg_home) else f"{home}/.config", "openstack")
    # UNIX_CONFIG_HOME is searched too (it differs when XDG_CONFIG_HOME is set); snaps keep the
    # real home in SNAP_REAL_HOME.
    unix = os.path.join(env.get("SNAP_REAL_HOME") or home, ".config", "openstack")
    # platformdirs site_config_dir(multipath=True) joins every XDG_CONFIG_DIRS entry with ":",
    # a path that can only exist when there is exactly one entry.
    xdg_dirs = [d for d in env.get("XDG_CONFIG_DIRS", "").split(":") if os.path.isabs(d)]
    site = [os.path.join((xdg_dirs or ["/etc/xdg"])[0], "openstack")] if len(xdg_dirs) < 2 else []
    return list(dict.fromkeys([cwd or os.getcwd(), user, unix, *site, *SITE_DIRS]))


def _find(
    env: Mapping[str, str], var: str, stem: str, dirs: list[str], cwd: str | None
) -> Path | None:
    override = env.get(var)
    if override:
        # openstacksdk falls back to the search when this file is missing; a named file that is
        # not there is a mistake we report instead.
        path = Path(cwd or os.getcwd(), override)
        if not os.path.exists(path):
            raise ConfigError(f"{var} names {path}, which does not exist")
        return path
    for directory in dirs:
        for suffix in SUFFIXES:
            path = Path(directory, stem + suffix)
            if os.path.exists(path):  # exists, not is_file: the first hit wins, like openstacksdk
                return path
    return None


def find_config_files(
    env: Mapping[str, str], cwd: str | None = None
) -> tuple[Path | None, Path | None]:
    """The clouds file and the secure file openstacksdk would read (None when absent)."""
    dirs = search_dirs(env, cwd)
    return (
        _find(env, "OS_CLIENT_CONFIG_FILE", "clouds", dirs, cwd),
        _find(env, "OS_CLIENT_SECURE_FILE", "secure", dirs, cwd),
    )


def _kind(value: object) -> str:
    names = {dict: "mapping", list: "list", str: "string", bool: "boolean", type(None): "nothing"}
    return names.get(type(value), "number" if isinstance(value, int | float) else "value")


def _mapping(value: object, what: str, where: str) -> dict[Any, Any]:
    if value is None:  # an empty section (`auth:` with nothing under it) holds nothing
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {what} must be a mapping, not {_kind(value)}")
    return value


def _parse(path: Path, kind: str) -> dict[Any, Any]:
    """The `clouds:` mapping of one file. Messages quote no file content: it may hold secrets."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"cannot read {kind} {path}: {err.strerror or err}") from None
    if str(path).endswith("json"):  # openstacksdk reads *json with json, which allows tabs
        import json

        try:
            doc = json.loads(data)
        except json.JSONDecodeError as err:
            raise ConfigError(
                f"{kind} is not valid JSON: {path} line {err.lineno}, "
                f"column {err.colno}: {err.msg}"
            ) from None
        except UnicodeDecodeError as err:
            raise ConfigError(f"{kind} is not valid JSON: {path}: {err.reason}") from None
    else:
        import yaml

        try:
            doc = yaml.safe_load(data)
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            at = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise ConfigError(
                f"{kind} is not valid YAML: {path}{at}: {err.problem or err.context}"
            ) from None
        except yaml.YAMLError as err:  # ReaderError: bytes that are not UTF-8/16 text
            reason = getattr(err, "reason", type(err).__name__)
            raise ConfigError(f"{kind} is not valid YAML: {path}: {reason}") from None
    # An empty file counts as found but holds no clouds; so does a file without `clouds:`.
    top = _mapping(doc, "the top level", f"{kind} {path}")
    return _mapping(top.get("clouds"), "'clouds'", f"{kind} {path}")


def has_env_cloud(env: Mapping[str, str]) -> bool:
    """Whether openstacksdk would build its "envvars" cloud from OS_* variables."""
    return any(
        k.startswith("OS_")
        and k not in SELECTOR_VARS
        and not k.startswith(("OS_TEST", "OS_STD", "OS_LOG"))
        for k in env
    )


def _value(key: str, value: Any) -> Any:
    if key in BOOL_KEYS and isinstance(value, str | int) and not isinstance(value, bool):
        word = str(value).lower()  # anything else under verify is a CA bundle path
        return True if word in SDK_TRUE else False if word in SDK_FALSE else value
    # openstacksdk normalize_keys: numbers become strings (so identity_api_version: 3 is "3",
    # a numeric password a string), except api_timeout.
    if isinstance(value, int | float) and not isinstance(value, bool) and key != "api_timeout":
        return str(value)
    return value


def _region_names(raw: object, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: 'regions' must be a list, not {_kind(raw)}")
    names = []
    for number, region in enumerate(raw, 1):
        if isinstance(region, dict):
            # openstacksdk _expand_regions: a dict entry needs `name`, may only add `values`.
            if "name" not in region or not set(region) <= {"name", "values"}:
                raise ConfigError(
                    f"{where}: regions entry {number} must have a 'name' and "
                    "nothing else but 'values'"
                )
            region = region["name"]
        names.append(str(region))
    return tuple(names)


def load_cloud(
    cloud_name: str | None, env: Mapping[str, str], cwd: str | None = None
) -> CloudConfig | None:
    """The named (or default) cloud's flat settings; None when no cloud is selected."""
    config_path, secure_path = find_config_files(env, cwd)
    files = [(config_path, "clouds.yaml"), (secure_path, "secure.yaml")]
    docs = [(str(path), kind, _parse(path, kind)) for path, kind in files if path]
    names = list(dict.fromkeys(name for _, _, clouds in docs for name in clouds))
    if not cloud_name:
        # openstacksdk: a lone cloud is the default, unless OS_* variables define one.
        if len(names) != 1 or has_env_cloud(env):
            return None
        cloud_name = names[0]
    if cloud_name not in names:
        if not docs:
            looked = ", ".join(search_dirs(env, cwd))
            raise ConfigError(f"cloud '{cloud_name}' not found: no clouds.yaml found in {looked}")
        known = ", ".join(sorted(map(str, names))) or "none"
        raise ConfigError(
            f"cloud '{cloud_name}' not found in "
            f"{', '.join(p for p, _, _ in docs)}; known clouds: {known}"
        )

    # secure.yaml is deep-merged over clouds.yaml (openstacksdk _util.merge_clouds); only the
    # top and auth levels matter here, and each value keeps the file it came from.
    top: dict[str, Sourced] = {}
    auth: dict[str, Sourced] = {}
    for path, kind, clouds in docs:
        if cloud_name not in clouds:
            continue
        where = f"{kind} {path}"
        entry = clouds[cloud_name]
        if not isinstance(entry, dict):
            raise ConfigError(
                f"{where}: cloud '{cloud_name}' must be a mapping, not {_kind(entry)}"
            )
        for key, value in entry.items():
            key = str(key).replace("-", "_")  # openstacksdk normalize_keys
            if key == "auth":
                for akey, avalue in _mapping(
                    value, "'auth'", f"{where}, cloud '{cloud_name}'"
                ).items():
                    auth[str(akey).replace("-", "_")] = (avalue, path)
            elif value is not None:
                top[key] = (value, path)

    profile = top.get("profile") or top.get("cloud")  # `cloud:` is its deprecated spelling
    if profile and profile[0]:
        # openstacksdk loads vendor profiles from its own vendor directory, which we don't ship.
        raise ConfigError(
            f"cloud '{cloud_name}' in {profile[1]} uses vendor profile "
            f"'{profile[0]}': vendor profiles are not supported; put auth_url "
            "(and region_name) in the cloud entry"
        )

    out: dict[str, Sourced] = {}
    for key in AUTH_KEYS:
        for alias in ALIASES.get(key, (key,)):
            # A top-level value beats the auth: one (osc-lib _validate_auth, openstacksdk
            # _fix_backwards_auth); empty values count as unset.
            for section in (auth, top):
                if alias in section and section[alias][0] not in (None, ""):
                    out[key] = section[alias]
    for key in TOP_KEYS:
        for alias in ALIASES.get(key, (key,)):
            if alias in top:
                out[key] = top[alias]

    # openstacksdk _handle_domain_id: on a project-scoped cloud a lone domain_id/domain_name
    # stands for user_domain_* and project_domain_*; otherwise it is the scope, and stays.
    if "project_id" in out or "project_name" in out:
        for short in ("domain_id", "domain_name"):
            if short in out:
                pair = out.pop(short)
                out.setdefault(f"user_{short}", pair)
                out.setdefault(f"project_{short}", pair)

    # openstacksdk _get_known_regions / _get_region: `regions:` (else region_name, a list or a
    # comma-separated string) lists the known regions, and with no region asked for the
    # first one is used, even over the cloud's own region_name.
    sources: dict[str, str] = {}
    if "regions" in top:
        raw, sources["regions"] = top["regions"]
        regions = _region_names(raw, f"cloud '{cloud_name}' in {sources['regions']}")
        out.pop("region_name", None)
        if regions:
            out["region_name"] = (regions[0], sources["regions"])
    elif "region_name" in out:
        raw, sources["regions"] = out.pop("region_name")
        listed = raw if isinstance(raw, list) else str(raw).split(",")
        regions = tuple(str(name) for name in listed if name not in (None, ""))
        if regions:
            out["region_name"] = (regions[0], sources["regions"])
    else:
        regions = ()

    settings = {key: _value(key, value) for key, (value, _) in out.items()}
    sources.update({key: source for key, (_, source) in out.items()})
    return CloudConfig(str(cloud_name), settings, sources, regions)
