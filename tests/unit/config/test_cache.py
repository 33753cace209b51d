"""The token and endpoint cache: reuse, expiry, 401 renewal, bypass, clearing, safety."""

from __future__ import annotations

import json
import os
import stat

from tests.conftest import AUTH_URL, IMAGE_URL, SEED_ENV, TOKEN, expires_in, token_body

NEW_TOKEN = "gAAAAAB-renewed-token-after-401-zzzzzzzzzzzzzzzzzzzzzzzzzz"


def requests_made(cloud) -> list[str]:
    return [f"{r.method} {r.url.split('?')[0]}" for r in cloud.mock.request_history]


def cache_files(tmp_path):
    return sorted((tmp_path / "cache" / "imgcli").glob("*.json"))


def test_a_warm_run_makes_exactly_one_request(seed_cloud, run, tmp_path):
    assert run(["image", "list", "--all"]).code == 0
    seed_cloud.mock.reset_mock()
    result = run(["image", "list", "--all"])
    assert result.code == 0
    assert requests_made(seed_cloud) == [f"GET {IMAGE_URL}/v2/images"]
    assert seed_cloud.mock.request_history[0].headers["X-Auth-Token"] == TOKEN
    assert len(cache_files(tmp_path)) == 1


def test_cache_files_are_private_from_creation(seed_cloud, run, tmp_path):
    run(["image", "list"])
    directory = tmp_path / "cache" / "imgcli"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    (path,) = cache_files(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    entry = json.loads(path.read_text())
    assert entry["image_root"] == IMAGE_URL + "/v2/"


def test_a_token_near_expiry_is_not_reused(seed_cloud, run):
    soon = expires_in(100)
    seed_cloud.mock.post(AUTH_URL + "/v3/auth/tokens", status_code=201,
                         json=token_body(expires=soon), headers={"X-Subject-Token": TOKEN})
    run(["image", "list"])
    seed_cloud.mock.reset_mock()
    assert run(["image", "list"]).code == 0
    assert "POST " + AUTH_URL + "/v3/auth/tokens" in requests_made(seed_cloud)


def test_a_401_from_glance_renews_the_token_once_and_caches_the_new_one(seed_cloud, run,
                                                                         tmp_path):
    run(["image", "list"])
    seed_cloud.mock.post(AUTH_URL + "/v3/auth/tokens", status_code=201, json=token_body(),
                         headers={"X-Subject-Token": NEW_TOKEN})

    def images(request, context):
        if request.headers.get("X-Auth-Token") != NEW_TOKEN:
            context.status_code = 401
            return {"error": "revoked"}
        return {"images": seed_cloud.images}

    seed_cloud.mock.get(IMAGE_URL + "/v2/images", json=images)
    seed_cloud.mock.reset_mock()
    result = run(["image", "list", "-f", "value", "-c", "Name"])
    assert result.code == 0, result.err
    assert len(result.out.splitlines()) == 3
    made = requests_made(seed_cloud)
    assert made.count(f"GET {IMAGE_URL}/v2/images") == 2
    assert made.count(f"POST {AUTH_URL}/v3/auth/tokens") == 1
    (path,) = cache_files(tmp_path)
    assert NEW_TOKEN in path.read_text()


def test_no_cache_neither_reads_nor_writes(seed_cloud, run, tmp_path):
    for _ in range(2):
        seed_cloud.mock.reset_mock()
        assert run(["--no-cache", "image", "list"]).code == 0
        assert len(seed_cloud.mock.request_history) == 4
    assert cache_files(tmp_path) == []


def test_cache_clear_forgets_every_login(seed_cloud, run, tmp_path):
    run(["image", "list"])
    run(["image", "list"], {**SEED_ENV, "OS_USERNAME": "other"})
    assert len(cache_files(tmp_path)) == 2
    result = run(["cache", "clear"])
    assert result.code == 0 and "removed 2" in result.out
    assert cache_files(tmp_path) == []
    seed_cloud.mock.reset_mock()
    run(["image", "list"])
    assert len(seed_cloud.mock.request_history) == 4


def test_another_password_never_reuses_the_token(seed_cloud, run, tmp_path):
    run(["image", "list"])
    seed_cloud.mock.reset_mock()
    run(["image", "list"], {**SEED_ENV, "OS_PASSWORD": "a-different-secret"})
    assert len(seed_cloud.mock.request_history) == 4
    assert len(cache_files(tmp_path)) == 2


def test_another_region_or_interface_is_another_entry(seed_cloud, run, tmp_path):
    run(["image", "list"])
    run(["--os-interface", "internal", "image", "list"])
    assert len(cache_files(tmp_path)) == 2


def test_a_corrupt_file_is_ignored_and_replaced(seed_cloud, run, tmp_path):
    run(["image", "list"])
    (path,) = cache_files(tmp_path)
    path.write_text("{not json")
    seed_cloud.mock.reset_mock()
    assert run(["image", "list"]).code == 0
    assert len(seed_cloud.mock.request_history) == 4
    assert json.loads(path.read_text())["auth"]


def test_a_file_readable_by_others_is_not_trusted(seed_cloud, run, tmp_path):
    run(["image", "list"])
    (path,) = cache_files(tmp_path)
    os.chmod(path, 0o644)
    seed_cloud.mock.reset_mock()
    assert run(["image", "list"]).code == 0
    assert len(seed_cloud.mock.request_history) == 4
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # replaced by a private one


def test_a_group_writable_directory_is_not_used_and_warned_about(seed_cloud, run, tmp_path):
    directory = tmp_path / "cache" / "imgcli"
    directory.mkdir(parents=True)
    os.chmod(directory, 0o770)
    result = run(["image", "list"])
    assert result.code == 0
    assert "not using the token cache" in result.err
    assert cache_files(tmp_path) == []


def test_concurrent_writers_leave_a_valid_file(tmp_path):
    import threading

    from imgcli.cache import TokenCache

    cache = TokenCache(tmp_path / "imgcli")
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(50):
                cache.save("k", {"auth": f"state-{n}-{i}", "image_root": "http://x/v2/"})
                entry = cache.load("k")
                assert entry is not None and entry["auth"].startswith("state-")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [p.name for p in (tmp_path / "imgcli").iterdir()] == ["k.json"]
