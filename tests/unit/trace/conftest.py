"""The trace tests' fixture: a Recorder that saw the seed's run (tests/unit/trace/seedrun.py)."""

from __future__ import annotations

import pytest

from imgcli.trace.recorder import Recorder
from tests.unit.trace.seedrun import recorded, run_seed


@pytest.fixture
def seed_recorder() -> Recorder:
    return recorded(run_seed)
