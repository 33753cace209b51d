"""--trace when the run fails: a refused login, a connection error, a failure recorded once,
no exchange at all; the document is still written, and complete."""

from __future__ import annotations

import json

import pytest
import requests
import requests_mock
from keystoneauth1.session import Session as KsSession

from imgcli.trace.recorder import Recorder
from tests.unit.trace.seedrun import (
    ARGV,
    AUTH_BODY,
    AUTH_URL,
    IMAGES_URL,
    PASSWORD,
    SEED_ARROWS,
    TOKEN,
    TOKEN_URL,
    arrows,
    assert_no_secrets,
    check_har,
    ks_digest,
    mermaid_block,
    register_seed,
    run_seed,
)


def test_failed_login_still_writes_a_document(tmp_path):
    rec = Recorder(ARGV)
    error = "The request you have made requires authentication. (HTTP 401)"
    with requests_mock.Mocker() as m:
        register_seed(m, token_status=401)
        with requests.Session() as session:
            rec.attach(session)
            session.get(AUTH_URL)
            session.post(TOKEN_URL, json=AUTH_BODY)
    path = tmp_path / "trace.md"
    rec.write(str(path), error=error)
    md = path.read_text()
    assert arrows(md) == SEED_ARROWS[:3] + ["keystone-->>client: Response: 401 UNAUTHORIZED"]
    assert "participant glance" not in md
    assert "## Output" not in md
    assert md.endswith(f'## Error\n\n``` text title="error"\n{error}\n```\n')
    assert (
        "- (3),(4): a token and the service catalog; keystone-api answered 401 UNAUTHORIZED." in md
    )
    assert_no_secrets(md, PASSWORD)
    har = tmp_path / "trace.har"
    rec.write(str(har), error=error)
    doc = json.loads(har.read_text())
    check_har(doc)
    assert error in doc["log"]["comment"]
    assert_no_secrets(har.read_text(), PASSWORD)


def test_connection_error_recorded_with_request_and_error(tmp_path):
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        register_seed(m)
        m.get(IMAGES_URL, exc=requests.exceptions.ConnectionError("Connection refused"))
        with requests.Session() as session:
            rec.attach(session)
            with pytest.raises(requests.exceptions.ConnectionError):
                run_seed(session)
    md_path = tmp_path / "trace.md"
    rec.write(str(md_path), error="Unable to establish connection to glance")
    md = md_path.read_text()
    assert arrows(md) == SEED_ARROWS[:6] + ["client-xglance: GET /image/v2/images?visibility=all"]
    assert "Note over client,glance: ConnectionError: Connection refused" in md
    section = md.split(f"### (7) GET {IMAGES_URL}\n", 1)[1]
    assert f"X-Auth-Token: {ks_digest(TOKEN)}" in section
    assert "No response from glance-api" in section
    assert "ConnectionError: Connection refused" in section
    assert "### (8)" not in md
    assert "- (7): the image list; no response from glance-api: ConnectionError" in md
    assert "## Error" in md
    assert_no_secrets(md, TOKEN, PASSWORD)
    har_path = tmp_path / "trace.har"
    rec.write(str(har_path), error="Unable to establish connection to glance")
    doc = json.loads(har_path.read_text())
    check_har(doc)
    last = doc["log"]["entries"][-1]
    assert last["response"]["status"] == 0
    assert "Connection refused" in last["_error"]
    assert_no_secrets(har_path.read_text(), TOKEN, PASSWORD)


def test_record_failure_is_not_duplicated():
    rec = Recorder(ARGV)
    request = requests.Request("GET", IMAGES_URL).prepare()
    exc = requests.exceptions.ConnectTimeout("timed out", request=request)
    rec.record_failure(request, exc)
    rec.record_failure(request, exc)  # the CLI may report what the send wrapper already did
    rec.record_failure(request, RuntimeError("wrapped by keystoneauth"))
    assert len(rec.exchanges) == 1


def test_connect_failure_through_keystoneauth_is_recorded():
    from keystoneauth1 import exceptions as ks_exc

    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.get(IMAGES_URL, exc=requests.exceptions.ConnectionError("refused"))
        ks = KsSession()
        rec.attach(ks.session)
        with pytest.raises(ks_exc.ConnectFailure):
            ks.get(IMAGES_URL, headers={"X-Auth-Token": TOKEN}, connect_retries=0)
    md = rec.render_markdown(error="Failed to connect")
    assert "client-xglance: GET /image/v2/images?visibility=all" in arrows(md)
    assert_no_secrets(md, TOKEN)


def test_no_exchange_at_all(tmp_path):
    rec = Recorder(["imgcli", "image", "list", "--os-password", PASSWORD])
    path = tmp_path / "trace.md"
    rec.write(str(path), error=f"Missing value auth-url (password was {PASSWORD})")
    md = path.read_text()
    assert md.startswith("# imgcli image list --os-password \\*\\*\\*\n")
    assert mermaid_block(md) == ["sequenceDiagram", "autonumber", "participant client as imgcli"]
    assert "No HTTP request was made." in md
    assert "(password was ***)" in md
    assert_no_secrets(md, PASSWORD)
    har = tmp_path / "t.HAR"
    rec.write(str(har), error="boom")
    doc = json.loads(har.read_text())
    check_har(doc)
    assert doc["log"]["entries"] == []
