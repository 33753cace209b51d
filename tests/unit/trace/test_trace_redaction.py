"""What --trace hides (imgcli.trace.redact): JSON fields, headers digested as keystoneauth
digests them, URL queries and user info, and every secret of a full document."""

from __future__ import annotations

import requests
import requests_mock
from keystoneauth1.session import Session as KsSession

from imgcli.trace import redact
from imgcli.trace.recorder import Recorder
from tests.unit.trace.seedrun import (
    ARGV,
    AUTH_URL,
    IMAGE_URL,
    IMAGES_URL,
    PASSWORD,
    TOKEN,
    TOKEN_BODY,
    TOKEN_URL,
    assert_no_secrets,
    ks_digest,
)


def test_redact_json_rules():
    secrets = redact.Secrets()
    body = {
        "auth": {
            "identity": {
                "methods": ["token", "application_credential", "totp"],
                "token": {"id": "tok-1234567890"},
                "application_credential": {"id": "ac-id-visible", "secret": "ac-secret-xyz"},
                "totp": {"user": {"id": "u1", "passcode": "123456"}},
            }
        },
        "token": {"id": "not-under-identity", "expires_at": "x"},
        "access": {"token": {"id": "v2-token-value"}},
        "credential": {"client_secret": "cs-value-1", "password_expires_at": "2030"},
        "list": [{"password": "in-a-list-1"}, {"token": "string-token-1"}],
        "password": None,
        "secret": True,
    }
    out = redact.redact_json(body, secrets)
    identity = out["auth"]["identity"]
    assert identity["methods"] == ["token", "application_credential", "totp"]
    assert identity["token"] == {"id": "***"}
    assert identity["application_credential"] == {"id": "ac-id-visible", "secret": "***"}
    assert identity["totp"]["user"] == {"id": "u1", "passcode": "***"}
    assert out["token"] == {"id": "not-under-identity", "expires_at": "x"}
    assert out["access"]["token"]["id"] == "***"
    assert out["credential"] == {"client_secret": "***", "password_expires_at": "2030"}
    assert out["list"] == [{"password": "***"}, {"token": "***"}]
    assert out["password"] is None and out["secret"] is True
    scrubbed = secrets("leak tok-1234567890 ac-secret-xyz v2-token-value in-a-list-1")
    assert scrubbed == "leak *** *** *** ***"


def test_headers_digested_like_keystoneauth():
    secrets = redact.Secrets()
    for name in ("X-Auth-Token", "x-subject-token", "X-Service-Token", "Authorization"):
        value = f"value-of-{name}-0123456789"
        assert (
            redact.redact_header(name, value, secrets)
            == KsSession._process_header((name, value))[1]
        )
    assert redact.redact_header("Accept", "application/json", secrets) == "application/json"
    assert redact.redact_header("Authorization", "Bearer abcdefgh", secrets).startswith("{SHA256}")
    assert secrets("Bearer abcdefgh and abcdefgh") == (
        f"{redact.digest('Bearer abcdefgh')} and ***"
    )


def test_redact_url_query_and_userinfo():
    secrets = redact.Secrets()
    url = "https://user:hunter22@cloud.example/v3?token=tok-abcdef&x=1&os_password=pw-abcd&y=a_b"
    out = redact.redact_url(url, secrets)
    assert out == "https://user:***@cloud.example/v3?token=***&x=1&os_password=***&y=a_b"
    assert secrets("hunter22 tok-abcdef pw-abcd") == "*** *** ***"
    assert redact.redact_url(IMAGES_URL, secrets) == IMAGES_URL


def test_secrets_everywhere_in_a_full_document(tmp_path):
    """Token auth, app credentials, query tokens, echoed secrets: nothing leaks."""
    app_secret = "APPCRED-secret-0xDEADBEEF"
    query_token = "QUERYTOKEN-abcdef123"
    basic = "QmFzaWMtY3JlZGVudGlhbHM="
    rec = Recorder(["imgcli", "--os-token", TOKEN, "image", "list", f"--password={PASSWORD}"])
    token_auth = {
        "auth": {
            "identity": {
                "methods": ["token", "application_credential"],
                "token": {"id": TOKEN},
                "application_credential": {"id": "ac1", "secret": app_secret},
            }
        }
    }
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, status_code=201, json=TOKEN_BODY, headers={"X-Subject-Token": TOKEN})
        m.get(
            IMAGE_URL + "/v2/images",
            json={"message": f"echo {app_secret} {PASSWORD} {TOKEN}", "token": TOKEN},
        )
        m.post(
            AUTH_URL + "/form",
            text=f"ok {query_token}",
            headers={"Set-Cookie": "session=abcdef123456"},
        )
        with requests.Session() as session:
            rec.attach(session)
            session.post(TOKEN_URL, json=token_auth)
            session.get(
                IMAGE_URL + f"/v2/images?token={query_token}",
                headers={"X-Auth-Token": TOKEN, "Authorization": f"Basic {basic}"},
            )
            session.post(AUTH_URL + "/form", data={"user": "u", "password": PASSWORD})
    for suffix in ("md", "har"):
        path = tmp_path / f"trace.{suffix}"
        rec.write(str(path), output=f"printed {TOKEN}", error=f"failed with {app_secret}")
        text = path.read_text()
        assert_no_secrets(text, TOKEN, PASSWORD, app_secret, query_token, basic)
        assert ks_digest(TOKEN) in text
        assert "abcdef123456" not in text
    md = (tmp_path / "trace.md").read_text()
    assert md.startswith("# imgcli --os-token \\*\\*\\* image list --password=\\*\\*\\*\n")
    assert "user=u&password=***" in md  # a form body, redacted field by field

def test_bytes_header_value_digested_like_a_string():
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.get(IMAGES_URL, json={})
        with requests.Session() as session:
            rec.attach(session)
            session.get(IMAGES_URL, headers={"X-Auth-Token": TOKEN.encode()})
    md = rec.render_markdown()
    assert f"X-Auth-Token: {ks_digest(TOKEN)}" in md
    assert_no_secrets(md, TOKEN)
