"""The clouds.yaml naming every devcloud cloud and user, for imgcli and openstack.

Written to $DEVCLOUD_HOME/clouds.yaml by `up` and `seed` (OS_CLIENT_CONFIG_FILE, printed by
`cloud.py env`, points at it); `cloud.py clouds-yaml --copy-to clouds.yaml` (make demo) also
puts a copy where both clients look first, the current directory, unless a clouds.yaml of
someone else's is there. Nothing is written into the user's home.

Clouds: `devcloud` (admin; RegionOne by default, RegionTwo with --os-region-name),
`devcloud-demo`, `devcloud-alt-demo`, `devcloud2` (admin) and `devcloud2-demo`.
"""

from __future__ import annotations

import json
from pathlib import Path

from devcloud.common import CLOUD, CLOUDS, clouds_yaml_path, keystone_url, users

HEADER = "# Written by devcloud (python3 devcloud/cloud.py up|seed|clouds-yaml): do not edit.\n"


def entries() -> dict[str, tuple[str, str]]:
    """clouds.yaml cloud name -> (devcloud cloud, user)."""
    out = {}
    for cloud in CLOUDS:
        for user in users(cloud):
            suffix = "" if user == "admin" else "-" + user.replace("_", "-")
            out[f"{cloud}{suffix}"] = (cloud, user)
    return out


def text() -> str:
    q = json.dumps  # a JSON string is a valid YAML scalar, quoted where it must be
    lines = [HEADER, "clouds:\n"]
    for name, (cloud, user) in entries().items():
        password, project = users(cloud)[user]
        regions = list(CLOUDS[cloud][1])
        lines += [
            f"  {name}:\n",
            "    auth:\n",
            f"      auth_url: {q(keystone_url(cloud))}\n",
            f"      username: {q(user)}\n",
            f"      password: {q(password)}\n",
            f"      project_name: {q(project)}\n",
            "      user_domain_name: Default\n",
            "      project_domain_name: Default\n",
            # `regions`: the first is the default; --os-region-name picks another listed one.
            f"    regions: [{', '.join(regions)}]\n",
            "    interface: public\n",
            "    identity_api_version: '3'\n",
        ]
    return "".join(lines)


def write() -> Path:
    """Write $DEVCLOUD_HOME/clouds.yaml (only when its text changed); returns its path."""
    path = clouds_yaml_path()
    body = text()
    if not path.exists() or path.read_text() != body:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    return path


def copy_to(target: Path) -> str:
    """Copy the clouds.yaml to `target` unless a file there was not written by devcloud."""
    source = write()
    if target.exists() and not target.read_text(errors="replace").startswith(HEADER):
        return f"left {target} alone (not written by devcloud); use OS_CLIENT_CONFIG_FILE={source}"
    target.write_text(source.read_text())
    return f"wrote {target} (clouds: {', '.join(entries())}; default region of {CLOUD}: " \
        f"{next(iter(CLOUDS[CLOUD][1]))})"
