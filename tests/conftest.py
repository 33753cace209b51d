"""Shared fixtures: the seed's cloud replayed with requests-mock, an in-process CLI runner, and
the autouse guard that fails a test whose output or logs show a known secret (SECRETS).

The integration/ and docs/ folders' tests get their markers here; the repository's root is on
sys.path through pytest's `pythonpath` (pyproject.toml), so `tests.*`, `fakecloud` and
`benchmarks` import as packages."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

import fakecloud

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
# Every test in these folders gets the marker (registered in pyproject.toml): `-m docs`,
# `-m "not integration"`.
FOLDER_MARKERS = {REPO / "tests" / folder: marker
                  for folder, marker in (("integration", "integration"), ("docs", "docs"))}
AUTH_URL = "http://devstack-debug/identity"
IMAGE_URL = "http://182.161.114.101/image"
PASSWORD = "asdf-Seed-Passw0rd"  # distinctive, so a leak is easy to find
TOKEN = "gAAAAABjluGzMFdSPZP0yZ1iDNPCDP51zsAlKUtw4h-seed-token_SQ7ggcw6BATS6rbi_4"
SEED_ENV = {
    "OS_AUTH_URL": AUTH_URL,
    "OS_IDENTITY_API_VERSION": "3",
    "OS_USERNAME": "admin",
    "OS_PASSWORD": PASSWORD,
    "OS_PROJECT_NAME": "admin",
    "OS_USER_DOMAIN_NAME": "Default",
    "OS_PROJECT_DOMAIN_NAME": "Default",
}


def pytest_configure(config: pytest.Config) -> None:
    # `imgcli image create` reads a piped stdin as image data, as openstackclient does: a
    # command run by a test must never inherit the runner's stdin (an open, silent pipe in
    # some CI runners would make it wait). Tests that feed stdin pass their own.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for folder, marker in FOLDER_MARKERS.items():
            if folder in item.path.parents:
                item.add_marker(marker)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def expires_in(seconds: float) -> str:
    """A token's `expires_at`, as Keystone writes it, this many seconds from now."""
    when = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return when.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def token_body(image_url: str = IMAGE_URL, expires: str = "2099-01-01T00:00:00.000000Z",
               regions: tuple[str, ...] = ("RegionOne",)) -> dict[str, Any]:
    endpoints = [{"id": f"{interface}-{region}", "interface": interface, "region": region,
                  "region_id": region, "url": image_url}
                 for region in regions for interface in ("public", "internal")]
    return {"token": {
        "methods": ["password"], "expires_at": expires, "issued_at": "2022-12-12T08:09:22Z",
        "user": {"id": "u1", "name": "admin", "domain": {"id": "default", "name": "Default"}},
        "project": {"id": "a5362cbd04fd4783a038d5a342d58e87", "name": "admin",
                    "domain": {"id": "default", "name": "Default"}},
        "roles": [{"id": "r1", "name": "admin"}],
        "catalog": [
            {"type": "identity", "name": "keystone", "id": "s1", "endpoints": [
                {"id": "k1", "interface": "public", "region": "RegionOne",
                 "region_id": "RegionOne", "url": AUTH_URL}]},
            {"type": "image", "name": "glance", "id": "s2", "endpoints": endpoints},
        ]}}


def sort_key(key: str):
    if key == "size":
        return lambda image: (image.get("size") is None, image.get("size") or 0)
    return lambda image: str(image.get(key))


def as_query(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def glance_page(images: list[dict[str, Any]], url: str, cap: int = 1000) -> dict[str, Any]:
    """What Glance answers to GET /v2/images?...: filtered, sorted, paged, `next` prefix-less.

    A small model of the server, so that tests see the server's ordering and paging and
    not the order a fixture happens to be written in.
    """
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    special = {"limit", "marker", "sort", "visibility", "tag", "member_status", "os_hidden"}
    hidden = query.get("os_hidden", ["false"])[0].lower() == "true"
    # Glance's defaults: hidden images only on request, community ones only when asked for.
    selected = [image for image in images
                if bool(image.get("os_hidden")) == hidden
                and (query.get("visibility", ["x"])[0] in ("all", image.get("visibility"))
                     or ("visibility" not in query and image.get("visibility") != "community"))
                and all(tag in image.get("tags", []) for tag in query.get("tag", []))
                and all(as_query(image.get(k)) == v[0] for k, v in query.items()
                        if k not in special)]
    for part in reversed(query.get("sort", ["created_at:desc"])[0].split(",")):
        key, _, direction = part.partition(":")
        selected.sort(key=sort_key(key), reverse=direction == "desc")
    if "marker" in query:
        ids = [image["id"] for image in selected]
        selected = selected[ids.index(query["marker"][0]) + 1:]
    limit = min(int(query.get("limit", ["25"])[0]), cap)
    page = selected[:limit]
    path = "/v2/images?" + urlsplit(url).query
    doc: dict[str, Any] = {"images": page, "first": path, "schema": "/v2/schemas/images"}
    if len(page) == limit:
        rest = "&".join(p for p in urlsplit(url).query.split("&") if not p.startswith("marker="))
        doc["next"] = f"/v2/images?{rest}&marker={page[-1]['id']}"
    return doc


@dataclass
class SeedCloud:
    mock: Any
    images: list[dict[str, Any]]

    @property
    def urls(self) -> list[str]:
        return [f"{r.method} {r.url}" for r in self.mock.request_history]


@pytest.fixture
def seed_cloud(requests_mock: Any) -> SeedCloud:
    """The seed's devstack: Keystone at /identity, Glance at /image, the seed's three images."""
    images = load("seed_images.json")["images"]
    requests_mock.get(AUTH_URL, status_code=300, json=load("keystone_versions.json"))
    requests_mock.post(AUTH_URL + "/v3/auth/tokens", status_code=201, json=token_body(),
                       headers={"X-Subject-Token": TOKEN})
    requests_mock.get(IMAGE_URL, status_code=300, json=load("glance_versions.json"))
    requests_mock.get(IMAGE_URL + "/v2/images",
                      json=lambda request, context: glance_page(images, request.url))
    return SeedCloud(requests_mock, images)


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run imgcli in-process with a clean environment: (args, env) -> Result. The working
    directory is the test's own, so a clouds.yaml in the checkout (`make demo` writes one)
    is not read as the test's."""
    from imgcli.shell import ImgcliApp

    monkeypatch.chdir(tmp_path)

    def run(args: list[str], env: dict[str, str] | None = None) -> Result:
        env = {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"),
               "XDG_CONFIG_HOME": str(tmp_path / "config"), **(env if env is not None
                                                              else SEED_ENV)}
        out, err = io.StringIO(), io.StringIO()
        root = logging.getLogger()
        handlers = list(root.handlers)
        try:
            app = ImgcliApp(env=env, stdout=out, stderr=err)
            try:
                with contextlib.redirect_stderr(err):
                    code = app.run(args)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
        finally:
            for handler in root.handlers[:]:
                if handler not in handlers:
                    root.removeHandler(handler)
        return Result(code, out.getvalue(), err.getvalue())

    return run


# --- secret-leak guard ------------------------------------------------------------------

# The trace tests' own seed (tests/unit/trace/seedrun.py): a token and a password of their
# own, distinctive so that a leak anywhere is unmistakable.
TRACE_TOKEN = "gAAAAABjTOKENtokenSECRETvalue-4h_SQ7ggcw6BATS6rbi_4"
TRACE_PASSWORD = "pw-Very$ecret&Uniq=42"
# Every secret a test hands to imgcli: the seed cloud's, the trace tests', and the fake cloud's
# password and first tokens (fakecloud/, on loopback).
SECRETS = (PASSWORD, TOKEN, TRACE_PASSWORD, TRACE_TOKEN, *fakecloud.secrets())


def leaked(text: str) -> list[str]:
    """The known secrets found in `text`, shortened so a failure message does not repeat them."""
    return [f"{secret[:6]}... ({len(secret)} chars)" for secret in SECRETS if secret in text]


def assert_no_secret(text: str, where: str = "the output") -> None:
    """Like `assert not leaked(text)`, without pytest repeating `text` in its report."""
    found = leaked(text)
    if found:
        pytest.fail(f"secret in {where}: {found}", pytrace=False)


class _LogRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.texts.append(self.format(record))
        except Exception:  # a broken record must not hide a leak: keep its raw parts
            self.texts.append(f"{record.msg!r} {record.args!r}")


@pytest.fixture(autouse=True)
def no_secret_leaks(monkeypatch: pytest.MonkeyPatch):
    """Fail any test whose CLI runs printed or logged a known secret.

    Every Result the `run` fixture builds is kept (its global is swapped for a recording
    subclass), and every record logged at DEBUG and above while the test runs is formatted,
    traceback included. Checked once at teardown: a few microseconds per test.
    """
    results: list[Result] = []

    class RecordedResult(Result):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            results.append(self)

    monkeypatch.setitem(globals(), "Result", RecordedResult)
    handler = _LogRecorder()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # cliff does the same on every run
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    found = {where: leaked(text) for where, text in
             [*((f"run #{i} stdout", r.out) for i, r in enumerate(results)),
              *((f"run #{i} stderr", r.err) for i, r in enumerate(results)),
              *((f"log record #{i}", t) for i, t in enumerate(handler.texts))]
             if leaked(text)}
    if found:
        pytest.fail(f"secret leaked: {found}", pytrace=False)
