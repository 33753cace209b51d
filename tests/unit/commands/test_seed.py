"""The seed replayed: the same four requests, in order, and the same table, byte for byte."""

from __future__ import annotations

from tests.conftest import AUTH_URL, FIXTURES, IMAGE_URL, PASSWORD, TOKEN


def test_seed_flow_makes_the_four_requests_in_order(seed_cloud, run):
    result = run(["image", "list", "--all"])
    assert result.code == 0, result.err
    history = seed_cloud.mock.request_history
    assert [(r.method, r.url.split("?")[0]) for r in history] == [
        ("GET", AUTH_URL),
        ("POST", AUTH_URL + "/v3/auth/tokens"),
        ("GET", IMAGE_URL),
        ("GET", IMAGE_URL + "/v2/images"),
    ]
    listing = history[3]
    assert listing.qs["visibility"] == ["all"]
    assert listing.headers["X-Auth-Token"] == TOKEN
    assert "X-Auth-Token" not in history[0].headers
    auth = history[1].json()["auth"]["identity"]["password"]["user"]
    assert auth["name"] == "admin" and auth["domain"] == {"name": "Default"}
    assert auth["password"] == PASSWORD


def test_seed_table_is_byte_identical(seed_cloud, run):
    result = run(["image", "list", "--all"])
    assert result.out == (FIXTURES / "seed_table.txt").read_text()
    assert result.err == ""
