"""An error body is read up to 64 KiB, whatever its size (imgcli.transport.bound_body).

A 400 MiB error page once made `image save` take gigabytes of memory to print 300 characters
(docs/performance.md#peak-memory-of-an-error-page). Here the cloud on loopback answers 500
with a 400 MiB page, made as it is written, to the image-list GET, the data GET of `image
save` and keystoneauth's own token request: imgcli must end in one line, exit 1, stay small,
and hang up long before the end of the page. HOSTILE_UNGUARDED=1 runs imgcli without the
guard: those tests then fail.
"""

from __future__ import annotations

import io
import json

import pytest
import requests
from urllib3 import HTTPResponse

from fakecloud.hostile import Flood, Home, reply
from imgcli.api.images import failure
from imgcli.errors import ExitStatus
from imgcli.transport import ERROR_BODY_LIMIT, bound_body
from tests.conftest import assert_no_secret
from tests.faults.runner import Run, run

IMAGE_ID = "0a5d2f34-6baa-4455-a3e7-0682c2094cac"  # FakeCloud's first image (seed 0)
LIST = ("GET", "/image/v2/images")
MAX_RSS = 150 << 20  # bytes: far above a normal run, far below one that reads the page (see
# docs/performance.md#peak-memory-of-an-error-page)
MAX_SENT = 32 << 20  # bytes of the page out before imgcli hung up (socket buffers, mostly)
MAX_SECONDS = 20


def bounded(result: Run, flood: Flood) -> str:
    """The one line of a refused request, made without reading the page."""
    assert_no_secret(result.stdout.decode(errors="replace") + result.stderr)
    assert "Traceback" not in result.stderr, result.stderr[:2000]
    assert result.peak_rss < MAX_RSS, f"peak RSS {result.peak_rss >> 20} MiB"
    assert flood.sent < MAX_SENT, f"{flood.sent >> 20} MiB of the page were read"
    assert result.seconds < MAX_SECONDS
    assert result.returncode == ExitStatus.ERROR, result.stderr[:2000]
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and len(lines[0]) < 1000, result.stderr[:2000]
    return lines[0]


def test_a_huge_error_page_to_the_image_list(tmp_path):
    flood = Flood()
    with Home(routes={LIST: flood}) as home:
        result = run(["image", "list"], tmp_path, home.env)
    line = bounded(result, flood)
    assert line.startswith(f"GET {home.url}/image/v2/images?") and \
        " failed: 500 Internal Server Error: the server is flooding you " in line


def test_a_huge_error_page_to_the_data_get_of_image_save(tmp_path):
    record = Home(images=1).images[0]
    data = f"/image/v2/images/{IMAGE_ID}/file"
    flood = Flood()
    routes = {("GET", f"/image/v2/images/{IMAGE_ID}"): reply(200, json.dumps(record).encode()),
              ("GET", data): flood}
    dest = tmp_path / "out.img"
    with Home(images=1, routes=routes) as home:
        result = run(["image", "save", IMAGE_ID, "--file", str(dest)], tmp_path, home.env)
    assert bounded(result, flood).startswith(f"GET {home.url}{data} failed: 500 ")
    assert not dest.exists() and not list(tmp_path.glob(".*.part"))


def test_a_huge_json_error_to_keystoneauths_token_request(tmp_path):
    flood = Flood(ctype="application/json")  # keystoneauth parses it: not valid JSON, cut
    with Home(routes={("POST", "/identity/v3/auth/tokens"): flood}) as home:
        result = run(["image", "list"], tmp_path, home.env)
    assert "/identity/v3/auth/tokens" in bounded(result, flood)


def test_debug_output_stays_bounded_too(tmp_path):
    # keystoneauth logs a text/plain or JSON body whole under --debug: now 64 KiB of it.
    flood = Flood(ctype="text/plain")
    with Home(routes={LIST: flood}) as home:
        result = run(["--debug", "image", "list"], tmp_path, home.env)
    assert_no_secret(result.stdout.decode(errors="replace") + result.stderr)
    assert result.returncode == ExitStatus.ERROR  # with a traceback: --debug asks for one
    assert result.peak_rss < MAX_RSS and flood.sent < MAX_SENT
    assert ERROR_BODY_LIMIT < len(result.stderr) < 4 * ERROR_BODY_LIMIT


def test_a_small_error_page_still_gives_glances_message(tmp_path):
    page = (b"<html>\n <head>\n  <title>409 Conflict</title>\n </head>\n <body>\n  <h1>409 "
            b"Conflict</h1>\n  Image status transition from active to queued is not "
            b"allowed<br /><br />\n\n\n\n </body>\n</html>")
    with Home(routes={LIST: reply(409, page, "text/html")}) as home:
        result = run(["image", "list"], tmp_path, home.env)
    assert result.returncode == ExitStatus.ERROR
    assert result.stderr.endswith(" failed: 409 Conflict: Image status transition from active "
                                  "to queued is not allowed\n")


# -- the hook itself ----------------------------------------------------------------------------

class Raw(HTTPResponse):
    """urllib3's response, saying whether the connection was dropped (closed unread)."""

    dropped = False

    def close(self) -> None:
        self.dropped = self.dropped or not self.closed
        super().close()


def response(status: int, body: bytes, ctype: str = "application/json",
             read: bool = False, **headers: str) -> requests.Response:
    """A response as requests' adapter builds it: the body still unread on `raw`."""
    result = requests.Response()
    result.status_code, result.url = status, "http://cloud/image/v2/images"
    result.request = requests.Request("GET", result.url).prepare()
    result.headers["Content-Type"] = ctype
    result.raw = Raw(body=io.BytesIO(body), status=status, headers=headers,
                     preload_content=False)
    if read:  # as requests-mock leaves it
        result._content = body
    return result


def test_a_small_error_body_is_kept_whole_and_parsed():
    body = json.dumps({"error": {"code": 404, "title": "Not Found",
                                 "message": "No image found with ID abc"}}).encode()
    answer = response(404, body)
    bound_body(answer)
    assert answer.content == body and not answer.raw.dropped
    assert str(failure(answer)) == ("GET http://cloud/image/v2/images failed: 404 Not Found: "
                                    "No image found with ID abc")


@pytest.mark.parametrize("read", [False, True], ids=["unread", "already-read"])
def test_a_big_error_body_is_cut_at_the_limit(read):
    answer = response(500, b"x" * (ERROR_BODY_LIMIT * 16), "text/plain", read=read)
    bound_body(answer)
    assert len(answer.content) == ERROR_BODY_LIMIT
    if not read:
        assert answer.raw.dropped  # the rest is never read: the connection is dropped


def test_a_body_of_exactly_the_limit_is_whole():
    answer = response(500, b"y" * ERROR_BODY_LIMIT, "text/plain")
    bound_body(answer)
    assert answer.content == b"y" * ERROR_BODY_LIMIT and not answer.raw.dropped


def test_success_bodies_are_left_alone():
    answer = response(200, b"z" * (ERROR_BODY_LIMIT * 2))
    bound_body(answer)
    assert answer._content is False and len(answer.content) == ERROR_BODY_LIMIT * 2


def test_a_gzip_error_body_is_bounded_after_decoding():
    import gzip

    packed = gzip.compress(b"w" * (50 << 20))  # 50 MiB in 50 KiB on the wire
    answer = response(500, packed, "text/plain", **{"Content-Encoding": "gzip"})
    bound_body(answer)
    assert answer.content == b"w" * ERROR_BODY_LIMIT

