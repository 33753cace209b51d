"""Differential tests: `imgcli image list ARGS` against `openstack image list ARGS`
(python-openstackclient 10.5.0) on devcloud, same env, same data.

JSON is compared as data, every other format as exact text. The README's deliberate
differences (--sort size and created_at, --limit, --max-items, --marker, --project as the
token's own project, --property on a built-in attribute) have their own tests below.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import requests
from osc_pair import run_pair

UNICODE = 'Ünïcode 画像 "quoted", comma'
MATRIX = [
    ("admin", ""),
    ("admin", "--public"),
    ("admin", "--private"),
    ("admin", "--community"),
    ("admin", "--shared"),
    ("admin", "--all --long"),
    ("admin", "--all --long -f json"),
    ("admin", "--long -f yaml"),
    ("admin", "--all --long -f csv"),
    ("admin", "--long -f value"),
    ("admin", "--property hw_rng_model=virtio --long"),
    ("admin", "--tag filler --tag even -f json"),
    ("admin", "--status deactivated"),
    ("admin", f"--name {shlex.quote(UNICODE)} --long"),
    ("admin", "--project demo --long"),
    ("admin", "--hidden --long -f json"),
    ("admin", "--sort name:desc"),
    ("admin", "--all --sort status"),
    ("admin", "--all --sort status:desc,name -f value"),
    ("admin", "-c Name -c Status -f csv"),
    ("admin", "--all --long -c Name -c Tags"),
    ("admin", "--tag no-such-tag -f csv"),  # nothing: header only
    ("demo", ""),
    ("demo", "--all --long -f json"),
    ("demo", "--shared"),
    ("demo", "--member-status pending"),
    ("demo", "--member-status all --long -f yaml"),
    ("demo", "--shared --member-status all -f csv"),
    ("demo", "--community --long"),
    ("demo", "--private --long -f value"),
    ("demo", "--sort name:desc -f json"),
    ("demo", "--hidden -c ID -c Name"),
    ("demo", "--status queued"),  # nothing: an empty line (no --print-empty)
]


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {user: tmp_path_factory.mktemp(f"parity-{user}") for user in ("admin", "demo")}


def run_both(devcloud: Any, osc_bin: Path, home: Path, user: str,
             args: list[str]) -> list[tuple[int, str, str]]:
    """[openstack's, imgcli's] (exit code, stdout, stderr) for `image list ARGS`, run in
    parallel."""
    return list(run_pair(devcloud, osc_bin, home, user, ["image", "list", *args]))


def both(devcloud: Any, osc_bin: Path, home: Path, user: str,
         args: list[str]) -> tuple[str, str]:
    """(openstack's stdout, imgcli's stdout); both must succeed."""
    (osc_rc, osc, osc_err), (rc, imgcli, err) = run_both(devcloud, osc_bin, home, user, args)
    assert (osc_rc, rc) == (0, 0), f"openstack: {osc_err}\nimgcli: {err}"
    return osc, imgcli


@pytest.mark.parametrize(("user", "args"), MATRIX, ids=[f"{u}:{a or '-'}" for u, a in MATRIX])
def test_same_output_as_openstackclient(devcloud: Any, osc_bin: Path, homes: dict[str, Path],
                                        user: str, args: str) -> None:
    osc, imgcli = run_both(devcloud, osc_bin, homes[user], user, shlex.split(args))
    assert osc[0] == 0, osc[2]
    assert imgcli[0] == 0, imgcli[2]
    if "-f json" in args:
        assert json.loads(imgcli[1]) == json.loads(osc[1])
    else:
        assert imgcli[1] == osc[1]


# ------------------------------------------------------- the README's deliberate differences

@pytest.fixture(scope="module")
def newest_first(devcloud: Any) -> list[str]:
    """Admin's default listing in Glance's own order (created_at, id descending)."""
    token, _ = devcloud.login("admin")
    r = requests.get(f"{devcloud.glance_url}/v2/images?limit=1000",
                     headers={"X-Auth-Token": token}, timeout=30)
    return [image["name"] for image in r.json()["images"]]


def names(out: str) -> list[str]:
    return [row["Name"] for row in json.loads(out)]


def test_sort_size_is_numeric_where_openstackclient_sorts_text(
        devcloud: Any, osc_bin: Path, homes: dict[str, Path]) -> None:
    osc, imgcli = both(devcloud, osc_bin, homes["admin"], "admin",
                       ["--sort", "size", "--long", "-f", "json"])
    osc_rows, rows = json.loads(osc), json.loads(imgcli)
    assert sorted(rows, key=lambda r: r["ID"]) == sorted(osc_rows, key=lambda r: r["ID"])
    sizes = [row["Size"] for row in rows]
    assert sizes == sorted(sizes, key=lambda n: (n is not None, n or 0))
    osc_sizes = [row["Size"] for row in osc_rows]
    assert osc_sizes == sorted(osc_sizes, key=str) != sizes  # 10 < 100 < 1000 < 9 < None
    raw = [f"raw-size-{n}" for n in (9, 10, 100, 1000)]
    assert [n for n in names(imgcli) if n in raw] == raw
    assert [n for n in names(osc) if n in raw] == sorted(raw)


@pytest.mark.parametrize("option", ["--limit", "--max-items"])
def test_limit_is_the_first_n_where_openstackclient_takes_the_newest(
        devcloud: Any, osc_bin: Path, homes: dict[str, Path], newest_first: list[str],
        option: str) -> None:
    osc, imgcli = both(devcloud, osc_bin, homes["admin"], "admin", [option, "5", "-f", "json"])
    assert names(imgcli) == sorted(newest_first)[:5]
    assert names(osc) == sorted(newest_first[:5])
    assert names(osc) != names(imgcli)


def test_marker_pages_in_the_requested_order(devcloud: Any, osc_bin: Path,
                                             homes: dict[str, Path],
                                             newest_first: list[str]) -> None:
    osc, imgcli = both(devcloud, osc_bin, homes["admin"], "admin",
                       ["--marker", "filler-05", "-f", "json"])
    by_name = sorted(newest_first)
    assert names(imgcli) == by_name[by_name.index("filler-05") + 1:]
    assert names(osc) == sorted(newest_first[newest_first.index("filler-05") + 1:])
    assert names(osc) != names(imgcli)


def test_own_project_by_name_needs_no_lookup_where_openstackclient_finds_nothing(
        devcloud: Any, osc_bin: Path, homes: dict[str, Path]) -> None:
    # demo may not look projects up; openstack then sends owner=demo (a name) and matches
    # nothing, imgcli knows the token's own project ID.
    osc, imgcli = both(devcloud, osc_bin, homes["demo"], "demo",
                       ["--project", "demo", "-f", "value", "-c", "Name"])
    assert osc.strip() == ""
    assert "demo-private-image" in imgcli.split("\n")


def test_property_on_a_typed_attribute_is_glances_filter(
        devcloud: Any, osc_bin: Path, homes: dict[str, Path]) -> None:
    # openstack compares the string "512" with the integer 512 after downloading: no match.
    osc, imgcli = both(devcloud, osc_bin, homes["admin"], "admin",
                       ["--property", "min_ram=512", "-f", "value", "-c", "Name"])
    assert osc.strip() == ""
    assert imgcli == "ubuntu-custom-props\n"


def test_property_glance_rejects_is_one_clean_error(devcloud: Any, osc_bin: Path,
                                                    homes: dict[str, Path]) -> None:
    (osc_rc, osc, _), (rc, out, err) = run_both(devcloud, osc_bin, homes["admin"], "admin",
                                               ["--property", "protected=True"])
    assert (osc_rc, osc.strip()) == (0, "")
    assert rc == 1 and out == ""
    assert "Invalid value 'True' for 'protected' filter" in err
    assert "&#" not in err and len(err.strip().splitlines()) == 1


def test_sort_created_at_uses_glances_full_precision(devcloud: Any, osc_bin: Path,
                                                     homes: dict[str, Path]) -> None:
    # openstack stable-sorts whole-second strings over a newest-first list; Glance orders by
    # the stored microseconds, so images made in the same second come oldest first.
    token, _ = devcloud.login("admin")
    glance = requests.get(f"{devcloud.glance_url}/v2/images",
                          params={"limit": "1000", "sort": "created_at:asc,id:desc"},
                          headers={"X-Auth-Token": token}, timeout=30).json()["images"]
    _, imgcli = both(devcloud, osc_bin, homes["admin"], "admin",
                     ["--sort", "created_at", "-f", "value", "-c", "Name"])
    assert imgcli.splitlines() == [image["name"] for image in glance]
