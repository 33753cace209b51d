"""Fixtures of the imgcli.transfer tests: the loopback LoopbackGlance holding DATA as IMAGE_ID,
and a folder another user can reach."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakecloud.data import LoopbackGlance
from tests.unit.transfer.common import DATA, IMAGE_ID


@pytest.fixture
def server() -> Iterator[tuple[str, LoopbackGlance]]:
    """(the image's URL, ending in "/": `url + "file"` is its data; the server, whose knobs
    the tests change between requests)."""
    with LoopbackGlance() as glance:
        glance.add(DATA, IMAGE_ID)
        yield f"{glance.endpoint}/v2/images/{IMAGE_ID}/", glance


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory another user can reach (pytest's own tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="imgcli-transfer-"))
    path.chmod(0o755)
    yield path
    path.chmod(0o755)
    for child in path.iterdir():
        child.chmod(0o644)
        child.unlink()
    path.rmdir()
