"""The real CLI, as a subprocess, against fakecloud's FakeCloud misbehaving in every way it can.

Each fault must end in the documented exit code and one plain line on stderr (no traceback,
no HTML, no secret), or in a complete listing when the fault is one a client should ride out.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakecloud import FakeCloud
from fakecloud.hostile import Logbook
from tests.conftest import assert_no_secret, leaked

LIST = "/image/v2/images"


def imgcli_env(cloud: FakeCloud, home: Path, **extra: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home),
            "XDG_CACHE_HOME": str(home / "cache"), "XDG_CONFIG_HOME": str(home / "config"),
            **cloud.env, **extra}


def command(*args: str, timeout: float = 5) -> list[str]:
    return [sys.executable, "-m", "imgcli", "--timeout", str(timeout), "image", "list", *args]


def imgcli(cloud: FakeCloud, home: Path, *args: str, timeout: float = 5,
           **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command(*args, timeout=timeout), env=imgcli_env(cloud, home, **env),
                            capture_output=True, encoding="utf-8", timeout=30)
    assert_no_secret(result.stdout + result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def statuses(cloud: FakeCloud) -> list[int]:
    return [status for _, _, status in cloud.list_requests()]


def rows(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stdout.split()


def cloud(*faults: str, images: int = 5):
    """Run the test against a FakeCloud with these faults (the `fake` fixture)."""
    return pytest.mark.parametrize("fake", [(faults, images)], indirect=True,
                                   ids=["+".join(faults) or "ok"])


@pytest.fixture
def fake(request) -> Iterator[FakeCloud]:
    faults, images = request.param
    with FakeCloud(images=images, faults=faults) as cloud:
        yield cloud


ID_ONLY = ("--all", "-f", "value", "-c", "ID")


# --- faults a client rides out ----------------------------------------------------------

@cloud("503-once")
def test_503_once_is_retried(fake, tmp_path):
    result = imgcli(fake, tmp_path, *ID_ONLY)
    assert result.returncode == 0 and result.stderr == ""
    assert sorted(rows(result)) == sorted(fake.image_ids)
    assert statuses(fake) == [503, 200]


@cloud("429-once")
def test_429_once_waits_for_retry_after(fake, tmp_path):
    started = time.monotonic()
    result = imgcli(fake, tmp_path, *ID_ONLY)
    assert result.returncode == 0 and result.stderr == ""
    assert sorted(rows(result)) == sorted(fake.image_ids)
    assert statuses(fake) == [429, 200]
    assert time.monotonic() - started >= 1.0  # Retry-After: 1


@cloud("revoke-after-first-page", images=2500)
def test_token_revoked_mid_listing_gives_every_row_once(fake, tmp_path):
    result = imgcli(fake, tmp_path, *ID_ONLY, "--sort", "name")
    assert result.returncode == 0 and result.stderr == ""
    expected = [image["id"] for image in sorted(fake.images, key=lambda image: image["name"])]
    assert rows(result) == expected  # every row, once, in order: no gap, no duplicate
    assert statuses(fake) == [200, 401, 200, 200]
    assert [m for m, path, _ in fake.requests if path.endswith("/auth/tokens")] == ["POST"] * 2
    (entry,) = (tmp_path / "cache" / "imgcli").glob("*.json")
    kept = leaked(entry.read_text())
    assert kept == leaked(fake.token)  # the renewed token was cached, not the revoked one


@cloud("bad-types", images=10)
@pytest.mark.parametrize("args", [
    ["-f", "json"], ["-f", "yaml"], ["-f", "csv"], ["-f", "value"], ["-f", "table"],
    ["--sort-column", "Name"], ["--sort-column", "Size"],
    ["-f", "json", "--sort-column", "Size", "--sort-descending"],
], ids=lambda args: " ".join(args))
def test_bad_types_are_rendered(fake, tmp_path, args):
    """size as text, no name, nulls, a 1,700-character name, emoji, right-to-left text."""
    result = imgcli(fake, tmp_path, "--all", "--long", *args)
    assert result.returncode == 0, result.stderr
    # Sizes mix text, numbers and null: cliff warns it cannot sort them, and lists unsorted.
    warning = "Could not sort on field 'Size'; unsortable types\n" if "Size" in args else ""
    assert result.stderr == warning
    missing = [i for i in fake.image_ids if i not in result.stdout]
    assert not missing, f"exit 0 but {len(missing)} of {len(fake.image_ids)} rows not shown"
    if "json" in args:
        shown = json.loads(result.stdout)
        assert sorted(row["ID"] for row in shown) == sorted(fake.image_ids)
        assert {"🚀 rocket-image 🐧 ✓", "صورة-اختبار עברית-test", None} <= {
            row["Name"] for row in shown}


# --- faults that end the command --------------------------------------------------------

@cloud("500")
def test_500_names_url_and_status(fake, tmp_path):
    result = imgcli(fake, tmp_path)
    assert result.returncode == 1
    line = one_line(result)
    assert f"{fake.url}{LIST}?" in line and "500" in line
    assert statuses(fake) == [500]  # not retried: a 500 is not transient


@pytest.mark.parametrize("fake", [(("truncated",), 5), (("reset",), 5)], indirect=True,
                         ids=["truncated", "reset"])
def test_body_broken_off(fake, tmp_path):
    result = imgcli(fake, tmp_path)
    assert result.returncode == 1
    line = one_line(result)
    assert f"{fake.url}{LIST}?" in line
    # The server answered: this is not a connection problem nor a wrong --os-auth-url.
    assert "cannot connect" not in line and "OS_AUTH_URL" not in line


@cloud("not-json")
def test_not_json(fake, tmp_path):
    result = imgcli(fake, tmp_path)
    assert result.returncode == 1
    line = one_line(result)
    assert f"{fake.url}{LIST}?" in line and "not JSON" in line and "<" not in line


@cloud("no-images-key")
def test_no_images_key(fake, tmp_path):
    result = imgcli(fake, tmp_path)
    assert result.returncode == 1
    line = one_line(result)
    assert f"{fake.url}{LIST}?" in line and "no list of images" in line


@cloud("html-401")
def test_html_401_is_an_auth_failure_without_html(fake, tmp_path):
    result = imgcli(fake, tmp_path)
    assert result.returncode == 3
    line = one_line(result)
    assert "401" in line and "<" not in line and "html" not in line.lower()
    assert statuses(fake) == [401, 401]  # one fresh login and retry, then stop


@cloud("paging-loop", images=3000)
def test_paging_loop_is_stopped(fake, tmp_path):
    result = imgcli(fake, tmp_path, *ID_ONLY)
    assert result.returncode == 1
    assert "repeats a page" in one_line(result)
    assert len(fake.list_requests()) <= 3


@pytest.fixture
def proxy() -> Iterator[Logbook]:
    """An HTTP proxy that records what reaches it (CONNECT too) and forwards nothing."""
    book = Logbook(host="127.0.0.1")
    yield book
    book.close()


@cloud("next-off-host", images=1500)
def test_next_link_off_host_is_not_followed(fake, tmp_path, proxy):
    """Every request to another host would go through `proxy`: none may get there."""
    url = proxy.url
    result = imgcli(fake, tmp_path, *ID_ONLY, HTTP_PROXY=url, http_proxy=url,
                    HTTPS_PROXY=url, https_proxy=url, NO_PROXY="127.0.0.1",
                    no_proxy="127.0.0.1")
    assert result.returncode == 1
    line = one_line(result)
    assert "off the image endpoint's host" in line and "evil.example.invalid" in line
    assert proxy.seen == []  # type: ignore[attr-defined]
    assert statuses(fake) == [200]


@cloud("hang")
def test_hang_times_out(fake, tmp_path):
    started = time.monotonic()
    result = imgcli(fake, tmp_path, timeout=1)
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    line = one_line(result)
    assert "no answer from" in line and "within 1" in line and f"{fake.url}{LIST}" in line
    assert elapsed < 10  # --timeout 1 per attempt, a bounded number of attempts


@cloud("identity-500")
def test_identity_500(fake, tmp_path):
    result = imgcli(fake, tmp_path)
    assert result.returncode == 1
    line = one_line(result)
    assert f"{fake.auth_url}/v3/auth/tokens" in line and "500" in line
    assert fake.list_requests() == []


@cloud("no-image-endpoint")
def test_no_image_endpoint_says_what_the_catalog_has(fake, tmp_path):
    result = imgcli(fake, tmp_path)
    assert result.returncode == 2
    line = one_line(result)
    assert "no image endpoint" in line
    assert "identity" in line  # what the catalog does offer: the wrong cloud or project?


# --- the process around the listing -----------------------------------------------------

@cloud(images=3000)
def test_broken_pipe_is_quiet(fake, tmp_path):
    """`imgcli image list -f value | head -1`"""
    proc = subprocess.Popen(command(*ID_ONLY), env=imgcli_env(fake, tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first = proc.stdout.readline()  # type: ignore[union-attr]
        proc.stdout.close()  # type: ignore[union-attr]
        err = proc.stderr.read()  # type: ignore[union-attr]
        code = proc.wait(timeout=30)
    finally:
        proc.kill()
    assert first.decode().strip() in fake.image_ids
    assert err == b""
    assert code in (0, 141)  # 141: what a shell reports for a pipe closed early


@cloud("hang")
def test_ctrl_c_while_waiting(fake, tmp_path):
    proc = subprocess.Popen(command(timeout=30), env=imgcli_env(fake, tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")
    try:
        deadline = time.monotonic() + 20
        while not any(path == "/image" for _, path, _ in fake.requests):  # discovery done
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read()
            time.sleep(0.02)
        time.sleep(0.3)  # now blocked on the image list
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "Traceback" not in err and len(err.splitlines()) <= 1
    assert_no_secret(out + err)
