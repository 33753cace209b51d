"""Who each request is for (imgcli.trace.attribution): the arrow's label and its lines, the
step's purpose, the catalog's longest match, pagination, URLs the catalog does not name."""

from __future__ import annotations

import pytest
import requests
import requests_mock

from imgcli.trace import attribution
from imgcli.trace.recorder import Recorder
from tests.unit.trace.seedrun import (
    ARGV,
    AUTH_URL,
    GLANCE_VERSIONS,
    IMAGE_URL,
    IMAGES_URL,
    OUTPUT,
    TOKEN,
    arrows,
    mermaid_block,
    recorded,
    register_seed,
    run_seed,
)


def test_arrow_label_is_path_and_query_the_section_has_the_url():
    root = "http://glance.example:9292"
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.get(root, status_code=300, json=GLANCE_VERSIONS)
        m.get(root + "/v2/images/a%20b?x=1", json={})
        with requests.Session() as session:
            rec.attach(session)
            session.get(root)
            session.get(root + "/v2/images/a%20b?x=1")
    md = rec.render_markdown()
    assert [line for line in arrows(md) if line.startswith("client")] == [
        "client->>glance: GET /",
        "client->>glance: GET /v2/images/a%20b?x=1",
    ]
    assert f"### (3) GET {root}/v2/images/a%20b?x=1" in md


def test_long_arrow_label_is_broken_into_lines_at_separators():
    image, member = "d53de89a-9da8-44dc-b70c-c015f5bea293", "dba368b46ea14ab3ad85e572224e761a"
    url = f"{IMAGE_URL}/v2/images/{image}/members/{member}?a=1&bb=2"
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.delete(url, status_code=204)
        with requests.Session() as session:
            rec.attach(session)
            session.delete(url)
    label = arrows(rec.render_markdown())[0].removeprefix("client->>glance: DELETE ")
    lines = label.split("<br/>")
    assert lines == ["/image/v2/images", f"/{image}", f"/members/{member}", "?a=1&bb=2"]
    assert "".join(lines) == url.removeprefix("http://182.161.114.101")


@pytest.mark.parametrize(
    ("method", "url", "purpose"),
    [
        ("POST", IMAGE_URL + "/v2/images", "a new image record"),
        ("PATCH", IMAGE_URL + "/v2/images/i1", "the image's changes, as a JSON-Patch"),
        ("DELETE", IMAGE_URL + "/v2/images/i1", "the image's deletion"),
        ("PUT", IMAGE_URL + "/v2/images/i1/file", "the image data, uploaded"),
        ("GET", IMAGE_URL + "/v2/images/i1/file", "the image data"),
        ("PUT", IMAGE_URL + "/v2/images/i1/stage", "the image data, staged for an import"),
        ("DELETE", IMAGE_URL + "/v2/images/i1/tags/a%20b%2Ax", "removing the tag a b\\*x"),
        ("POST", IMAGE_URL + "/v2/images/i1/members", "sharing the image with a project"),
        ("DELETE", IMAGE_URL + "/v2/images/i1/members/p1", "unsharing the image with project p1"),
        ("GET", IMAGE_URL + "/v2/images/i1/members", "the image's members"),
        ("GET", AUTH_URL + "/v3/projects/demo", "the project demo"),
        ("GET", AUTH_URL + "/v3/projects?name=demo", "the ID of the project named demo"),
        # A path Glance does not have is named as it is, not guessed at.
        ("GET", IMAGE_URL + "/v2/images/i1/members/p1/x", "GET /image/v2/images/i1/members/p1/x"),
    ],
)
def test_steps_say_what_each_request_is_for(method, url, purpose):
    rec = Recorder(ARGV)
    with requests_mock.Mocker() as m:
        m.register_uri(method, url, status_code=200, json={})
        with requests.Session() as session:
            rec.attach(session)
            session.request(method, url)
    assert f"- (1),(2): {purpose}" in rec.render_markdown()


def test_warm_cache_single_get_is_glance_by_url():
    rec = recorded(lambda session: session.get(IMAGES_URL, headers={"X-Auth-Token": TOKEN}))
    md = rec.render_markdown(OUTPUT)
    assert mermaid_block(md)[2:] == [
        "participant client as imgcli",
        "participant glance as glance-api",
        "client->>glance: GET /image/v2/images?visibility=all",
        "glance-->>client: Response: 200 OK",
    ]
    assert "- (1),(2): the image list; glance-api answered 200 OK." in md


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("http://glance.example:9292/v2/images?limit=20", "glance-api"),
        ("http://cloud.example/v2/images", "glance-api"),
        ("https://keystone.example:5000/v3/auth/tokens", "keystone-api"),
        ("https://cloud.example/v3/users", "keystone-api"),
        ("http://cloud.example/compute/v2.1/servers", "nova-api"),
        ("http://cloud.example:9696/v2.0/networks", "neutron-api"),
        ("http://203.0.113.5:8080/info", "203.0.113.5-8080"),
    ],
)
def test_url_fallback_labels(url, label):
    service = attribution.service_for(url, [], [])
    assert attribution.label(service, url) == label


def test_catalog_longest_match_and_unversioned_root():
    catalog = [
        ("http://cloud.example/identity", "identity"),
        ("http://cloud.example:8774/v2.1/abc", "compute"),
        ("http://cloud.example/image", "image"),
        ("http://cloud.example/image/special", "placement"),
    ]
    service_for = attribution.service_for
    assert service_for("http://cloud.example/image/v2/images", catalog, []) == "image"
    assert service_for("http://cloud.example/image/special/x", catalog, []) == "placement"
    assert service_for("http://cloud.example/imagefoo", catalog, []) is None
    assert service_for("http://cloud.example:8774/", catalog, []) == "compute"
    bases = ["http://devstack-debug/identity"]
    assert service_for("http://devstack-debug/identity", catalog, bases) == "identity"
    assert attribution.label("orchestration", "") == "heat-api"
    assert attribution.label("container-infra", "") == "container-infra-api"


def test_pagination_and_custom_catalog_service():
    rec = Recorder(ARGV)
    page2 = IMAGE_URL + "/v2/images?visibility=all&marker=9c31f2c6"
    with requests_mock.Mocker() as m:
        register_seed(m)
        m.get(page2, json={"images": []})
        with requests.Session() as session:
            rec.attach(session)
            run_seed(session)
            session.get(page2, headers={"X-Auth-Token": TOKEN})
    md = rec.render_markdown(OUTPUT)
    assert "- (9),(10): the next page of images; glance-api answered 200 OK." in md
    assert "### (10) 200 OK" in md
