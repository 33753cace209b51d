"""Output parity: for the same server answers, imgcli prints what openstackclient 10.5.0 prints.

The oracle files in fixtures/osc/ were made by running `openstack image list ARGS` against
the same mocked cloud (fixtures/osc/regenerate.py); JSON is compared as data, the rest as
text. The mock is a small model of Glance (conftest.glance_page), so openstackclient's
client-side filtering and sorting and imgcli's server-side ones meet the same data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, load

REPO = FIXTURES.parents[1]
CASES = json.loads((FIXTURES / "osc" / "cases.json").read_text())


@pytest.fixture
def cloud_with(seed_cloud):
    def switch(dataset: str):
        seed_cloud.images[:] = load(f"{dataset}_images.json")["images"]
        return seed_cloud

    return switch


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_output_as_openstackclient(name, cloud_with, run):
    case = CASES[name]
    cloud_with(case["dataset"])
    result = run(["image", "list", *case["args"]])
    expected = (FIXTURES / "osc" / f"{name}.txt").read_text()
    assert result.code == 0, result.err
    if "json" in case["args"]:
        assert json.loads(result.out) == json.loads(expected)
    assert result.out == expected


def test_oracle_covers_every_format_with_and_without_long():
    formats = {(case["args"][case["args"].index("-f") + 1], "--long" in case["args"])
               for case in CASES.values() if "-f" in case["args"]}
    assert formats >= {(f, long) for f in ("table", "json", "csv", "value", "yaml")
                       for long in (False, True)}


def pins(path: Path) -> dict[str, str]:
    """`name==version` lines of a requirements or lock file, names normalised."""
    found = {}
    for line in path.read_text().splitlines():
        name, equals, version = line.split(";")[0].split(" ")[0].partition("==")
        if equals and not line.startswith("#"):
            found[name.lower().replace("_", "-")] = version
    return found


ORACLE = pins(FIXTURES / "osc" / "versions.txt")
RENDERING = ("prettytable", "wcwidth")


@pytest.mark.parametrize("library", RENDERING)
def test_imgcli_renders_with_the_oracles_libraries(library):
    # A table wraps where these libraries say: a newer release must fail `make lock`, not a
    # fresh clone, so the test install is held to what the oracle was made with.
    from importlib.metadata import version

    assert version(library) == ORACLE[library], (
        f"{library} {version(library)} is installed, the oracle was made with "
        f"{ORACLE[library]}: install from requirements/dev.lock, or regenerate the oracle")


@pytest.mark.parametrize("library", RENDERING)
def test_every_lock_holds_the_oracles_libraries(library):
    lock = pins(REPO / "requirements" / "dev.lock")
    clients = pins(REPO / "devcloud" / "clients-requirements.txt")
    assert lock[library] == clients[library] == ORACLE[library]
    assert clients["python-openstackclient"] == ORACLE["python-openstackclient"]
