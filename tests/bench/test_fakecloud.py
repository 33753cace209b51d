"""The fake cloud is trusted by the benchmark and by fault-injection tests, so pin its contract."""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from fakecloud import ADMIN_PROJECT_ID, FAKE_PASSWORD, FAKE_TOKEN, HTML_401, FakeCloud
from tests.conftest import REPO as ROOT


def auth_body(password: str = FAKE_PASSWORD) -> dict[str, Any]:
    return {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": "admin", "domain": {"name": "Default"}}},
    }}


def login(cloud: FakeCloud, s: requests.Session) -> str:
    r = s.post(f"{cloud.auth_url}/v3/auth/tokens", json=auth_body())
    assert r.status_code == 201
    return r.headers["X-Subject-Token"]


def list_all(cloud: FakeCloud, query: str = "", token: str | None = None) -> list[dict[str, Any]]:
    """Follow Glance's prefix-less `next` links the way a client must."""
    pages = []
    path = f"/v2/images?{query}"
    with requests.Session() as s:
        s.headers["X-Auth-Token"] = token or cloud.token
        for _ in range(100):
            r = s.get(f"{cloud.url}/image{path}")
            assert r.status_code == 200, r.text
            pages.append(r.json())
            if "next" not in pages[-1]:
                return pages
            path = pages[-1]["next"]
    raise AssertionError("paging did not end")


@pytest.fixture
def cloud() -> Iterator[FakeCloud]:
    with FakeCloud(images=60) as c:
        yield c


@pytest.fixture
def s(cloud: FakeCloud) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["X-Auth-Token"] = cloud.token
        yield session


# -- discovery and auth --------------------------------------------------------------------


def test_keystone_versions_document(cloud: FakeCloud, s: requests.Session) -> None:
    r = s.get(cloud.auth_url, allow_redirects=False)
    assert r.status_code == 300
    (v3,) = r.json()["versions"]["values"]
    assert v3["id"] == "v3.14" and v3["status"] == "stable"
    assert v3["links"] == [{"rel": "self", "href": f"{cloud.url}/identity/v3/"}]
    assert v3["media-types"][0]["type"] == "application/vnd.openstack.identity-v3+json"
    for path in ("/identity/v3", "/identity/v3/"):
        r = s.get(cloud.url + path)
        assert r.status_code == 200
        assert r.json()["version"]["id"] == "v3.14"


def test_glance_versions_document(cloud: FakeCloud, s: requests.Session) -> None:
    for path in ("/image", "/image/"):
        r = s.get(cloud.url + path, allow_redirects=False)
        assert r.status_code == 300
        versions = r.json()["versions"]
        assert [v["id"] for v in versions] == [f"v2.{i}" for i in range(17, -1, -1)]
        assert [v["status"] for v in versions] == ["CURRENT"] + ["SUPPORTED"] * 17
        assert all(v["links"] == [{"rel": "self", "href": f"{cloud.url}/image/v2/"}]
                   for v in versions)


def test_token_issue(cloud: FakeCloud) -> None:
    r = requests.post(f"{cloud.auth_url}/v3/auth/tokens", json=auth_body())
    assert r.status_code == 201
    assert r.headers["X-Subject-Token"] == cloud.token == FAKE_TOKEN
    assert len(FAKE_TOKEN) > 100
    token = r.json()["token"]
    assert token["methods"] == ["password"]
    assert token["project"]["name"] == "admin" and token["project"]["domain"]["id"] == "default"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", token["expires_at"])
    assert token["expires_at"] > token["issued_at"]
    (image,) = [svc for svc in token["catalog"] if svc["type"] == "image"]
    assert {e["interface"] for e in image["endpoints"]} == {"public", "internal", "admin"}
    assert {(e["url"], e["region_id"]) for e in image["endpoints"]} == {
        (f"{cloud.url}/image", "RegionOne")}


def test_wrong_password(cloud: FakeCloud) -> None:
    r = requests.post(f"{cloud.auth_url}/v3/auth/tokens", json=auth_body("nope"))
    assert r.status_code == 401
    assert "X-Subject-Token" not in r.headers
    assert r.json() == {"error": {"code": 401, "title": "Unauthorized",
                                  "message": "The request you have made requires authentication."}}


def test_env_authenticates(cloud: FakeCloud) -> None:
    env = cloud.env
    assert env["OS_AUTH_URL"] == cloud.auth_url == cloud.url + "/identity"
    assert env["OS_PASSWORD"] == FAKE_PASSWORD
    body = auth_body(env["OS_PASSWORD"])
    assert requests.post(f"{env['OS_AUTH_URL']}/v3/auth/tokens", json=body).status_code == 201


@pytest.mark.parametrize("token", [None, "bogus"])
def test_list_without_valid_token_is_html_401(cloud: FakeCloud, token: str | None) -> None:
    r = requests.get(f"{cloud.url}/image/v2/images",
                     headers={"X-Auth-Token": token} if token else {})
    assert r.status_code == 401
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.content == HTML_401


# -- listing -------------------------------------------------------------------------------


def test_paging_60_by_25(cloud: FakeCloud) -> None:
    pages = list_all(cloud, "limit=25&visibility=all")
    assert [len(p["images"]) for p in pages] == [25, 25, 10]
    for p in pages[:-1]:
        assert p["next"].startswith("/v2/images?") and "limit=25" in p["next"]
    assert pages[0]["first"] == "/v2/images?limit=25&visibility=all"
    assert pages[0]["schema"] == "/v2/schemas/images"
    ids = [i["id"] for p in pages for i in p["images"]]
    assert sorted(ids) == sorted(cloud.image_ids)
    assert [r[2] for r in cloud.list_requests()] == [200, 200, 200]


def test_exact_multiple_ends_with_empty_page() -> None:
    with FakeCloud(images=50) as cloud:
        pages = list_all(cloud, "limit=25&visibility=all")
    assert [len(p["images"]) for p in pages] == [25, 25, 0]


def test_default_limit_and_page_cap() -> None:
    with FakeCloud(images=30, page_cap=10) as cloud:
        assert [len(p["images"]) for p in list_all(cloud, "visibility=all")] == [10, 10, 10, 0]
    with FakeCloud(images=30) as cloud:
        assert [len(p["images"]) for p in list_all(cloud, "visibility=all")] == [25, 5]


def test_default_visibility_hides_foreign_community(cloud: FakeCloud) -> None:
    everything = [i for p in list_all(cloud, "visibility=all") for i in p["images"]]
    default = [i for p in list_all(cloud) for i in p["images"]]
    assert len(everything) == 60
    assert {i["id"] for i in default} == {
        i["id"] for i in everything
        if i["visibility"] != "community" or i["owner"] == ADMIN_PROJECT_ID}
    assert len(default) < 60
    community = [i for p in list_all(cloud, "visibility=community") for i in p["images"]]
    assert community and all(i["visibility"] == "community" for i in community)


def test_filters(cloud: FakeCloud) -> None:
    images = cloud.images
    target = images[7]
    found = [i for p in list_all(cloud, f"name={target['name']}&visibility=all")
             for i in p["images"]]
    assert [i["id"] for i in found] == [target["id"]]
    tagged = [i for p in list_all(cloud, "tag=prod&tag=gpu&visibility=all") for i in p["images"]]
    expected = {i["id"] for i in images if {"prod", "gpu"} <= set(i["tags"])}
    assert {i["id"] for i in tagged} == expected
    assert list_all(cloud, "os_hidden=true&visibility=all")[0]["images"] == []


@pytest.mark.parametrize("query", ["sort=name:asc", "sort_key=name&sort_dir=asc"])
def test_sort_by_name(cloud: FakeCloud, query: str) -> None:
    names = [i["name"] for p in list_all(cloud, f"{query}&visibility=all&limit=7")
             for i in p["images"]]
    assert names == sorted(names) and len(names) == 60
    desc = [i["name"] for p in list_all(cloud, "sort=name:desc&visibility=all")
            for i in p["images"]]
    assert desc == names[::-1]


def test_sort_by_size_with_id_tiebreaker(cloud: FakeCloud) -> None:
    images = [i for p in list_all(cloud, "sort=size:asc,id:asc&visibility=all&limit=9")
              for i in p["images"]]
    keys = [(i["size"], i["id"]) for i in images]
    assert keys == sorted(keys)
    assert len({i["size"] for i in images}) < 60  # some equal sizes, so the tiebreak mattered


def test_default_order_is_newest_first(cloud: FakeCloud) -> None:
    created = [i["created_at"] for p in list_all(cloud, "visibility=all") for i in p["images"]]
    assert created == sorted(created, reverse=True)


@pytest.mark.parametrize("query", [
    "marker=00000000-0000-4000-8000-000000000000", "limit=-1", "limit=x", "sort=bogus:asc",
    "sort=name:sideways", "sort=name&sort_key=name",
])
def test_bad_queries_are_400(cloud: FakeCloud, s: requests.Session, query: str) -> None:
    assert s.get(f"{cloud.url}/image/v2/images?{query}").status_code == 400


def test_images_are_realistic_and_deterministic(cloud: FakeCloud) -> None:
    image = cloud.images[0]
    assert re.fullmatch(r"img-00001-[a-z-]+-[\d.]+", image["name"])
    for key in ("id", "status", "visibility", "size", "disk_format", "container_format",
                "checksum", "os_hash_algo", "os_hash_value", "owner", "tags", "protected",
                "min_ram", "min_disk", "created_at", "updated_at", "self", "file", "schema"):
        assert key in image
    assert image["self"] == f"/v2/images/{image['id']}"
    assert isinstance(image["size"], int)
    with FakeCloud(images=60) as again:
        assert again.image_ids == cloud.image_ids


def test_keep_alive(cloud: FakeCloud) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", cloud.port)
    conn.request("GET", "/image/v2/images", headers={"X-Auth-Token": cloud.token})
    r = conn.getresponse()
    assert r.status == 200 and json.loads(r.read())["images"]
    sock = conn.sock
    conn.request("GET", "/image/v2/images?limit=1", headers={"X-Auth-Token": cloud.token})
    assert conn.getresponse().read()
    assert conn.sock is sock is not None  # same TCP connection served both
    conn.close()


def test_latency_is_applied() -> None:
    with FakeCloud(images=1, latency_ms=150) as cloud:
        start = time.monotonic()
        requests.get(cloud.url + "/image")
        assert time.monotonic() - start >= 0.15


def test_request_log(cloud: FakeCloud, s: requests.Session) -> None:
    s.get(f"{cloud.url}/image/v2/images?limit=2")
    s.get(f"{cloud.url}/nowhere")
    assert cloud.requests == [("GET", "/image/v2/images?limit=2", 200), ("GET", "/nowhere", 404)]


def test_unknown_fault_rejected() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        FakeCloud(faults=("typo",))


def test_command_line_prints_url() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "fakecloud", "--images", "3"],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert requests.get(url + "/image", timeout=5).status_code == 300
    finally:
        proc.terminate()
        proc.wait(5)


# -- token revocation and faults -----------------------------------------------------------


def test_revoke_tokens(cloud: FakeCloud, s: requests.Session) -> None:
    old = cloud.token
    cloud.revoke_tokens()
    assert s.get(f"{cloud.url}/image/v2/images").status_code == 401
    new = login(cloud, requests.Session())
    assert new == cloud.token != old
    assert list_all(cloud, token=new)[0]["images"]


def test_revoke_after_first_page(s: requests.Session) -> None:
    with FakeCloud(images=60, faults=("revoke-after-first-page",)) as cloud:
        s.headers["X-Auth-Token"] = cloud.token
        first = s.get(f"{cloud.url}/image/v2/images?visibility=all")
        assert first.status_code == 200
        second = f"{cloud.url}/image{first.json()['next']}"
        assert s.get(second).status_code == 401
        s.headers["X-Auth-Token"] = login(cloud, s)
        assert len(s.get(second).json()["images"]) == 25
        assert s.get(second).status_code == 200  # revoked once only


def fault_cloud(fault: str, images: int = 60) -> FakeCloud:
    return FakeCloud(images=images, faults=(fault,))


def get_list(cloud: FakeCloud, query: str = "", **kw: Any) -> requests.Response:
    return requests.get(f"{cloud.url}/image/v2/images?{query}",
                        headers={"X-Auth-Token": cloud.token}, **kw)


@pytest.mark.parametrize(("fault", "status", "retry_after"), [("503-once", 503, "0"),
                                                               ("429-once", 429, "1")])
def test_transient_faults(fault: str, status: int, retry_after: str) -> None:
    with fault_cloud(fault) as cloud:
        r = get_list(cloud)
        assert (r.status_code, r.headers["Retry-After"]) == (status, retry_after)
        assert get_list(cloud).status_code == 200


def test_fault_500_always() -> None:
    with fault_cloud("500") as cloud:
        for _ in range(2):
            r = get_list(cloud)
            assert r.status_code == 500 and r.headers["Content-Type"] == "text/plain"


def test_fault_bodies() -> None:
    with fault_cloud("not-json") as cloud:
        r = get_list(cloud)
        assert r.status_code == 200 and r.headers["Content-Type"] == "text/html"
        with pytest.raises(ValueError):
            r.json()
    with fault_cloud("no-images-key") as cloud:
        assert get_list(cloud).json() == {"foo": []}
    with fault_cloud("html-401") as cloud:
        r = get_list(cloud)
        assert r.status_code == 401 and r.content == HTML_401


def test_fault_paging_loop() -> None:
    with fault_cloud("paging-loop") as cloud:
        first = get_list(cloud).json()["next"]
        second = requests.get(f"{cloud.url}/image{first}",
                              headers={"X-Auth-Token": cloud.token}).json()["next"]
        assert first == second


def test_fault_next_off_host() -> None:
    with fault_cloud("next-off-host") as cloud:
        assert get_list(cloud).json()["next"].startswith(
            "http://evil.example.invalid/v2/images?marker=")


@pytest.mark.parametrize("fault", ["truncated", "reset"])
def test_fault_broken_body(fault: str) -> None:
    with fault_cloud(fault, images=200) as cloud:
        with pytest.raises(requests.exceptions.RequestException):
            get_list(cloud, "limit=200").json()
        assert cloud.requests[-1][2] == 200


def test_fault_hang_is_bounded_by_client_timeout_and_shutdown() -> None:
    start = time.monotonic()
    with fault_cloud("hang") as cloud:
        with pytest.raises(requests.exceptions.ReadTimeout):
            get_list(cloud, timeout=0.3)
        assert requests.get(cloud.url + "/image", timeout=5).status_code == 300
    assert time.monotonic() - start < 10  # stop() released the hanging handler


def test_fault_identity_500() -> None:
    with fault_cloud("identity-500") as cloud:
        r = requests.post(f"{cloud.auth_url}/v3/auth/tokens", json=auth_body())
        assert r.status_code == 500 and "X-Subject-Token" not in r.headers


def test_fault_no_image_endpoint() -> None:
    with fault_cloud("no-image-endpoint") as cloud:
        r = requests.post(f"{cloud.auth_url}/v3/auth/tokens", json=auth_body())
        assert r.status_code == 201
        assert [svc["type"] for svc in r.json()["token"]["catalog"]] == ["identity"]


def test_fault_bad_types() -> None:
    with fault_cloud("bad-types", images=10) as cloud:
        images = [i for p in list_all(cloud, "visibility=all&sort=name:asc") for i in p["images"]]
        assert len(images) == 10
        assert any(isinstance(i.get("size"), str) for i in images)
        assert any("name" not in i for i in images)
        assert any(i.get("name") is None and "name" in i for i in images)
        names = [i.get("name") or "" for i in images]
        assert any(len(n) > 255 for n in names)
        assert any("🚀" in n for n in names) and any("ע" in n for n in names)
        # sorting by a column of mixed types must not crash the server
        assert get_list(cloud, "sort=size:desc&visibility=all").status_code == 200
