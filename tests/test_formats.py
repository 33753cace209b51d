"""Output parity: for the same server answers, imgcli prints what openstackclient 10.5.0 prints.

The oracle files in fixtures/osc/ were made by running `openstack image list ARGS` against
the same mocked cloud (fixtures/osc/regenerate.py); JSON is compared as data, the rest as
text. The mock is a small model of Glance (conftest.glance_page), so openstackclient's
client-side filtering and sorting and imgcli's server-side ones meet the same data.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, load

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
