"""Integration tests run against devcloud: a real Keystone + Glance on 127.0.0.1.

The session fixture reuses a cloud that is already up (and leaves it up);
when it had to start the servers itself, it stops them at the end. The first
run ever installs Keystone and Glance into .devcloud/venv: minutes.
Deselect these tests with `-m "not integration"`.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def _load_cloud() -> ModuleType:
    # devcloud/ is a script folder, not a package: import cloud.py by path.
    spec = importlib.util.spec_from_file_location("devcloud_cloud", REPO / "devcloud" / "cloud.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


cloud = _load_cloud()


@dataclass(frozen=True)
class Devcloud:
    keystone_url: str
    glance_url: str
    admin_env: dict[str, str]
    demo_env: dict[str, str]

    def login(self, user: str = "admin") -> tuple[str, dict[str, Any]]:
        """A password token for `user`, straight from Keystone: (token, token body)."""
        import requests

        env = self.admin_env if user == "admin" else self.demo_env
        user_ref = {"name": env["OS_USERNAME"], "password": env["OS_PASSWORD"],
                    "domain": {"name": env["OS_USER_DOMAIN_NAME"]}}
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": user_ref}},
            "scope": {"project": {"name": env["OS_PROJECT_NAME"],
                                  "domain": {"name": env["OS_PROJECT_DOMAIN_NAME"]}}}}}
        r = requests.post(f"{env['OS_AUTH_URL']}/v3/auth/tokens", json=body, timeout=30)
        assert r.status_code == 201, r.text
        return r.headers["X-Subject-Token"], r.json()["token"]

    @cached_property
    def clients_bin(self) -> Path:
        """bin/ of the python-openstackclient/glanceclient venv (made on first use)."""
        return cloud.clients()


def _any_server_alive() -> bool:
    # Alive, answering or not: a busy shared server may answer slowly and still be someone's.
    return any(cloud._pid(service) is not None for service in cloud.SERVICES)


@pytest.fixture(scope="session")
def devcloud() -> Iterator[Devcloud]:
    was_alive, started = _any_server_alive(), False
    try:
        started = cloud.up()
        cloud.seed()
        yield Devcloud(
            keystone_url=cloud.keystone_url(),
            glance_url=cloud.glance_url(),
            admin_env=cloud.env("admin"),
            demo_env=cloud.env("demo"),
        )
    except BaseException:
        # up() or seed() failed: stop a half-started cloud, never one that ran before us.
        started = started or not was_alive
        raise
    finally:
        if started:
            cloud.down()


@pytest.fixture(scope="session")
def osc_bin(devcloud: Devcloud) -> Path:
    return devcloud.clients_bin
