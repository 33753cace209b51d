"""imgcli.trace.recorder itself: streamed bodies left unread, redirects and history, fences
kept intact, the output format, what recording costs, hooks, and that the package imports
only the standard library."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import requests
import requests_mock
from keystoneauth1.session import Session as KsSession

from imgcli.trace.recorder import Recorder
from tests.conftest import REPO
from tests.unit.trace.seedrun import (
    ARGV,
    AUTH_URL,
    IMAGE_URL,
    IMAGES_BODY,
    IMAGES_URL,
    OUTPUT,
    PASSWORD,
    SEED_ARROWS,
    TOKEN,
    arrows,
    assert_no_secrets,
    register_seed,
)


def test_streamed_body_is_not_consumed():
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.get(
            IMAGE_URL + "/v2/images/abc/file",
            content=b"\x00\x01binary",
            headers={"Content-Type": "application/octet-stream"},
        )
        m.get(IMAGES_URL, json=IMAGES_BODY)
        with requests.Session() as session:
            rec.attach(session)
            streamed = session.get(IMAGE_URL + "/v2/images/abc/file", stream=True)
            md = rec.render_markdown()
            assert "streamed body, not read by the caller, not captured" in md
            assert streamed.content == b"\x00\x01binary"  # still there for the caller
            later = session.get(IMAGES_URL, stream=True)
            assert later.json() == IMAGES_BODY  # caller read it: now it can be shown
    md = rec.render_markdown()
    assert "<8 bytes of application/octet-stream, not shown>" in md
    assert '"trove-guest-ubuntu-focal"' in md


def test_redirects_recorded_once_in_order():
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.get(IMAGE_URL + "/v2", status_code=301, headers={"Location": IMAGE_URL + "/v2/"})
        m.get(IMAGE_URL + "/v2/", json={"ok": True})
        with requests.Session() as session:
            rec.attach(session)
            resp = session.get(IMAGE_URL + "/v2")
    assert len(resp.history) == 1
    rec.record(resp)  # the hook may be handed a response whose history it already saw
    assert [e.response.status_code for e in rec.exchanges] == [301, 200]
    har = json.loads(rec.render_har())
    assert har["log"]["entries"][0]["response"]["redirectURL"] == IMAGE_URL + "/v2/"


def test_history_not_seen_by_hook_is_recorded_first():
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.get(IMAGE_URL + "/v2", status_code=302, headers={"Location": IMAGE_URL + "/v2/"})
        m.get(IMAGE_URL + "/v2/", json={})
        with requests.Session() as session:  # no attach: record() is called by hand
            resp = session.get(IMAGE_URL + "/v2")
    rec.record(resp)
    assert [e.response.status_code for e in rec.exchanges] == [302, 200]


def test_bodies_with_backticks_and_text_keep_fences_intact():
    rec = Recorder(ARGV)
    nasty = "line one\n```\n## not a heading\n````\nend"
    with requests_mock.Mocker() as m:
        m.get(IMAGES_URL, text=nasty, headers={"Content-Type": "text/plain"})
        with requests.Session() as session:
            rec.attach(session)
            session.get(IMAGES_URL)
    md = rec.render_markdown("out ``` put")
    assert '    ````` text title=""\n    line one\n    ```\n' in md
    assert re.findall(r"^## .*$", md, re.MULTILINE) == [
        "## Sequence Diagram",
        "## Steps",
        "## Request/Response",
        "## Output",
    ]
    assert '```` text title="table format"\nout ``` put\n````' in md


def test_output_format_follows_argv():
    rec = Recorder(["imgcli", "image", "list", "-f", "json"])
    assert '``` text title="json format"' in rec.render_markdown("[]")


def test_record_is_cheap_and_keeps_references_only(seed_recorder):
    ex = seed_recorder.exchanges[3]
    assert isinstance(ex.response, requests.Response)
    assert ex.request is ex.response.request
    assert ex.elapsed >= 0


def test_attach_is_idempotent():
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.get(IMAGES_URL, json={})
        with requests.Session() as session:
            rec.attach(session)
            rec.attach(session)
            session.get(IMAGES_URL)
    assert len(rec.exchanges) == 1


def test_keystoneauth_session_produces_the_seed_sequence():
    """A real keystoneauth Session (password auth, discovery) with the recorder attached."""
    from keystoneauth1.identity import generic

    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        register_seed(m)
        auth = generic.Password(
            auth_url=AUTH_URL,
            username="admin",
            password=PASSWORD,
            project_name="admin",
            user_domain_name="Default",
            project_domain_name="Default",
        )
        ks = KsSession(auth=auth)
        rec.attach(ks.session)
        resp = ks.get(
            "/images",
            endpoint_filter={"service_type": "image", "interface": "public", "version": "2"},
            params={"visibility": "all"},
        )
        assert resp.json() == IMAGES_BODY
    md = rec.render_markdown(OUTPUT)
    got = arrows(md)
    # Version discovery, token, image discovery, list: exactly the seed's 8 messages.
    assert got == SEED_ARROWS, "\n".join(got)
    assert_no_secrets(md, TOKEN, PASSWORD)
    assert_no_secrets(rec.render_har(OUTPUT), TOKEN, PASSWORD)

def test_per_request_hooks_do_not_hide_requests():
    """A request's own hooks replace the session's in requests; the send wrapper still records."""
    rec = Recorder(ARGV)
    seen = []
    with requests_mock.Mocker() as m:
        m.get(IMAGES_URL, json=IMAGES_BODY)
        with requests.Session() as session:
            rec.attach(session)
            session.get(IMAGES_URL, hooks={"response": [lambda r, **kw: seen.append(r)]})
    assert len(seen) == 1 and len(rec.exchanges) == 1
    assert '"cirros-0.5.1-x86_64-disk"' in rec.render_markdown()


def test_module_imports_only_stdlib():
    code = "import sys, imgcli.trace; print('requests' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    assert out.stdout.strip() == "False"
