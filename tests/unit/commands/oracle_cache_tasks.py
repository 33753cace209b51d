"""openstackclient 10.5.0's own output for the stores, tasks and cache commands, recorded
with Glance mocked (tests/fixtures/osc_cache_tasks/regenerate.py), and the replies it was
given: the unit tests give imgcli the same replies and compare the bytes."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import FIXTURES, IMAGE_URL
from tests.unit.fake_glance import page

ROOT = IMAGE_URL + "/v2/"
FOLDER = FIXTURES / "osc_cache_tasks"
REPLIES: dict[str, Any] = json.loads((FOLDER / "replies.json").read_text())
EXPECTED: dict[str, dict[str, dict[str, Any]]] = json.loads(
    (FOLDER / "expected.json").read_text())


def cases(*names: str) -> list[tuple[str, str]]:
    """(case, format arguments) for every output recorded for these cases."""
    return [(name, args) for name in names for args in EXPECTED[name]]


def at(path: str) -> re.Pattern[str]:
    """A requests-mock matcher for ROOT + path, with or without a query."""
    return re.compile(re.escape(ROOT + path) + r"(\?.*)?$")


def glance_sent(mock: Any) -> list[str]:
    """`METHOD path?query` of each request to Glance after discovery."""
    return [f"{r.method} {r.path_url.removeprefix('/image')}" for r in mock.request_history
            if r.url.startswith(ROOT)]


def forbidden_page() -> str:
    """Glance's bare 403 (webob's default text), as a member gets it."""
    return page(403, "Access was denied to this resource.")
