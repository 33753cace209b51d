"""imgcli against devcloud's real Keystone + Glance, as admin and as demo.

Expected listings come from devcloud's seed definitions (cloud.seed_images()) and Glance's
visibility rules, not from hard-coded name lists.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

cloud = sys.modules["devcloud_cloud"]  # loaded by conftest.py
SEED = cloud.seed_images()
BY_NAME = {s.name: s for s in SEED}
USERS = ("admin", "demo")
SEED_RUN_NAMES = ("cirros-0.5.1-x86_64-disk", "cirros-0.5.2-x86_64-disk",
                  "trove-guest-ubuntu-focal")


# ------------------------------------------------------------------ the seed as Glance shows it

def status(s: Any) -> str:
    return "queued" if s.data is None else "deactivated" if s.deactivate else "active"


def size(s: Any) -> int | None:
    return None if s.data is None else len(s.data)


def image_id(name: str) -> str:
    return str(uuid.uuid5(cloud.ID_NAMESPACE, name))


def project(user: str) -> str:
    return cloud.USERS[user][1]


def listed(user: str, visibility: str | None = None, member_status: str = "accepted",
           hidden: bool = False) -> list[Any]:
    """What Glance lists for `user` (admin sees everything), in name order."""
    out = []
    for s in SEED:
        if bool(s.props.get("os_hidden")) != hidden:
            continue  # os_hidden=true lists only hidden images; without it none
        if visibility not in (None, "all") and s.visibility != visibility:
            continue
        mine = project(s.owner) == project(user)
        if user != "admin" and not mine:
            if s.visibility == "private":
                continue
            if s.visibility == "community" and visibility not in ("community", "all"):
                continue
            member = s.members.get(project(user))
            if s.visibility == "shared" and (member is None
                                              or member_status not in ("all", member)):
                continue
        out.append(s)
    return sorted(out, key=lambda s: s.name.encode())  # SQLite's byte order


def after(name: str) -> Callable[[list[str]], list[str]]:
    return lambda names: names[names.index(name) + 1:]


def first(n: int) -> Callable[[list[str]], list[str]]:
    return lambda names: names[:n]


def md5(name: str) -> str:
    return hashlib.md5(BY_NAME[name].data).hexdigest()


@dataclass
class Case:
    args: tuple[str, ...]
    where: Callable[[Any], bool] = lambda s: True
    visibility: str | None = None
    member_status: str = "accepted"
    hidden: bool = False
    order: Callable[[list[str]], list[str]] = lambda names: names
    users: tuple[str, ...] = field(default=USERS)

    def expected(self, user: str) -> list[str]:
        images = listed(user, self.visibility, self.member_status, self.hidden)
        return self.order([s.name for s in images if self.where(s)])


CASES = [
    Case(()),
    *(Case((f"--{v}",), visibility=v) for v in ("public", "private", "community", "shared",
                                                   "all")),
    Case(("--name", "cirros-0.5.2-x86_64-disk"), lambda s: s.name == "cirros-0.5.2-x86_64-disk"),
    Case(("--name", 'Ünïcode 画像 "quoted", comma'), lambda s: s.name.startswith("Ünï")),
    Case(("--status", "deactivated"), lambda s: status(s) == "deactivated"),
    Case(("--status", "queued"), lambda s: status(s) == "queued"),
    Case(("--tag", "trove"), lambda s: "trove" in s.tags),
    Case(("--tag", "filler", "--tag", "even"), lambda s: {"filler", "even"} <= set(s.tags)),
    Case(("--property", "hw_rng_model=virtio"),
         lambda s: s.props.get("hw_rng_model") == "virtio"),
    Case(("--property", "os_distro=ubuntu", "--property", "os_version=22.04"),
         lambda s: (s.props.get("os_distro"), s.props.get("os_version")) == ("ubuntu", "22.04")),
    *(Case(("--member-status", m), member_status=m) for m in ("pending", "accepted", "all")),
    Case(("--shared", "--member-status", "pending"), visibility="shared",
         member_status="pending"),
    Case(("--all", "--member-status", "all"), visibility="all", member_status="all"),
    Case(("--project", "demo"), lambda s: s.owner == "demo"),
    Case(("--project", "{demo_project}"), lambda s: s.owner == "demo"),
    Case(("--project", "{admin_project}"), lambda s: s.owner == "admin"),
    # demo may not look names up in Keystone (403): like openstackclient, the name is sent as is
    Case(("--project", "admin"), lambda s: s.owner == "admin", users=("admin",)),
    Case(("--project", "admin"), lambda s: False, users=("demo",)),
    Case(("--hidden",), hidden=True),
    Case(("--hidden", "--private"), hidden=True, visibility="private"),
    Case(("--sort", "name:desc"), order=lambda names: names[::-1]),
    Case(("--all", "--sort", "name:desc"), visibility="all", order=lambda names: names[::-1]),
    Case(("--limit", "3"), order=first(3)),
    Case(("--max-items", "4"), order=first(4)),
    Case(("--limit", "5", "--max-items", "2"), order=first(2)),
    Case(("--limit", "0")),  # no limit, as in openstackclient
    Case(("--max-items", "0"), order=first(0)),
    Case(("--sort", "name:desc", "--limit", "3"), order=lambda names: names[::-1][:3]),
    Case(("--marker", image_id("filler-05")), order=after("filler-05")),
    Case(("--marker", "filler-05"), order=after("filler-05")),
    Case(("--marker", "filler-05", "--max-items", "2"),
         order=lambda names: after("filler-05")(names)[:2]),
    Case(("--size-min", "100", "--size-max", "1000"),
         lambda s: size(s) is not None and 100 <= size(s) <= 1000),
    Case(("--protected",), lambda s: bool(s.props.get("protected"))),
    Case(("--unprotected",), lambda s: not s.props.get("protected")),
    Case(("--disk-format", "qcow2"), lambda s: s.disk_format == "qcow2"),
    Case(("--disk-format", "qcow2", "--disk-format", "vmdk"),
         lambda s: s.disk_format in ("qcow2", "vmdk")),
    Case(("--container-format", "ovf"), lambda s: s.container_format == "ovf"),
    Case(("--id", image_id("raw-size-9")), lambda s: s.name == "raw-size-9"),
    Case(("--id", image_id("raw-size-9"), "--id", image_id("demo-private-image")),
         lambda s: s.name in ("raw-size-9", "demo-private-image")),
    Case(("--checksum", md5("cirros-0.5.1-x86_64-disk")),
         lambda s: s.data == BY_NAME["cirros-0.5.1-x86_64-disk"].data),
    Case(("--tag", "filler", "--size-min", "200", "--sort", "name:desc", "--limit", "3"),
         lambda s: "filler" in s.tags and size(s) >= 200, order=lambda names: names[::-1][:3]),
]
MATRIX = [pytest.param(user, case, id=f"{user}:{' '.join(case.args) or 'default'}")
          for case in CASES for user in case.users]


# ------------------------------------------------------------------------------- running

def imgcli(devcloud: Any, home: Path, user: str | None, *args: str,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {"PATH": os.environ["PATH"], "HOME": str(home),
                "XDG_CACHE_HOME": str(home / "cache"),
                **(getattr(devcloud, f"{user}_env") if user else {}), **(env or {})}
    return subprocess.run([sys.executable, "-m", "imgcli", *args], env=full_env, cwd=home,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def har(path: Path) -> list[tuple[str, str, int]]:
    entries = json.loads(path.read_text())["log"]["entries"]
    return [(e["request"]["method"], e["request"]["url"], e["response"]["status"])
            for e in entries]


@pytest.fixture(scope="module")
def facts(devcloud: Any) -> dict[str, str]:
    (admin_token, admin), (_, demo) = devcloud.login("admin"), devcloud.login("demo")
    return {"admin_token": admin_token, "admin_project": admin["project"]["id"],
            "demo_project": demo["project"]["id"]}


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One home per user, shared by the module: after the first run the token is cached."""
    return {user: tmp_path_factory.mktemp(user) for user in USERS}


def names_of(stdout: str) -> list[str]:
    return [row["Name"] for row in json.loads(stdout)]


# ----------------------------------------------------------------------------- seed flow

def test_seed_flow_is_four_round_trips(devcloud: Any, tmp_path: Path) -> None:
    out = ok(imgcli(devcloud, tmp_path, "admin", "--no-cache", "--trace", "out.har",
                    "image", "list", "--all"))
    entries = har(tmp_path / "out.har")
    assert [(method, url.partition("?")[0], code) for method, url, code in entries] == [
        ("GET", devcloud.keystone_url, 300),
        ("POST", f"{devcloud.keystone_url}/v3/auth/tokens", 201),
        ("GET", devcloud.glance_url, 300),
        ("GET", f"{devcloud.glance_url}/v2/images", 200)]
    assert "visibility=all" in entries[3][1].partition("?")[2].split("&")
    assert set(SEED_RUN_NAMES) <= {name for _, name, _ in parse("table", out)}


def test_warm_run_makes_one_request(devcloud: Any, tmp_path: Path) -> None:
    ok(imgcli(devcloud, tmp_path, "admin", "image", "list", "--all"))
    out = ok(imgcli(devcloud, tmp_path, "admin", "--trace", "warm.har", "image", "list", "--all",
                    "-f", "json"))
    [(method, url, code)] = har(tmp_path / "warm.har")
    assert (method, code) == ("GET", 200) and url.startswith(f"{devcloud.glance_url}/v2/images?")
    assert names_of(out) == [s.name for s in listed("admin", "all")]


# ------------------------------------------------------------------ filters, both users

@pytest.mark.parametrize(("user", "case"), MATRIX)
def test_filter(devcloud: Any, homes: dict[str, Path], facts: dict[str, str], user: str,
                case: Case) -> None:
    args = [arg.format(**facts) for arg in case.args]
    out = ok(imgcli(devcloud, homes[user], user, "image", "list", *args, "-f", "json"))
    assert names_of(out) == case.expected(user)


@pytest.mark.parametrize("user", USERS)
def test_sort_size_is_numeric(devcloud: Any, homes: dict[str, Path], user: str) -> None:
    rows = json.loads(ok(imgcli(devcloud, homes[user], user, "image", "list", "--sort", "size",
                                "--long", "-f", "json")))
    sizes = [row["Size"] for row in rows]
    expected = [size(s) for s in listed(user)]
    assert sizes == sorted(expected, key=lambda n: (n is not None, n or 0))  # NULL first
    assert {row["Name"] for row in rows} == {s.name for s in listed(user)}
    raw = [row["Name"] for row in rows if row["Name"].startswith("raw-size-")]
    assert raw == ["raw-size-9", "raw-size-10", "raw-size-100", "raw-size-1000"]
    desc = [row["Size"] for row in json.loads(ok(imgcli(
        devcloud, homes[user], user, "image", "list", "--sort", "size:desc", "--long",
        "-f", "json")))]
    assert desc == sizes[::-1]


@pytest.mark.parametrize("user", USERS)
def test_created_at(devcloud: Any, homes: dict[str, Path], facts: dict[str, str],
                    user: str) -> None:
    r = requests.get(f"{devcloud.glance_url}/v2/images?visibility=all&limit=1000",
                     headers={"X-Auth-Token": facts["admin_token"]}, timeout=30)
    created = {image["name"]: image["created_at"] for image in r.json()["images"]}
    cut = sorted(set(created.values()))[len(set(created.values())) // 2]
    # Glance shows whole seconds but stores microseconds: `gt:` a shown second keeps the
    # images created during it.
    for op, keep in (("gt", lambda t: t >= cut), ("lte", lambda t: t < cut)):
        out = ok(imgcli(devcloud, homes[user], user, "image", "list", "--created-at",
                        f"{op}:{cut}", "-f", "json"))
        assert names_of(out) == [s.name for s in listed(user) if keep(created[s.name])], op
    far = ok(imgcli(devcloud, homes[user], user, "image", "list", "--created-at",
                    "gt:2999-01-01T00:00:00Z", "-f", "json"))
    assert names_of(far) == []


@pytest.mark.parametrize("user", USERS)
def test_long_columns_match_the_seed(devcloud: Any, homes: dict[str, Path],
                                     facts: dict[str, str], user: str) -> None:
    rows = json.loads(ok(imgcli(devcloud, homes[user], user, "image", "list", "--long",
                                "-f", "json")))
    assert list(rows[0]) == ["ID", "Name", "Disk Format", "Container Format", "Size",
                             "Checksum", "Status", "Visibility", "Protected", "Project",
                             "Hash Algorithm", "Hash Value", "Tags"]
    for row, s in zip(rows, listed(user), strict=True):
        assert (row["ID"], row["Name"], row["Disk Format"], row["Container Format"],
                row["Size"], row["Checksum"], row["Status"], row["Visibility"],
                row["Protected"], row["Project"], sorted(row["Tags"])) == (
            image_id(s.name), s.name, s.disk_format, s.container_format, size(s),
            s.data and hashlib.md5(s.data).hexdigest(), status(s), s.visibility,
            bool(s.props.get("protected")), facts[f"{project(s.owner)}_project"],
            sorted(s.tags))
        assert row["Hash Algorithm"] == ("sha512" if s.data else None)
        assert row["Hash Value"] == (hashlib.sha512(s.data).hexdigest() if s.data else None)


def parse(fmt: str, text: str) -> list[tuple[str, str, str]]:
    if fmt == "json":
        return [(r["ID"], r["Name"], r["Status"]) for r in json.loads(text)]
    if fmt == "yaml":
        return [(r["ID"], r["Name"], r["Status"]) for r in yaml.safe_load(text)]
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["ID", "Name", "Status"]
        return [tuple(row) for row in rows[1:]]
    if fmt == "value":  # space-separated: the ID has no spaces, the status is the last word
        return [(line[:36], line[37:].rpartition(" ")[0], line.rpartition(" ")[2])
                for line in text.splitlines()]
    lines = text.splitlines()
    assert lines[0] == lines[2] == lines[-1] and lines[0].startswith("+-")
    assert [c.strip() for c in lines[1].strip("|").split("|")] == ["ID", "Name", "Status"]
    return [tuple(c.strip() for c in line[1:-1].split(" | ")) for line in lines[3:-1]]


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "value", "yaml"])
@pytest.mark.parametrize("user", USERS)
def test_formats(devcloud: Any, homes: dict[str, Path], user: str, fmt: str) -> None:
    out = ok(imgcli(devcloud, homes[user], user, "image", "list", "-f", fmt))
    assert parse(fmt, out) == [(image_id(s.name), s.name, status(s)) for s in listed(user)]


# ------------------------------------------------------------------------------- paging

@pytest.mark.parametrize("user", USERS)
def test_page_size_lists_the_same_rows(devcloud: Any, homes: dict[str, Path],
                                       user: str) -> None:
    home = homes[user]
    default = ok(imgcli(devcloud, home, user, "image", "list", "--all", "-f", "json"))
    paged = ok(imgcli(devcloud, home, user, "--trace", "paged.har", "image", "list", "--all",
                      "--page-size", "5", "-f", "json"))
    assert json.loads(paged) == json.loads(default)
    n = len(json.loads(default))
    assert n > 25  # more than Glance's default page, too
    lists = [(u, code) for _, u, code in har(home / "paged.har") if "/v2/images" in u]
    assert len(lists) == (math.ceil(n / 5) if n % 5 else n // 5 + 1)
    assert {code for _, code in lists} == {200} and all("limit=5" in u for u, _ in lists)


# ------------------------------------------------------------------------------- failures

def test_wrong_password_is_exit_3_on_one_line(devcloud: Any, tmp_path: Path) -> None:
    wrong = "Wrong-Pa55word-xyzzy"
    r = imgcli(devcloud, tmp_path, "admin", "--no-cache", "image", "list",
               env={"OS_PASSWORD": wrong})
    assert r.returncode == 3, r.stderr
    assert r.stdout == "" and len(r.stderr.strip().splitlines()) == 1
    assert wrong not in r.stderr and devcloud.admin_env["OS_PASSWORD"] not in r.stderr


def test_region_without_endpoint_is_exit_2(devcloud: Any, tmp_path: Path) -> None:
    r = imgcli(devcloud, tmp_path, "admin", "--os-region-name", "Nowhere", "image", "list")
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Nowhere" in r.stderr and "RegionOne" in r.stderr


def test_token_and_endpoint_make_one_request(devcloud: Any, tmp_path: Path,
                                             facts: dict[str, str]) -> None:
    token = facts["admin_token"]
    out = ok(imgcli(devcloud, tmp_path, None, "--os-token", token, "--os-endpoint",
                    devcloud.glance_url, "--trace", "t.har", "image", "list", "-f", "json"))
    [(method, url, code)] = har(tmp_path / "t.har")
    assert (method, code) == ("GET", 200) and url.startswith(f"{devcloud.glance_url}/v2/images?")
    assert names_of(out) == [s.name for s in listed("admin")]
    assert token not in (tmp_path / "t.har").read_text()


# ------------------------------------------------------------------- auth types, for real

AUTH_KEYS = ("OS_USERNAME", "OS_PASSWORD", "OS_USER_DOMAIN_NAME")


@pytest.fixture(scope="module")
def app_credential(devcloud: Any) -> dict[str, str]:
    """A real application credential of admin's, made through Keystone's API."""
    token, body = devcloud.login("admin")
    user_id = body["user"]["id"]
    name = f"imgcli-test-{uuid.uuid4().hex[:8]}"
    r = requests.post(f"{devcloud.keystone_url}/v3/users/{user_id}/application_credentials",
                      json={"application_credential": {"name": name}},
                      headers={"X-Auth-Token": token}, timeout=30)
    assert r.status_code == 201, r.text
    credential = r.json()["application_credential"]
    yield {"id": credential["id"], "name": name, "secret": credential["secret"],
           "user_id": user_id}
    requests.delete(f"{devcloud.keystone_url}/v3/users/{user_id}/application_credentials/"
                    f"{credential['id']}", headers={"X-Auth-Token": token}, timeout=30)


def without_password(devcloud: Any, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in devcloud.admin_env.items() if k not in AUTH_KEYS}
    env = {k: v for k, v in env.items() if not k.startswith("OS_PROJECT")}
    return {**{k: "" for k in AUTH_KEYS}, **env, **extra}


@pytest.mark.parametrize("by", ["id", "name"])
def test_application_credential_against_keystone(devcloud: Any, tmp_path: Path,
                                                 app_credential: dict[str, str],
                                                 by: str) -> None:
    env = without_password(devcloud, OS_AUTH_TYPE="v3applicationcredential",
                           OS_APPLICATION_CREDENTIAL_SECRET=app_credential["secret"])
    if by == "id":
        env["OS_APPLICATION_CREDENTIAL_ID"] = app_credential["id"]
    else:
        env.update(OS_APPLICATION_CREDENTIAL_NAME=app_credential["name"],
                   OS_USER_ID=app_credential["user_id"])
    r = imgcli(devcloud, tmp_path, None, "--trace", "t.md", "image", "list", "-f", "json",
               env=env)
    assert names_of(ok(r)) == [s.name for s in listed("admin")]
    assert app_credential["secret"] not in (tmp_path / "t.md").read_text() + r.stderr


def test_rejected_application_credential_is_exit_3(devcloud: Any, tmp_path: Path,
                                                   app_credential: dict[str, str]) -> None:
    env = without_password(devcloud, OS_AUTH_TYPE="v3applicationcredential",
                           OS_APPLICATION_CREDENTIAL_ID=app_credential["id"],
                           OS_APPLICATION_CREDENTIAL_SECRET="not-the-secret-123")
    r = imgcli(devcloud, tmp_path, None, "--no-cache", "image", "list", env=env)
    assert r.returncode == 3 and len(r.stderr.strip().splitlines()) == 1
    assert "not-the-secret-123" not in r.stderr


@pytest.mark.parametrize("auth_type", ["token", "v3token"])
def test_token_auth_against_keystone(devcloud: Any, tmp_path: Path, auth_type: str) -> None:
    token, _ = devcloud.login("admin")
    env = without_password(devcloud, OS_AUTH_TYPE=auth_type, OS_TOKEN=token,
                           OS_PROJECT_NAME="admin", OS_PROJECT_DOMAIN_NAME="Default")
    r = imgcli(devcloud, tmp_path, None, "--no-cache", "image", "list", "-f", "json", env=env)
    assert names_of(ok(r)) == [s.name for s in listed("admin")]


def test_v3password_against_keystone(devcloud: Any, tmp_path: Path) -> None:
    r = imgcli(devcloud, tmp_path, "admin", "--no-cache", "--os-auth-type", "v3password",
               "--trace", "t.har", "image", "list", "-f", "json")
    assert names_of(ok(r)) == [s.name for s in listed("admin")]
    first = har(tmp_path / "t.har")[0]
    assert first[:2] == ("POST", f"{devcloud.keystone_url}/v3/auth/tokens")
