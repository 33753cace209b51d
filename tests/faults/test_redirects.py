"""A redirect must not carry the credentials to another server (imgcli.transport).

keystoneauth follows a 30x itself and resends the headers and the body. Each test here
carries the attack out for real: the cloud on 127.0.0.1 redirects to a server on
127.0.0.2 (another host to any client) that logs every request it gets, headers and body.
imgcli must refuse in one line, exit 1, and that server must have received nothing.
HOSTILE_UNGUARDED=1 runs imgcli without the guards: the attack tests then fail.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from urllib3 import HTTPResponse

from fakecloud.hostile import Home, Logbook, redirect, reply
from imgcli.errors import ExitStatus, RedirectRefused
from imgcli.transport import guard_redirects, origin, shown
from tests.conftest import assert_no_secret
from tests.faults.runner import Run, run, self_signed

LIST = ("GET", "/image/v2/images")
PASSWORD_IN = b"fakecloud-S3cret-Pw"  # fakecloud.FAKE_PASSWORD's start
IMAGE_ID = "0a5d2f34-6baa-4455-a3e7-0682c2094cac"  # FakeCloud's first image (seed 0)


@pytest.fixture
def other() -> Iterator[Logbook]:
    book = Logbook()
    yield book
    book.close()


def refused(result: Run, other: Logbook, source: str, target: str) -> str:
    """The one line of a refused redirect; the other host got nothing at all."""
    assert_no_secret(result.stdout.decode(errors="replace") + result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert other.seen == [], [(s.method, s.path, sorted(s.headers)) for s in other.seen]
    assert result.returncode == ExitStatus.ERROR, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("refusing to follow the "), lines[0]
    assert f" redirect from {source} to {target}: " in lines[0], lines[0]
    return lines[0]


# -- (a) Glance, from the catalog ------------------------------------------------------------

def test_an_image_endpoint_redirecting_off_host_gets_no_token(other, tmp_path):
    to = other.url + "/image/v2/images"
    with Home(routes={LIST: redirect(to + "?{query}")}) as home:
        result = run(["image", "list"], tmp_path, home.env)
    line = refused(result, other, f"{home.url}/image/v2/images", to)
    assert line.endswith(": another host would receive the token; the catalog's endpoint "
                         "should name the final URL (ask the cloud's operator)")


def test_glance_version_discovery_redirecting_off_host_is_refused(other, tmp_path):
    with Home(routes={("GET", "/image"): redirect(other.url + "/image")}) as home:
        result = run(["image", "list"], tmp_path, home.env)
    refused(result, other, f"{home.url}/image", f"{other.url}/image")


def test_an_endpoint_given_with_os_endpoint_says_to_fix_it(other, tmp_path):
    to = other.url + "/image/v2/images"
    with Home(routes={LIST: redirect(to + "?{query}", 301)}) as home:
        result = run(["--os-token", "not-a-secret", "--os-endpoint", home.url + "/image",
                      "image", "list"], tmp_path)
    line = refused(result, other, f"{home.url}/image/v2/images", to)
    assert line.endswith("; point --os-endpoint (OS_ENDPOINT) at the final URL")


# -- (b) Keystone: the password ----------------------------------------------------------------

@pytest.mark.parametrize("status", [307, 308])
def test_a_token_request_redirected_off_host_never_delivers_the_password(other, tmp_path,
                                                                         status):
    path = "/identity/v3/auth/tokens"
    with Home(routes={("POST", path): redirect(other.url + path, status)}) as home:
        result = run(["image", "list"], tmp_path, home.env)
    line = refused(result, other, home.url + path, other.url + path)
    assert line.endswith(": another host would receive the credentials; point --os-auth-url "
                         "(OS_AUTH_URL) at the final URL")


def test_identity_discovery_redirected_off_host_is_refused(other, tmp_path):
    # Followed, the other host would answer for Keystone: what it says is trusted.
    with Home(routes={("GET", "/identity"): redirect(other.url + "/identity")}) as home:
        result = run(["image", "list"], tmp_path, home.env)
    line = refused(result, other, home.url + "/identity", other.url + "/identity")
    assert ": another host would be trusted with the credentials; " in line


# -- (c) the data of `image save`, and the upload ----------------------------------------------

def test_the_data_get_of_image_save_redirected_off_host_gets_no_token(other, tmp_path):
    record = Home(images=1).images[0]
    assert record["id"] == IMAGE_ID
    data = f"/image/v2/images/{IMAGE_ID}/file"
    routes = {("GET", f"/image/v2/images/{IMAGE_ID}"): reply(200, json.dumps(record).encode()),
              ("GET", data): redirect(other.url + data)}
    dest = tmp_path / "out.img"
    with Home(images=1, routes=routes) as home:
        result = run(["image", "save", IMAGE_ID, "--file", str(dest)], tmp_path, home.env)
    refused(result, other, home.url + data, other.url + data)
    assert not dest.exists() and not list(tmp_path.glob(".*.part"))


def test_the_upload_put_redirected_off_host_sends_nothing_there(other, tmp_path):
    # keystoneauth is told not to follow this one (the stream is sent once); refused all
    # the same, and the half-made image is deleted on the cloud that made it.
    record = {"id": IMAGE_ID, "name": "up", "status": "queued", "size": None, "tags": []}
    put = f"/image/v2/images/{IMAGE_ID}/file"
    routes = {("POST", "/image/v2/images"): reply(201, json.dumps(record).encode()),
              ("PUT", put): redirect(other.url + put, 307),
              ("DELETE", f"/image/v2/images/{IMAGE_ID}"): reply(204, b"")}
    disk = tmp_path / "disk.img"
    disk.write_bytes(b"image data" * 1000)
    with Home(routes=routes) as home:
        result = run(["image", "create", "up", "--file", str(disk)], tmp_path, home.env)
        deleted = ("DELETE", f"/image/v2/images/{IMAGE_ID}", 0) in home.requests
    line = refused(result, other, home.url + put, other.url + put)
    assert line.endswith(f"; the half-made image {IMAGE_ID} was deleted") and deleted


# -- (d) https never becomes http ----------------------------------------------------------------

def test_https_redirecting_to_plain_http_is_refused(tmp_path):
    cert, key = self_signed(tmp_path)
    plain = Logbook(host="127.0.0.1")  # the same host: only the scheme (and port) change
    try:
        to = plain.url + "/image/v2/images"
        with Home(routes={LIST: redirect(to + "?{query}")}, tls=(cert, key)) as home:
            assert home.url.startswith("https://")
            result = run(["image", "list"], tmp_path, {**home.env, "OS_CACERT": str(cert)})
        line = refused(result, plain, f"{home.url}/image/v2/images", to)
        assert line.endswith(": it leaves https for plain http, where anyone on the way could "
                             "receive the token; imgcli never leaves https by itself (give an "
                             "http URL only if you mean it)")
    finally:
        plain.close()


def test_https_works_with_the_cacert(tmp_path):
    cert, key = self_signed(tmp_path)
    with Home(images=3, tls=(cert, key)) as home:
        result = run(["image", "list", "-f", "value", "-c", "ID"], tmp_path,
                     {**home.env, "OS_CACERT": str(cert)})
        assert (result.returncode, result.stderr) == (0, "")
        assert sorted(result.stdout.decode().split()) == sorted(home.image_ids)


# -- (e) a redirect on the same host is still followed --------------------------------------------

@pytest.mark.parametrize("absolute", [True, False], ids=["absolute", "relative"])
@pytest.mark.parametrize("status", [301, 302, 307])
def test_a_same_host_redirect_is_followed(tmp_path, status, absolute):
    # Glance behind a proxy that adds the slash. A relative Location (RFC 9110 allows it)
    # is made absolute first: keystoneauth would hand requests the bare path.
    with Home(images=3) as home:
        where = (home.url if absolute else "") + "/image/v2/images/?{query}"
        home.routes[LIST] = redirect(where, status)
        result = run(["image", "list", "-f", "value", "-c", "ID"], tmp_path, home.env)
        paths = [path for method, path, _ in home.requests if method == "GET"]
    assert (result.returncode, result.stderr) == (0, "")
    assert sorted(result.stdout.decode().split()) == sorted(home.image_ids)
    assert any(path.startswith("/image/v2/images/?") for path in paths), paths


# -- the comparison itself ---------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [
    ("http://cloud/x", "HTTP://CLOUD:80/y"),
    ("https://cloud/x", "https://cloud:443/y?z=1"),
    ("http://[::1]:5000/x", "http://[::1]:5000/y"),
    # requests (urllib3) reads a backslash as the path's start, as browsers do: it would
    # connect to `cloud`, and only what it would connect to counts.
    ("http://cloud/x", "http://cloud\\@evil/x"),
])
def test_the_same_origin_however_spelled(a, b):
    assert origin(a) is not None and origin(a) == origin(b)


@pytest.mark.parametrize("location", [
    "http://evil/", "//evil/x", "https://cloud/x", "http://cloud:8080/x",
    "http://cloud@evil/x", "http://evil#@cloud/x",
    "http://cloud:99999/x", "file:///etc/passwd", "http://cloud.evil/x",
])
def test_anything_else_is_refused(location):
    with pytest.raises(RedirectRefused) as caught:
        guard_redirects({})(redirect_response("http://cloud/image/v2/images", location))
    assert "refusing to follow the 302 redirect from http://cloud/image/v2/images to " in \
        str(caught.value)


def test_the_message_shows_no_userinfo_query_or_control_characters():
    response = redirect_response("http://cloud/x?token=abc",
                                 "http://user:pw@evil/\x1b[2Jpath?sig=secret")
    with pytest.raises(RedirectRefused) as caught:
        guard_redirects({})(response)
    text = str(caught.value)
    assert "pw" not in text and "secret" not in text and "abc" not in text
    assert "\x1b" not in text and "http://evil/%1B%5B2Jpath:" in text


def test_shown_keeps_a_plain_url():
    assert shown("https://cloud:8443/image/v2/") == "https://cloud:8443/image/v2/"


def redirect_response(url: str, location: str, status: int = 302) -> requests.Response:
    request = requests.Request("GET", url, headers={"X-Auth-Token": "t"}).prepare()
    response = requests.Response()
    response.status_code, response.url, response.request = status, url, request
    response.headers["Location"] = location
    response.raw = HTTPResponse(body=b"", status=status, preload_content=False)
    return response



def test_an_upgrade_to_https_on_the_same_host_is_still_another_server():
    # Strict on purpose: https://cloud:443 is another listener than http://cloud:80.
    with pytest.raises(RedirectRefused) as caught:
        guard_redirects({"--os-auth-url (OS_AUTH_URL)": "http://cloud/identity"})(
            redirect_response("http://cloud/identity/v3", "https://cloud/identity/v3"))
    assert str(caught.value).endswith(": another port or scheme of the same host would "
                                      "receive the token; point --os-auth-url (OS_AUTH_URL) "
                                      "at the final URL")
