"""docs-tools/seriespage.py: a series page from a recorded trace, with no cloud."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
import requests_mock

from imgcli.trace.recorder import Recorder
from tests.docs.tools import docs_tool

seriespage = docs_tool("seriespage")
Comparison, Request, Trace = seriespage.Comparison, seriespage.Request, seriespage.Trace

AUTH = "http://127.0.0.1:35000/identity"
IMAGE = "http://127.0.0.1:39292/image"
DEBUG_LOG = f"""\
REQ: curl -g -i -X GET {AUTH} -H "Accept: application/json"
http://127.0.0.1:35000 "GET /identity HTTP/1.1" 300 274
http://127.0.0.1:35000 "POST /identity/v3/auth/tokens HTTP/1.1" 201 1547
http://127.0.0.1:39292 "GET /image HTTP/1.1" 300 2130
http://127.0.0.1:39292 "GET /image/v2/images/i1/members HTTP/1.1" 200 30
"""


def recorded_trace(argv: list[str], output: str) -> str:
    rec = Recorder(["imgcli", *argv])
    with requests_mock.Mocker() as m:
        m.get(AUTH, status_code=300, reason="MULTIPLE CHOICES", json={"versions": {}})
        m.post(AUTH + "/v3/auth/tokens", status_code=201, json={"token": {}})
        m.get(IMAGE, status_code=300, json={"versions": []})
        m.delete(IMAGE + "/v2/images/_i1/members/p1", status_code=204)
        with requests.Session() as session:
            rec.attach(session)
            session.get(AUTH)
            session.post(AUTH + "/v3/auth/tokens", json={})
            session.get(IMAGE)
            session.delete(IMAGE + "/v2/images/_i1/members/p1")
    return rec.render_markdown(output)


@pytest.fixture
def trace() -> Trace:
    return Trace.parse(recorded_trace(["image", "remove", "project", "_i1", "p1"], ""))


def test_requests_of_a_trace_with_their_status(trace):
    assert trace.title == "imgcli image remove project \\_i1 p1"  # Markdown-escaped
    assert trace.command == "imgcli image remove project _i1 p1"
    assert [(r.method, r.target, r.status) for r in trace.requests()] == [
        ("GET", AUTH, 300),
        ("POST", AUTH + "/v3/auth/tokens", 201),
        ("GET", IMAGE, 300),
        ("DELETE", IMAGE + "/v2/images/_i1/members/p1", 204),
    ]
    assert [r.authenticates for r in trace.requests()] == [True, True, True, False]


def test_requests_of_openstackclient_from_its_debug_log():
    found = seriespage.requests_in_debug_log(DEBUG_LOG)
    assert [str(r) for r in found] == [
        "`GET /identity` → 300",
        "`POST /identity/v3/auth/tokens` → 201",
        "`GET /image` → 300",
        "`GET /image/v2/images/i1/members` → 200",
    ]
    assert sum(not r.authenticates for r in found) == 1


def test_page_has_the_parts_in_order_and_the_counts(trace):
    series = [Request("GET", "/identity", 300), Request("POST", "/identity/v3/auth/tokens", 201),
              Request("GET", "/identity/v3/projects/p1", 200),
              Request("GET", "/v2/images/_i1", 200),
              Request("DELETE", "/v2/images/_i1/members/p1", 204)]
    cmp = Comparison(trace.requests(), seriespage.requests_in_debug_log(DEBUG_LOG), "10.5.0",
                     series)
    page = seriespage.render(title="image remove project", summary="Unshares.",
                             when="2026-01-01 00:00", trace=trace, cmp=cmp, why="Because.")
    headings = [line for line in page.splitlines() if line.startswith(("# ", "## "))]
    assert headings == [
        "# image remove project",
        "## Command and output",
        "## Sequence diagram",
        "## What each request is for",
        "## Requests and responses",
        "## What openstackclient sends",
    ]
    assert "``` bash\nimgcli image remove project _i1 p1\n```\n\nIt prints nothing." in page
    assert "client->>glance: DELETE /image/v2/images/\\_i1/members/p1" not in page
    assert "client->>glance: DELETE /image/v2/images/_i1/members/p1" in page
    assert "### (7) DELETE http://127.0.0.1:39292/image/v2/images/\\_i1/members/p1" in page
    assert seriespage.front_matter(page) == {"series": {
        "command": "imgcli image remove project _i1 p1",
        "imgcli": 4, "imgcli_cached": 1, "openstack": 4, "series": 5,
    }}
    assert "| openstackclient in the series (2022, devstack) | 5 | 2 | 3 |" in page
    assert page.rstrip().endswith("Because.")


PAGES = Path(__file__).resolve().parents[2] / "docs" / "series"


def published(name: str) -> Trace:
    text = (PAGES / name).read_text(encoding="utf-8")
    return Trace.parse(text.split("\n---\n", 1)[1].lstrip("\n"))  # past the front matter


def test_published_pages_show_image_data_as_length_type_and_hash():
    data = 0
    for page in sorted(PAGES.glob("image-*.md")):
        trace = published(page.name)
        assert seriespage.unsummarised_data(trace) == [], page.name
        body = trace.sections["Requests and responses"]
        data += len(seriespage.DATA_SUMMARY.findall(body))
    assert data >= 2  # create's upload and save's download: the check is not vacuous


@pytest.mark.parametrize("page, shown", [
    ("image-create.md", "imgcli series\nimgcli series"),  # the bytes themselves
    ("image-save.md", "<streamed body, not captured>"),  # nothing
    ("image-save.md", "<image data: 896 bytes, application/octet-stream, not hashed>"),
])
def test_image_data_shown_otherwise_is_caught(page, shown):
    text = (PAGES / page).read_text(encoding="utf-8")
    spoilt = re.sub(r"<image data: [^>]*>", lambda _: shown.replace("\n", "\n    "), text)
    trace = Trace.parse(spoilt.split("\n---\n", 1)[1].lstrip("\n"))
    assert len(seriespage.unsummarised_data(trace)) == 1
