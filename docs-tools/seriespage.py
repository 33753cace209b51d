"""One page of the series: an `imgcli --trace` document rewrapped, and openstackclient's requests.

Kept apart from series.py (which runs commands against the cloud) so that it can be tested on a
recorded trace with no cloud.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import yaml

_VERSION_ROOT = re.compile(r"^(/[a-z][a-z0-9-]*)?(/v\d+(\.\d+)?)?/?$")


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query, or a full URL
    status: int | None  # None: no response

    @property
    def path(self) -> str:
        return urlsplit(self.target).path if "://" in self.target else self.target.split("?")[0]

    @property
    def authenticates(self) -> bool:
        """Authentication or version discovery: what imgcli's token and endpoint cache saves."""
        if self.path.rstrip("/").endswith("/auth/tokens"):
            return True
        discovery = self.status == 300 or bool(_VERSION_ROOT.match(self.path))
        return self.method == "GET" and discovery

    def __str__(self) -> str:
        parts = urlsplit(self.target)
        shown = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        status = "no response" if self.status is None else str(self.status)
        return f"`{self.method} {shown}` → {status}"


@dataclass(frozen=True)
class Trace:
    """An `imgcli --trace` Markdown document, cut at its `## ` headings."""

    title: str
    sections: dict[str, str]

    @classmethod
    def parse(cls, text: str) -> Trace:
        title, _, rest = text.partition("\n")
        sections: dict[str, str] = {}
        for chunk in re.split(r"^## ", rest, flags=re.MULTILINE)[1:]:
            name, _, body = chunk.partition("\n")
            sections[name.strip()] = body.strip("\n")
        return cls(title.removeprefix("# "), sections)

    @property
    def command(self) -> str:
        return re.sub(r"\\(.)", r"\1", self.title)  # the trace escapes Markdown in its title

    def requests(self) -> list[Request]:
        """Each request of the run with its status, from the `### (n)` section headings."""
        found: list[Request] = []
        body = self.sections.get("Request/Response", "")
        for line in re.findall(r"^### \(\d+\) (.*)$", body, re.MULTILINE):
            line = re.sub(r"\\(.)", r"\1", line)  # the trace escapes Markdown in headings
            first, _, rest = line.partition(" ")
            if first.isdigit() and found and found[-1].status is None:
                found[-1] = Request(found[-1].method, found[-1].target, int(first))
            elif first.isupper():
                found.append(Request(first, rest, None))
        return found


# How a trace shows image data (imgcli.transfer.hashing.describe_data): length, type and hash.
DATA_SUMMARY = re.compile(r"<image data: \d+ bytes, [^,<>\n]+, [a-z0-9]+ [0-9a-f]{32,128}>")
_DATA_PATH = re.compile(r"/v2/images/[^/]+/(file|stage)$")


def _body_tab(section: str) -> str:
    """The text of a request or response section's Body tab (its indented code block)."""
    tab = section.split('=== "Body"', 1)[-1] if '=== "Body"' in section else ""
    lines = [line[4:] for line in tab.splitlines() if line.startswith("    ")]
    return "\n".join(line for line in lines if not line.startswith("```")).strip()


def unsummarised_data(trace: Trace) -> list[str]:
    """Each image-data body of the trace (a PUT's to .../file or .../stage, a GET's answer
    from .../file) not shown as its length, type and hash: the bytes, or nothing at all.
    `trace` is imgcli's trace, or a published page (whose section render() renames)."""
    sections = trace.sections
    body = sections.get("Request/Response") or sections.get("Requests and responses", "")
    chunks = re.split(r"^### \(\d+\) ", body, flags=re.MULTILINE)[1:]
    problems: list[str] = []
    sent: Request | None = None
    for chunk in chunks:
        heading, _, rest = chunk.partition("\n")
        heading = re.sub(r"\\(.)", r"\1", heading)
        first, _, target = heading.partition(" ")
        if first.isupper():  # a request
            sent = Request(first, target, None)
            if first == "PUT" and _DATA_PATH.search(sent.path):
                shown = _body_tab(rest)
                if not DATA_SUMMARY.fullmatch(shown):
                    problems.append(f"{first} {sent.path}: request body {shown[:80]!r}")
        elif sent is not None and sent.method == "GET" and sent.path.endswith("/file"):
            if first.startswith("2"):
                shown = _body_tab(rest)
                if not DATA_SUMMARY.fullmatch(shown):
                    problems.append(f"GET {sent.path} → {first}: response body {shown[:80]!r}")
    return problems


# urllib3's debug line for each request openstackclient sends: `http://host:port "GET /p HTTP/1.1"
# 200 123` (keystoneauth logs the token request differently, urllib3 logs them all alike).
_URLLIB3 = re.compile(r'^https?://\S+ "([A-Z]+) (\S+) HTTP/[\d.]+" (\d{3})', re.MULTILINE)


def requests_in_debug_log(stderr: str) -> list[Request]:
    return [Request(m, t, int(s)) for m, t, s in _URLLIB3.findall(stderr)]


@dataclass(frozen=True)
class Comparison:
    imgcli: list[Request]
    openstack: list[Request]  # openstackclient of today, the same command on the same cloud
    openstack_version: str
    series: list[Request] | None  # the 2022 series: authentication, then what it recorded

    def counts(self) -> dict[str, int | None]:
        return {
            "imgcli": len(self.imgcli),
            "imgcli_cached": sum(not r.authenticates for r in self.imgcli),
            "openstack": len(self.openstack),
            "series": None if self.series is None else len(self.series),
        }


def _rows(label: str, requests: list[Request]) -> str:
    auth = sum(r.authenticates for r in requests)
    return f"| {label} | {len(requests)} | {auth} | {len(requests) - auth} |"


def compare_section(cmp: Comparison, why: str) -> list[str]:
    cached = [r for r in cmp.imgcli if not r.authenticates]
    lines = [
        "## What openstackclient sends",
        "",
        "| client | requests | authentication and version discovery | the command's own |",
        "|---|---|---|---|",
        _rows("imgcli, this run (`--no-cache`)", cmp.imgcli),
        _rows("imgcli, a later run (token and endpoints cached, the default)", cached),
        _rows(f"openstackclient {cmp.openstack_version}, same command, same cloud", cmp.openstack),
    ]
    if cmp.series is not None:
        lines.append(_rows("openstackclient in the series (2022, devstack)", cmp.series))
    lines += ["", f"openstackclient {cmp.openstack_version} sent, in order:", ""]
    lines += [f"{n}. {r}" for n, r in enumerate(cmp.openstack, 1)]
    if cmp.series is not None:
        lines += ["", "The series recorded, in order:", ""]
        lines += [f"{n}. {r}" for n, r in enumerate(cmp.series, 1)]
    lines += ["", why.strip(), ""]
    return lines


def render(*, title: str, summary: str, when: str, trace: Trace, cmp: Comparison,
           why: str) -> str:
    meta = {"command": trace.command, **cmp.counts()}
    output = trace.sections.get("Output") or trace.sections.get("Error", "")
    if re.fullmatch(r"`{3,} text[^\n]*\nnone\n`{3,}", output):
        output = "It prints nothing."
    parts = [
        "---",
        yaml.safe_dump({"series": meta}, sort_keys=False, allow_unicode=True).strip(),
        "---",
        "",
        f"# {title}",
        "",
        f"{summary} One run against the local cloud, recorded with `imgcli --trace` by "
        f"`make series` on {when} UTC; `make series` records it again. `--no-cache` makes the "
        "run authenticate from scratch, as openstackclient does on every run.",
        "",
        "## Command and output",
        "",
        "``` bash",
        trace.command,
        "```",
        "",
        output,
        "",
        "## Sequence diagram",
        "",
        trace.sections["Sequence Diagram"],
        "",
        "## What each request is for",
        "",
        trace.sections["Steps"],
        "",
        "## Requests and responses",
        "",
        trace.sections["Request/Response"],
        "",
        *compare_section(cmp, why),
    ]
    return "\n".join(parts)


def front_matter(text: str) -> dict[str, object]:
    if not text.startswith("---\n"):
        return {}
    head = text[4:].split("\n---\n", 1)[0]
    return yaml.safe_load(head) or {}
