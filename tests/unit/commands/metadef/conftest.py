"""The metadef command tests' fixture: the seed cloud with a warm token cache and a model of
Glance's metadef API (fake_metadefs.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.commands.metadef.fake_metadefs import FakeMetadefs, install


@pytest.fixture
def glance(seed_cloud: Any, run: Any) -> FakeMetadefs:
    model = install(seed_cloud.mock)
    assert run(["image", "list"]).code == 0  # token and image endpoint now cached
    seed_cloud.mock.reset_mock()
    return model
