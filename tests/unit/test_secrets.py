"""No password or token in anything imgcli prints, logs, traces or errors; the cache keeps its own.

The `no_secret_leaks` guard of conftest.py checks every test's output and log records; these
tests drive the paths where a secret is most at hand (debug logs, traces, the config dump,
errors that quote the server) and check the files too.
"""

from __future__ import annotations

import json
import logging
import stat

import pytest

from tests.conftest import IMAGE_URL, PASSWORD, SECRETS, SEED_ENV, TOKEN, assert_no_secret, leaked

TOKEN_URL = "http://devstack-debug/identity/v3/auth/tokens"
ENV_NO_PASSWORD = {k: v for k, v in SEED_ENV.items() if k != "OS_PASSWORD"}


def refuse_login(seed_cloud) -> None:
    seed_cloud.mock.post(TOKEN_URL, status_code=401, json={"error": {
        "code": 401, "title": "Unauthorized",
        "message": "The request you have made requires authentication."}})


def test_the_guard_knows_every_secret():
    from fakecloud import FAKE_PASSWORD, FAKE_TOKEN

    assert {PASSWORD, TOKEN, FAKE_PASSWORD, FAKE_TOKEN} <= set(SECRETS)
    assert leaked(f"x{TOKEN}x") and not leaked("x")
    assert TOKEN not in str(leaked(TOKEN))  # a failure report does not repeat the secret


def test_debug_log_digests_the_token(seed_cloud, run):
    result = run(["--debug", "image", "list"])
    assert result.code == 0, result.err
    assert "{SHA256}" in result.err and "REQ: curl" in result.err
    assert_no_secret(result.out + result.err)


@pytest.mark.parametrize("flags", [["--debug"], ["-v"], []])
def test_log_records_hold_no_secret_even_when_login_fails(seed_cloud, run, flags):
    """What a log file (--log-file) would get: every record, not only what reaches stderr."""
    refuse_login(seed_cloud)
    records: list[str] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: records.append(  # type: ignore[method-assign]
        logging.Formatter().format(record))
    logging.getLogger().addHandler(handler)
    try:
        result = run([*flags, "image", "list"])
    finally:
        logging.getLogger().removeHandler(handler)
    assert result.code == 3
    assert records
    assert_no_secret("\n".join(records), "the log records")


@pytest.mark.parametrize("suffix", ["md", "har"])
@pytest.mark.parametrize("login", ["ok", "refused"])
@pytest.mark.parametrize("where", ["env", "argv"])
def test_trace_files_hold_no_secret(seed_cloud, run, tmp_path, suffix, login, where):
    if login == "refused":
        refuse_login(seed_cloud)
    trace = tmp_path / f"out.{suffix}"
    env, argv = (SEED_ENV, []) if where == "env" else (ENV_NO_PASSWORD,
                                                        ["--os-password", PASSWORD])
    result = run([*argv, "--no-cache", "--trace", str(trace), "image", "list"], env)
    assert result.code == (0 if login == "ok" else 3), result.err
    text = trace.read_text()
    assert "/v3/auth/tokens" in text  # the login is in it, redacted
    assert_no_secret(text)
    if suffix == "har":
        json.loads(text)


@pytest.mark.parametrize("status", [200, 401])
def test_trace_of_a_token_run_holds_no_token(requests_mock, run, tmp_path, status):
    """--os-token + --os-endpoint: the token travels only as X-Auth-Token."""
    requests_mock.get(IMAGE_URL + "/v2/images", status_code=status,
                      json={"images": []} if status == 200 else {"error": "no"})
    trace = tmp_path / "token.md"
    result = run(["--os-token", TOKEN, "--os-endpoint", IMAGE_URL, "--trace", str(trace),
                  "image", "list"], {})
    assert result.code == (0 if status == 200 else 3), result.err
    assert requests_mock.last_request.headers["X-Auth-Token"] == TOKEN
    assert_no_secret(trace.read_text())


def test_error_quoting_the_server_does_not_repeat_the_token(requests_mock, run):
    """A proxy or debug page that echoes the request headers: the one-line error quotes the
    body, and must not hand the token to whoever reads the terminal or the CI log."""
    requests_mock.get(IMAGE_URL + "/v2/images", status_code=500, reason="Internal Server Error",
                      text=f"upstream failed; request headers: X-Auth-Token: {TOKEN}")
    result = run(["--os-token", TOKEN, "--os-endpoint", IMAGE_URL, "image", "list"], {})
    assert result.code == 1 and "500" in result.err
    assert_no_secret(result.err)


@pytest.mark.parametrize("fmt", ["table", "json", "value"])
def test_configuration_show_redacts(run, fmt):
    env = {**SEED_ENV, "OS_TOKEN": TOKEN, "OS_APPLICATION_CREDENTIAL_SECRET": PASSWORD + "-ac"}
    result = run(["--os-password", PASSWORD, "configuration", "show", "-f", fmt], env)
    assert result.code == 0, result.err
    assert_no_secret(result.out)
    if fmt == "json":
        shown = {row["Setting"]: row["Value"] for row in json.loads(result.out)}
        assert shown["password"] == shown["token"] == "<redacted>"
        assert shown["application_credential_secret"] == "<redacted>"
    else:
        assert "<redacted>" in result.out


def test_token_cache_is_private(seed_cloud, run, tmp_path):
    assert run(["image", "list"]).code == 0
    directory = tmp_path / "cache" / "imgcli"
    files = list(directory.iterdir())
    assert [f.suffix for f in files] == [".json"]  # no temp file left behind
    kept = leaked(files[0].read_text())
    assert kept == leaked(TOKEN)  # a cache must keep the token itself, and nothing else
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert_no_secret(files[0].name)


def test_a_cache_readable_by_others_is_not_trusted(seed_cloud, run, tmp_path):
    assert run(["image", "list"]).code == 0
    (entry,) = (tmp_path / "cache" / "imgcli").iterdir()
    entry.chmod(0o644)
    before = len(seed_cloud.mock.request_history)
    assert run(["image", "list"]).code == 0
    logins = [r for r in seed_cloud.mock.request_history[before:] if r.method == "POST"]
    assert len(logins) == 1  # logged in again instead of using the exposed token
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600  # and the new file is private
