"""Build the docs site, serve it on 127.0.0.1 and read it in headless Chromium with no internet.

Fails unless every mermaid diagram is drawn (the code block replaced by an SVG), no page asks
another host for anything, and no internal link or asset answers an error (404).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from chromium import Chromium

REPO = Path(__file__).resolve().parents[2]
# Tags whose href/src the page loads by itself: these must come from the site.
ASSET_TAGS = {"script", "link", "img", "iframe", "source", "audio", "video", "embed"}
DRAW_TIMEOUT = 30.0  # seconds per page; mermaid itself takes well under one
IDLE = 3.0  # seconds with no request in flight: the page has done all it will do


def _missing(what: str) -> None:
    # CI must prove the site works offline: there, a missing tool is a failure, not a skip.
    if os.environ.get("CI"):
        pytest.fail(f"{what} (CI=true: the docs set-up, `make docs-deps`, installs it)")
    pytest.skip(f"{what}: run `make docs-deps`")


def _chromium() -> str:
    for name in (os.environ.get("IMGCLI_CHROMIUM"), "chromium", "chromium-browser"):
        path = name and shutil.which(name)
        if path:
            return path
    _missing("Chromium is not installed")
    raise AssertionError  # unreachable: _missing raises


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    if "npm ci" in result.stderr and result.returncode:
        _missing(result.stderr.strip().splitlines()[-1])
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class _Refs(HTMLParser):
    """Every href/src of a page, and how many mermaid code blocks it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []  # (tag, url)
        self.diagrams = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("href", "src"):
            if values.get(name):
                self.refs.append((tag, str(values[name])))
        if tag == "pre" and "mermaid" in (values.get("class") or "").split():
            self.diagrams += 1


def _pages(site: Path) -> dict[str, _Refs]:
    pages = {}
    for path in sorted(site.rglob("*.html")):
        parser = _Refs()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[path.relative_to(site).as_posix()] = parser
    return pages


@dataclass
class Visit:
    diagrams: int  # mermaid blocks in the HTML
    drawn: int = 0  # of them replaced by an SVG diagram
    requests: dict[str, str] = field(default_factory=dict)  # request id -> URL
    errors: list[str] = field(default_factory=list)  # "URL: status or network error"


def _external(url: str, server: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https", "ws", "wss") and (
        parts.netloc != urlsplit(server).netloc
    )


def _is_drawn(node: dict[str, Any]) -> bool:
    """Material swaps `pre.mermaid` for a `div.mermaid`: its closed shadow root holds the SVG."""
    for root in node.get("shadowRoots", []):
        for child in root.get("children", []):
            attrs = child.get("attributes", [])
            roles = dict(zip(attrs[::2], attrs[1::2], strict=False))
            if child.get("nodeName", "").lower() == "svg" and roles.get(
                "aria-roledescription"
            ) not in (None, "error"):
                return True
    return False


def _count_drawn(node: dict[str, Any]) -> int:
    attrs = node.get("attributes", [])
    classes = dict(zip(attrs[::2], attrs[1::2], strict=False)).get("class", "").split()
    own = node.get("nodeName") == "DIV" and "mermaid" in classes and _is_drawn(node)
    return own + sum(_count_drawn(child) for child in node.get("children", []))


def _visit(browser: Chromium, page_url: str, diagrams: int) -> Visit:
    visit = Visit(diagrams)
    target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
        "sessionId"
    ]
    for domain in ("Page", "Network", "Runtime", "DOM"):
        browser.call(f"{domain}.enable", session=session)
    browser.call("Page.navigate", {"url": page_url}, session)

    def events(method: str) -> list[dict[str, Any]]:
        return [e["params"] for e in browser.session_events(session) if e["method"] == method]

    def quiet_for() -> float:
        network = [e["received"] for e in browser.session_events(session)
                   if e["method"].startswith("Network.")]
        return time.monotonic() - max(network, default=0.0)

    browser.wait(lambda: bool(events("Page.loadEventFired")), DRAW_TIMEOUT)
    deadline = time.monotonic() + DRAW_TIMEOUT
    while time.monotonic() < deadline:
        found = browser.call(
            "Runtime.evaluate", {"expression": "document.querySelectorAll('div.mermaid').length"},
            session,
        )["result"]["value"]
        if found >= diagrams or quiet_for() > IDLE:
            break  # all drawn, or nothing more is loading: what is not drawn now never will be
        time.sleep(0.2)
    tree = browser.call("DOM.getDocument", {"depth": -1, "pierce": True}, session)["root"]
    visit.drawn = _count_drawn(tree)
    for params in events("Network.requestWillBeSent"):
        visit.requests[params["requestId"]] = params["request"]["url"]
    for params in events("Network.responseReceived"):
        if params["response"]["status"] >= 400:
            visit.errors.append(f"{params['response']['url']}: {params['response']['status']}")
    for params in events("Network.loadingFailed"):
        url = visit.requests.get(params["requestId"], "?")
        # Other hosts are reported as such; a cancelled load is the page's own choice.
        if not params.get("canceled") and not _external(url, page_url):
            visit.errors.append(f"{url}: {params['errorText']}")
    browser.call("Target.closeTarget", {"targetId": target})
    return visit


def _open_all(site: Path, server: str, profile: Path) -> dict[str, Visit]:
    """Every page of the site, opened once in Chromium."""
    browser = Chromium(_chromium(), profile)
    try:
        results = {
            page: _visit(browser, urljoin(server, page), refs.diagrams)
            for page, refs in _pages(site).items()
        }
    finally:
        browser.close()
    drawn = sum(v.drawn for v in results.values())
    total = sum(v.diagrams for v in results.values())
    errors = sum(len(v.errors) for v in results.values())
    outside = sum(_external(u, server) for v in results.values() for u in v.requests.values())
    print(f"\nChromium, {len(results)} pages: {drawn} of {total} diagrams drawn, "
          f"{outside} requests to other hosts, {errors} failed loads from the site")
    return results


def _check_links(site: Path, server: str) -> tuple[list[str], list[str]]:
    """(internal links and assets that do not answer 200, assets taken from other hosts)."""
    external_assets, targets = [], set()
    for page, refs in _pages(site).items():
        for tag, ref in refs.refs:
            url = urldefrag(urljoin(urljoin(server, page), ref)).url
            if urlsplit(url).scheme not in ("http", "https"):
                continue  # mailto:, data:, javascript:
            if _external(url, server):
                if tag in ASSET_TAGS:
                    external_assets.append(f"{page}: <{tag}> {ref}")
            else:
                targets.add(url)
    broken = []
    for url in sorted(targets):
        try:
            # HEAD: the status is the question; a GET left unread breaks the server's pipe.
            head = urllib.request.Request(url, method="HEAD")
            with urllib.request.urlopen(head, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        if status != 200:
            broken.append(f"{url}: {status}")
    print(f"\n{len(targets)} internal links and assets checked: {len(broken)} broken, "
          f"{len(external_assets)} assets from other hosts")
    return broken, external_assets


@pytest.fixture(scope="module")
def visits(site: Path, server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Visit]:
    return _open_all(site, server, tmp_path_factory.mktemp("chromium-profile"))


def test_every_diagram_is_drawn(visits: dict[str, Visit]) -> None:
    assert "walkthrough/index.html" in visits
    assert visits["walkthrough/index.html"].diagrams >= 1  # the check is not vacuous
    undrawn = {p: f"{v.drawn} of {v.diagrams}" for p, v in visits.items() if v.drawn < v.diagrams}
    assert not undrawn, f"diagrams not drawn: {undrawn}"


def test_pages_load_everything_from_the_site(visits: dict[str, Visit], server: str) -> None:
    asked = {p: sorted({u for u in v.requests.values() if _external(u, server)})
             for p, v in visits.items()}
    assert not {p: urls for p, urls in asked.items() if urls}, "requests to other hosts"
    failed = {p: v.errors for p, v in visits.items() if v.errors}
    assert not failed, "loads that failed in the browser"


def test_internal_links_and_assets_resolve(site: Path, server: str) -> None:
    assert len(_pages(site)) > 5
    broken, external_assets = _check_links(site, server)
    assert not broken
    assert not external_assets


def test_the_checks_catch_a_broken_page(tmp_path: Path) -> None:
    """A page whose diagram needs a CDN and whose link and image are missing fails every check."""
    (tmp_path / "index.html").write_text(
        '<html><head><link rel="icon" href="data:,">'  # else Chromium asks for /favicon.ico
        '<script src="https://cdn.example/mermaid.min.js"></script></head><body>'
        '<pre class="mermaid"><code>sequenceDiagram\n  a->>b: hi</code></pre>'
        '<a href="missing/">gone</a><img src="nothing.png"></body></html>'
    )
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    server = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        visit = _open_all(tmp_path, server, tmp_path / "profile")["index.html"]
        broken, external_assets = _check_links(tmp_path, server)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert (visit.diagrams, visit.drawn) == (1, 0)
    assert "https://cdn.example/mermaid.min.js" in visit.requests.values()
    assert visit.errors == [f"{server}nothing.png: 404"]
    assert broken == [f"{server}missing/: 404", f"{server}nothing.png: 404"]
    assert external_assets == ["index.html: <script> https://cdn.example/mermaid.min.js"]
