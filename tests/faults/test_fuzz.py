"""Property tests: whatever Glance or the user sends, imgcli answers with rows or its own error.

Image documents of any shape go through the whole CLI (requests-mock Glance, every output
format); reply bodies through check_response; `next` links through next_page_url; option
values through their parsers. Nothing may escape but the documented error types, and an
error is one line.
"""

from __future__ import annotations

import argparse
import json
import string

import pytest
import requests
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from urllib3.util import parse_url

from imgcli.api.images import check_response, next_page_url
from imgcli.commands.image.list import (
    LONG_KEYS,
    SORT_KEYS,
    TIME_OPERATORS,
    parse_sort,
    sort_param,
    time_filter,
)
from imgcli.commands.options import key_value, non_negative
from imgcli.errors import ApiError, AuthError, UsageError
from tests.conftest import IMAGE_URL, TOKEN

FAST = settings(max_examples=100, deadline=None)
# A whole CLI run per example: no shrinking (minutes when it fails); the example is small.
CLI = settings(max_examples=60, deadline=None, phases=(Phase.explicit, Phase.reuse,
                                                       Phase.generate),
               suppress_health_check=[HealthCheck.function_scoped_fixture])

# --- image documents --------------------------------------------------------------------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(0, 2**63).map(str),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
    st.sampled_from(["🚀 rocket 🐧", "صورة-اختبار עברית", "a\nb\tc", "\u202eevil", "x" * 300,
                     "<b>html</b>", "", " ", "null", "-1", "1e3", "\x00"]),
)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=8)
# Glance's keys, each present or not, with any JSON value; and a few keys of any name.
image_docs = st.builds(
    lambda extra, known: {**extra, **known},
    st.dictionaries(st.text(max_size=12), json_values, max_size=3),
    st.fixed_dictionaries({}, optional={key: json_values for key in (*LONG_KEYS, "os_hidden")}))
FORMATS = ["table", "json", "yaml", "csv", "value"]


@CLI
@given(images=st.lists(st.one_of(image_docs, image_docs, image_docs, json_values), max_size=4),
       fmt=st.sampled_from(FORMATS), long=st.booleans())
@example(images=[{"id": "i", "tags": 5}], fmt="json", long=True)
@example(images=[{"id": "i", "tags": [1, "a", None]}], fmt="table", long=True)
@example(images=[{"id": "i", "tags": [["nested"]]}], fmt="value", long=True)
def test_any_image_document_is_rendered_or_refused_in_one_line(requests_mock, run, images,
                                                                fmt, long):
    requests_mock.get(IMAGE_URL + "/v2/images", json={"images": images})
    result = run(["--os-token", TOKEN, "--os-endpoint", IMAGE_URL, "image", "list",
                  "-f", fmt, *(["--long"] if long else [])], {})
    assert "Traceback" not in result.err
    if not all(isinstance(image, dict) for image in images):
        assert result.code == 1 and "not all objects" in result.err
        assert len(result.err.splitlines()) == 1
        return
    assert (result.code, result.err) == (0, "")
    if fmt == "json":
        shown = json.loads(result.out)
        assert [row["ID"] for row in shown] == [image.get("id") for image in images]
        assert [row["Name"] for row in shown] == [image.get("name") for image in images]


# --- reply bodies -----------------------------------------------------------------------

def response(status: int, body: bytes, content_type: str | None) -> requests.Response:
    reply = requests.Response()
    reply.status_code, reply._content, reply.url = status, body, IMAGE_URL + "/v2/images?x=1"
    reply.reason = None
    if content_type:
        reply.headers["Content-Type"] = content_type
    return reply


bodies = st.one_of(
    st.builds(lambda v: json.dumps(v).encode(), json_values),
    st.builds(lambda images, extra: json.dumps({"images": images, **extra}).encode(),
              st.lists(st.one_of(image_docs, json_values), max_size=3),
              st.dictionaries(st.text(max_size=6), json_values, max_size=3)),
    st.builds(lambda e: json.dumps({"error": e}).encode(), json_values),
    st.builds(lambda m: json.dumps({"error": {"message": m}}).encode(), st.text()),
    st.binary(max_size=64),
    st.text(max_size=200).map(str.encode),
    st.sampled_from([b"", b"<html><title>x</title><h1>Err</h1><p>boom</p></html>",
                     b"{", b"null", b"[]", b'{"images": null}', b"\xff\xfe{}"]),
)


@FAST
@given(status=st.one_of(st.sampled_from([200, 203, 300, 400, 401, 403, 404, 413, 500, 503]),
                        st.integers(100, 999)),
       body=bodies,
       content_type=st.sampled_from([None, "application/json", "text/html", "text/plain"]))
@example(500, b'{"message": "line one\\nline two"}', "application/json")
def test_any_reply_is_a_listing_or_one_line_error(status, body, content_type):
    try:
        doc = check_response(response(status, body, content_type))
    except (ApiError, AuthError) as err:
        assert isinstance(err, AuthError) == (status == 401)
        message = str(err)
        assert "\n" not in message and "\r" not in message
        assert IMAGE_URL + "/v2/images?x=1" in message
        assert "<h1>" not in message and "<title>" not in message
    else:
        assert status < 400
        assert all(isinstance(image, dict) for image in doc["images"])


@pytest.mark.parametrize("status", [200, 500])
def test_a_reply_nested_deeper_than_python_recurses_is_an_api_error(status):
    with pytest.raises(ApiError) as caught:
        check_response(response(status, b"[" * 5000, "application/json"))
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 1000


# --- next links -------------------------------------------------------------------------

ROOTS = ["http://h/image/v2/", "https://glance.example:9292/v2/", "http://10.0.0.1/a/image/v2.16/",
         "http://h/v2", "http://[::1]:9292/image/v2/"]
HOST_TRICKS = ["h", "glance.example:9292", "evil", "h@evil", "evil@h", "h:80", "h.evil",
               "10.0.0.1", "[::1]:9292", "evil\\@h", "h\t@evil", "[", "[::1", ""]
links = st.one_of(
    st.text(max_size=60),
    st.builds(lambda scheme, host, path: f"{scheme}//{host}{path}",
              st.sampled_from(["http:", "https:", "", "HTTP:", "ftp:", " http:"]),
              st.sampled_from(HOST_TRICKS), st.text(max_size=20)),
    st.builds(lambda path, marker: f"/v2/images?limit=1000&marker={marker}{path}",
              st.text(max_size=10), st.text(string.hexdigits + "-", max_size=36)),
)


def origin(url: str) -> tuple[str | None, str | None, int | None]:
    parsed = parse_url(url.lstrip())  # what requests connects to
    return (parsed.scheme or "").lower(), (parsed.host or "").lower(), parsed.port


@FAST
@given(root=st.sampled_from(ROOTS), link=links)
@example(ROOTS[0], "http://[x/v2/images")
@example(ROOTS[0], "http://evil/v2/images?a\nb")
@example(ROOTS[0], "//evil/v2/images")
@example(ROOTS[0], "http://h\t@evil/v2/images")
def test_next_link_stays_on_the_endpoint_host_or_is_refused(root, link):
    try:
        url = next_page_url(root, link)
    except ApiError as err:
        assert "\n" not in str(err) and "\r" not in str(err)
        return
    assert isinstance(url, str)
    try:
        where = origin(url)
    except Exception:  # requests cannot parse it either, so it would not send it anywhere
        return
    assert where == origin(root)


# --- option values ----------------------------------------------------------------------

sort_texts = st.one_of(
    st.text(max_size=30),
    st.lists(st.tuples(st.sampled_from([*SORT_KEYS, "owner", "", "NAME", " name"]),
                       st.sampled_from(["", ":asc", ":desc", ":", ":up", ":asc:desc"])),
             min_size=1, max_size=4).map(lambda parts: ",".join(k + d for k, d in parts)),
)


@FAST
@given(text=sort_texts)
def test_sort_is_parsed_or_refused(text):
    try:
        keys = parse_sort(text)
    except UsageError as err:
        assert "--sort" in str(err) and "\n" not in str(err)
        with pytest.raises(UsageError):
            sort_param(text)
        return
    assert keys and all(key in SORT_KEYS and d in ("asc", "desc") for key, d in keys)
    param = sort_param(text)
    assert parse_sort(param)[:len(keys)] == keys  # Glance's form of the same order
    assert {"created_at", "id"} <= {key for key, _ in parse_sort(param)}


@FAST
@given(text=st.one_of(st.text(max_size=20),
                      st.builds("{}={}".format, st.text(max_size=8), st.text(max_size=8))))
def test_property_is_key_value_or_refused(text):
    try:
        key, value = key_value(text)
    except argparse.ArgumentTypeError:
        assert "=" not in text or text.startswith("=")
        return
    assert key and "=" not in key and f"{key}={value}" == text


times = st.one_of(
    st.text(max_size=30),
    st.datetimes().map(lambda t: t.isoformat()),
    st.datetimes().map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")),
    st.sampled_from(["2024-01-31", "2024-01-31T12:00:00Z", "yesterday", "", "2024-13-01",
                     "2024-01-31T25:00", "2024-01-31ZZ", "\x00", "2024-W05-3"]),
)


@FAST
@given(op=st.one_of(st.sampled_from([*TIME_OPERATORS, "", "GT", "after"]), st.text(max_size=4)),
       when=times, colon=st.sampled_from([":", "", "::"]))
def test_time_filter_is_op_and_iso_time_or_refused(op, when, colon):
    text = f"{op}{colon}{when}"
    try:
        value = time_filter(text)
    except argparse.ArgumentTypeError as err:
        assert "\n" not in str(err)
        return
    assert value == text
    assert value.partition(":")[0] in TIME_OPERATORS


@FAST
@given(text=st.one_of(st.text(max_size=12), st.integers().map(str), st.just("9" * 5000)))
def test_counts_are_whole_non_negative_numbers_or_refused(text):
    try:
        value = non_negative(text)
    except argparse.ArgumentTypeError:
        return
    assert isinstance(value, int) and value >= 0

