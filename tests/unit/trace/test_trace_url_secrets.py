"""--trace hides the credentials a URL carries wherever the URL is written: argv (the title),
request URLs, JSON bodies, text bodies, error messages; the rest of the URL stays readable."""

from __future__ import annotations

import json

import pytest
import requests
import requests_mock

from imgcli.trace import redact
from imgcli.trace.recorder import Recorder
from tests.conftest import IMAGE_URL
from tests.unit.fake_image_data import install_data

PASSWORD = "S3cretPw"
SIGNATURES = ("abcdef0123", "f00d")
URI = ("http://user:S3cretPw@127.0.0.1:1/img?temp_url_sig=abcdef0123&temp_url_expires=99"
       "&X-Amz-Signature=f00d")
SHOWN = ("http://user:***@127.0.0.1:1/img?temp_url_sig=***&temp_url_expires=***"
         "&X-Amz-Signature=***")


def assert_hidden(text: str) -> None:
    for secret in (PASSWORD, *SIGNATURES):
        assert secret not in text, secret


@pytest.mark.parametrize("suffix", ["md", "har"])
def test_traced_web_download_hides_the_uris_credentials(seed_cloud, run, tmp_path, suffix):
    glance = install_data(seed_cloud.mock, seed_cloud.images)
    image = glance.add()
    path = tmp_path / f"trace.{suffix}"
    result = run(["--trace", str(path), "image", "import", image["id"],
                  "--method", "web-download", "--uri", URI])
    assert result.code == 1  # Glance's 400 echoes the URI: "does not pass filtering: URI"
    text = path.read_text()
    assert_hidden(text)
    if suffix == "har":
        log = json.loads(text)["log"]
        assert log["pages"][0]["title"].endswith(f"--uri '{SHOWN}'")
        entry = log["entries"][-1]
        assert json.loads(entry["request"]["postData"]["text"])["method"]["uri"] == SHOWN
        assert f"does not pass filtering: {SHOWN}" in entry["response"]["content"]["text"]
        assert log["comment"].endswith(f"does not pass filtering: {SHOWN}")
    else:
        assert f'"uri": "{SHOWN}"' in text  # the request's JSON body
        assert text.count(f"does not pass filtering: {SHOWN}") == 2  # Glance's page, the error
        title = text.splitlines()[0]
        assert title.endswith("--uri '" + SHOWN.replace("*", "\\*") + "'")


def test_a_url_in_free_text_keeps_everything_but_its_credentials():
    secrets = redact.Secrets()
    text = (f"refused {URI}. Also ?X-Amz-Credential=AKIAEXAMPLE%2F20260101 and "
            "https://s3.example/b/k?X-Amz-Algorithm=AWS4&X-Amz-SignedHeaders=host"
            "&X-Amz-Expires=3600&X-Amz-Security-Token=tok-12345&versionId=7")
    out = secrets(text)
    assert out == (f"refused {SHOWN}. Also ?X-Amz-Credential=*** and "
                   "https://s3.example/b/k?X-Amz-Algorithm=***&X-Amz-SignedHeaders=***"
                   "&X-Amz-Expires=***&X-Amz-Security-Token=***&versionId=7")
    # Signing secrets are scrubbed wherever else they appear; an expiry or "host" is not.
    assert secrets("abcdef0123 AKIAEXAMPLE/20260101 tok-12345 host 3600") == \
        "*** *** *** host 3600"


def test_signature_names_match_case_insensitively_and_html_separators():
    secrets = redact.Secrets()
    page = ("<p>http://h/o?sig=Azure-SAS-sig&amp;se=2030&amp;TEMP_URL_SIG=upper-sig"
            "&amp;x-amz-signature=lower-sig&amp;Signature=v2-sig</p>")
    out = secrets(page)
    for value in ("Azure-SAS-sig", "upper-sig", "lower-sig", "v2-sig"):
        assert value not in out
    assert "se=2030" in out and out.startswith("<p>http://h/o?sig=***&amp;")
    # A "?" inside a value does not hide the parameter after it.
    assert secrets("http://h/o?next=/a?temp_url_sig=qwerty") == "http://h/o?next=/a?temp_url_sig=***"


def test_json_strings_argv_and_errors_are_redacted():
    secrets = redact.Secrets()
    body = {"method": {"name": "web-download", "uri": URI}, "message": f"bad: {URI}",
            "count": 3, "ok": True}
    assert redact.redact_json(body, secrets) == {
        "method": {"name": "web-download", "uri": SHOWN}, "message": f"bad: {SHOWN}",
        "count": 3, "ok": True}
    argv = redact.redact_argv(["imgcli", "image", "import", f"--uri={URI}", "--uri", URI],
                              secrets)
    assert argv[3:] == [f"--uri={SHOWN}", "--uri", SHOWN]
    assert redact.command_line(argv).endswith(f"'--uri={SHOWN}' --uri '{SHOWN}'")


def test_a_failed_requests_error_message_is_scrubbed(tmp_path):
    rec = Recorder(["imgcli", "image", "list"])
    with requests_mock.Mocker() as m:
        m.get("http://glance/v2/images", exc=requests.ConnectionError(
            f"refused: {URI} and /img?temp_url_sig=abcdef0123&X-Amz-Signature=f00d"))
        with requests.Session() as session, pytest.raises(requests.ConnectionError):
            rec.attach(session)
            session.get("http://glance/v2/images")
    for suffix in ("md", "har"):
        path = tmp_path / f"t.{suffix}"
        rec.write(str(path), error=f"cannot connect: {URI}")
        text = path.read_text()
        assert_hidden(text)
        assert "127.0.0.1:1/img?temp_url_sig=***" in text.replace("\\*", "*")


def test_urls_without_credentials_are_untouched():
    secrets = redact.Secrets()
    text = ("GET http://glance/v2/images?visibility=all&sort=name:asc&limit=1000 then "
            "user@example.com wrote a=b&c=d")
    assert secrets(text) == text


def test_hide_url_credentials_for_an_error_line():
    line = f"POST http://glance/v2/images/1/import failed: 400 Bad Request: refused: {URI}"
    assert redact.hide_url_credentials(line) == line.replace(URI, SHOWN)


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_the_error_line_and_debug_log_hide_the_uris_credentials(seed_cloud, run, debug):
    glance = install_data(seed_cloud.mock, seed_cloud.images)
    image = glance.add()
    result = run([*debug, "image", "import", image["id"], "--method", "web-download",
                  "--uri", URI])
    assert result.code == 1
    assert f"does not pass filtering: {SHOWN}" in result.err
    assert_hidden(result.err)
    assert_hidden(result.out)


def test_escape_sequences_in_glances_error_reach_stderr_escaped(seed_cloud, run):
    seed_cloud.mock.get(IMAGE_URL + "/v2/images/11111111-1111-1111-1111-111111111111",
                        status_code=400,
                        json={"message": "bad \x1b]0;PWNED\x07\x1b[2J image"})
    result = run(["image", "show", "11111111-1111-1111-1111-111111111111"])
    assert result.code == 1
    assert "\x1b" not in result.err and "\\x1b]0;PWNED\\x07" in result.err
