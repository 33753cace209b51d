"""`token issue`: openstackclient's keys, no request with a live cached token, and only the
token POST (after Keystone's version document) without one: Glance is never asked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from imgcli.trace.redact import digest
from tests.conftest import AUTH_URL, IMAGE_URL, SEED_ENV, expires_in, token_body

# Not the seed's TOKEN: this command prints its token, which the leak guard would flag.
ISSUED = "gAAAAABk-token-issued-for-the-token-issue-tests-0123456789"
PROJECT_ID = "a5362cbd04fd4783a038d5a342d58e87"


@pytest.fixture
def keystone(seed_cloud: Any) -> Any:
    seed_cloud.mock.post(AUTH_URL + "/v3/auth/tokens", status_code=201,
                         json=token_body(expires="2099-01-01T10:00:00.000000Z"),
                         headers={"X-Subject-Token": ISSUED})
    return seed_cloud


def made(cloud: Any) -> list[str]:
    return [f"{r.method} {r.url.split('?')[0]}" for r in cloud.mock.request_history]


def test_openstackclients_keys_and_expiry_format(keystone, run):
    result = run(["token", "issue", "-f", "json"])
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"expires": "2099-01-01T10:00:00+0000", "id": ISSUED,
                                      "project_id": PROJECT_ID, "user_id": "u1"}


def test_the_table_is_field_value_in_sorted_order(keystone, run):
    result = run(["token", "issue"])
    assert [line.split("|")[1].strip() for line in result.out.splitlines()[3:-1]] == [
        "expires", "id", "project_id", "user_id"]


def test_cold_it_sends_only_keystones_discovery_and_the_token_post(keystone, run):
    assert run(["token", "issue"]).code == 0
    assert made(keystone) == [f"GET {AUTH_URL}", f"POST {AUTH_URL}/v3/auth/tokens"]


def test_warm_it_sends_nothing(keystone, run):
    first = run(["token", "issue", "-f", "value", "-c", "id"])
    keystone.mock.reset_mock()
    second = run(["token", "issue", "-f", "value", "-c", "id"])
    assert second.code == 0 and second.out == first.out == ISSUED + "\n"
    assert keystone.mock.request_history == []


def test_no_cache_asks_keystone_every_time(keystone, run):
    for _ in range(2):
        keystone.mock.reset_mock()
        assert run(["--no-cache", "token", "issue"]).code == 0
        assert len(keystone.mock.request_history) == 2


def test_a_token_near_expiry_is_replaced(keystone, run):
    soon = expires_in(60)
    keystone.mock.post(AUTH_URL + "/v3/auth/tokens", status_code=201,
                       json=token_body(expires=soon), headers={"X-Subject-Token": ISSUED})
    run(["token", "issue"])
    keystone.mock.reset_mock()
    assert run(["token", "issue"]).code == 0
    assert f"POST {AUTH_URL}/v3/auth/tokens" in made(keystone)


def test_image_list_after_it_finds_glance_once_then_makes_one_request(keystone, run):
    run(["token", "issue"])
    keystone.mock.reset_mock()
    assert run(["image", "list"]).code == 0
    assert made(keystone) == [f"GET {IMAGE_URL}", f"GET {IMAGE_URL}/v2/images"]
    keystone.mock.reset_mock()
    assert run(["image", "list"]).code == 0
    assert made(keystone) == [f"GET {IMAGE_URL}/v2/images"]


def test_after_image_list_it_reuses_the_same_token(keystone, run):
    run(["image", "list"])
    keystone.mock.reset_mock()
    result = run(["token", "issue", "-f", "value", "-c", "id"])
    assert result.out == ISSUED + "\n" and keystone.mock.request_history == []


def test_token_auth_exchanges_the_token_for_a_scoped_one(keystone, run):
    env = {key: value for key, value in SEED_ENV.items()
           if key not in ("OS_USERNAME", "OS_PASSWORD", "OS_USER_DOMAIN_NAME")}
    result = run(["--os-auth-type", "token", "--os-token", "an-old-token", "token", "issue",
                  "-f", "value", "-c", "id"], env)
    assert result.code == 0, result.err
    assert result.out == ISSUED + "\n"
    sent = keystone.mock.request_history[-1].json()["auth"]["identity"]
    assert sent == {"methods": ["token"], "token": {"id": "an-old-token"}}


def test_with_an_endpoint_and_a_token_there_is_no_keystone_to_ask(keystone, run):
    result = run(["--os-token", "an-old-token", "--os-endpoint", IMAGE_URL, "token", "issue"])
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        "token issue needs Keystone, which --os-token with --os-endpoint skips: "
        "unset --os-endpoint (OS_ENDPOINT) and use --os-auth-url"]
    assert keystone.mock.request_history == []


def test_refused_credentials_are_exit_3_in_one_line(keystone, run):
    keystone.mock.post(AUTH_URL + "/v3/auth/tokens", status_code=401,
                       json={"error": {"code": 401, "message": "The request you have made "
                                       "requires authentication."}})
    result = run(["token", "issue"])
    assert result.code == 3
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


@pytest.mark.parametrize("suffix", [".md", ".har"])
def test_a_trace_never_holds_a_usable_token(keystone, run, tmp_path, suffix):
    run(["token", "issue"])  # a live token in the cache, which no request would show
    keystone.mock.reset_mock()
    trace = tmp_path / f"token{suffix}"
    result = run(["--trace", str(trace), "token", "issue", "-f", "value", "-c", "id"])
    assert result.code == 0 and result.out == ISSUED + "\n"
    assert made(keystone) == []  # the cached token answers, traced or not
    text = trace.read_text()
    assert ISSUED not in text
    assert digest(ISSUED) in text  # the output section shows the token as its digest


@pytest.mark.parametrize("scope, fields", [
    ({"domain": {"id": "dom1", "name": "D"}}, {"domain_id": "dom1"}),
    ({"system": {"all": True}}, {"system": "all"}),
    ({}, {}),
])
def test_other_scopes_add_openstackclients_keys(scope, fields):
    from keystoneauth1 import access as ks_access

    from imgcli.api.identity import token_fields

    body = token_body()["token"]
    body.pop("project")
    body.update(scope)
    ref = ks_access.create(body={"token": body}, auth_token=ISSUED)

    class Auth:
        def get_access(self, session: Any) -> Any:
            return ref

    class Conn:
        session = type("Session", (), {"auth": Auth()})()

    assert token_fields(Conn()) == {"id": ISSUED, "expires": "2099-01-01T00:00:00+0000",
                                    "user_id": "u1", **fields}
