"""The Markdown trace, laid out like the seed document (mermaid, steps, tabs, output).

Imports: imgcli.trace.exchange, imgcli.trace.redact.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import parse_qsl, unquote, urlsplit

from imgcli.trace.exchange import Body, View
from imgcli.trace.redact import Secrets, command_line

_SERVICE_NAMES = {
    "identity": "Identity",
    "image": "Image",
    "compute": "Compute",
    "network": "Network",
    "volume": "Block Storage",
    "volumev2": "Block Storage",
    "volumev3": "Block Storage",
    "block-storage": "Block Storage",
    "object-store": "Object Storage",
}
_VERSION_ROOT = re.compile(r"^(/[a-z][a-z0-9-]*)?(/v\d+(\.\d+)?)?/?$")
# What a request is for, by method and the end of its path: the steps of a trace name them.
_IMAGE = r"/v2/images/[^/]+"
_REQUESTS: list[tuple[tuple[str, ...], str, str]] = [
    (("POST",), r"/v2/images$", "a new image record"),
    (("GET",), _IMAGE + "$", "one image's details"),
    (("PATCH",), _IMAGE + "$", "the image's changes, as a JSON-Patch"),
    (("DELETE",), _IMAGE + "$", "the image's deletion"),
    (("PUT",), _IMAGE + "/file$", "the image data, uploaded"),
    (("GET",), _IMAGE + "/file$", "the image data"),
    (("PUT",), _IMAGE + "/stage$", "the image data, staged for an import"),
    (("POST",), _IMAGE + "/import$", "the import: Glance takes the image data in"),
    (("PUT",), _IMAGE + "/tags/([^/]+)$", "adding the tag {}"),
    (("DELETE",), _IMAGE + "/tags/([^/]+)$", "removing the tag {}"),
    (("GET",), _IMAGE + "/members$", "the image's members"),
    (("POST",), _IMAGE + "/members$", "sharing the image with a project"),
    (("GET",), _IMAGE + "/members/([^/]+)$", "the membership of project {}"),
    (("PUT",), _IMAGE + "/members/([^/]+)$", "the member status of project {}"),
    (("DELETE",), _IMAGE + "/members/([^/]+)$", "unsharing the image with project {}"),
    (("POST",), _IMAGE + "/actions/(deactivate|reactivate)$", "the image's {}"),
    (("GET",), r"/v2/info/import$", "the import methods Glance offers"),
    (("GET",), r"/v2/info/stores$", "the stores Glance offers"),
    (("GET",), r"/v3/projects/([^/]+)$", "the project {}"),
    (("GET",), r"/v3/projects$", "the project list"),
    (("GET",), r"/v3/domains/([^/]+)$", "the domain {}"),
    (("GET",), r"/v3/domains$", "the domain list"),
]


def render(views: list[View], secrets: Secrets, argv: list[str], created: float,
           output: str = "", error: str | None = None) -> str:
    """The seed document's layout: diagram, steps, one section per message, output."""
    command = secrets(command_line(argv))
    when = datetime.fromtimestamp(created, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    lines = [
        f"# {_md_inline(command)}",
        "",
        "Every HTTP request this command made and every response it got, recorded by "
        f"`imgcli --trace` on {when} UTC.",
        "",
        "## Sequence Diagram",
        "",
        *_mermaid(views),
        "",
        "## Steps",
        "",
    ]
    if views:
        lines.extend(_steps(views))
    else:
        lines.append("No HTTP request was made.")
    lines += ["", "## Request/Response", ""]
    if not views:
        lines += ["No HTTP request was made.", ""]
    for view in views:
        lines.extend(_sections(view))
    if output or error is None:
        fmt = _output_format(argv)
        lines += ["## Output", ""]
        lines += _fence(secrets(output.rstrip("\n")) or "none", f'text title="{fmt}"')
        lines.append("")
    if error is not None:
        lines += ["## Error", ""]
        lines += _fence(secrets(error.rstrip("\n")) or "unknown error", 'text title="error"')
        lines.append("")
    return "\n".join(lines)


def _output_format(argv: list[str]) -> str:
    fmt = "table"
    for i, arg in enumerate(argv):
        if arg in ("-f", "--format") and i + 1 < len(argv):
            fmt = argv[i + 1]
        elif arg.startswith("--format="):
            fmt = arg.split("=", 1)[1]
        elif arg.startswith("-f") and len(arg) > 2 and not arg.startswith("--"):
            fmt = arg[2:]
    return re.sub(r"[^A-Za-z0-9_-]", "", fmt) + " format"


def _md_inline(text: str) -> str:
    """Escape what Python-Markdown would take as markup in a heading (URLs mostly pass as is)."""
    text = re.sub(r"([\\`*\[\]<>])", r"\\\1", text)
    # "_" is emphasis only at a word boundary; intraword ones (sort_key) stay readable.
    text = re.sub(r"(?<![A-Za-z0-9\\])_", r"\\_", text)
    return text.rstrip("#") or text


def _ms(ms: float) -> str:
    return f"{ms:.1f} ms" if ms < 10 else f"{ms:.0f} ms"


def _fence(content: str, info: str, indent: str = "") -> list[str]:
    """A fenced block longer than any backtick run inside, so bodies can't close it early."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    ticks = "`" * max(3, longest + 1)
    lines = [f"{indent}{ticks} {info}"]
    lines += [f"{indent}{line}" if line else "" for line in content.split("\n")]
    lines.append(f"{indent}{ticks}")
    return lines


def _mermaid_text(text: str) -> str:
    # Mermaid reads ";" as a statement break and "#...;" as an entity code.
    text = text.replace("#", "#35;").replace(";", "#59;")
    return re.sub(r"\s+", " ", text).strip()


_LABEL_LINE = 44  # characters: about what fits between two lifelines spanning one participant


def _path_and_query(url: str) -> str:
    """The arrow's label: path and query, broken into lines at / ? & where it is long."""
    parts = urlsplit(url)
    text = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [""]
    for piece in re.findall(r"[/?&][^/?&]*|[^/?&]+", text):
        if lines[-1] and len(lines[-1]) + len(piece) > _LABEL_LINE:
            lines.append("")
        lines[-1] += piece
    return "<br/>".join(lines)


def _mermaid(views: list[View]) -> list[str]:
    ids: dict[str, str] = {}
    for view in views:
        if view.label not in ids:
            base = re.sub(r"-api$", "", view.label)
            ident = re.sub(r"\W", "_", base)
            if not ident[:1].isalpha():
                ident = "s_" + ident
            while ident in ids.values() or ident == "client":
                ident += "_"
            ids[view.label] = ident
    lines = ["``` mermaid", "sequenceDiagram", "  autonumber", "  participant client as imgcli"]
    lines += [f"  participant {ident} as {label}" for label, ident in ids.items()]
    for view in views:
        target = ids[view.label]
        # The host is the participant already; a full URL is wider than the space between
        # lifelines and would be drawn across them. The request's section has the full URL.
        request = _mermaid_text(f"{view.method} {_path_and_query(view.url)}")
        if view.status is None:
            lines.append(f"  client-x{target}: {request}")
            note = _mermaid_text((view.error or "no response")[:120])
            lines.append(f"  Note over client,{target}: {note}")
        else:
            lines.append(f"  client->>{target}: {request}")
            status = _mermaid_text(f"{view.status} {view.reason}")
            lines.append(f"  {target}-->>client: Response: {status}")
    lines.append("```")
    return lines


def _purpose(view: View) -> str:
    parts = urlsplit(view.url)
    path = parts.path.rstrip("/")
    query = dict(parse_qsl(parts.query))
    method, stype = view.method, view.service
    name = _SERVICE_NAMES.get(stype or "", view.label)
    if path.endswith("/tokens") and stype in ("identity", None):
        return {
            "POST": "a token and the service catalog",
            "GET": "a token's validation",
            "HEAD": "a token's validation",
            "DELETE": "the token's revocation",
        }.get(method, f"{method} on the token")
    if method == "GET" and (view.status == 300 or _VERSION_ROOT.match(path or "/")):
        if stype == "identity":
            return "Identity's version endpoints (version discovery)"
        return f"the {name} service's versions (version discovery)"
    if method == "GET" and re.search(r"/v2/images$", path):
        return "the next page of images" if "marker" in query else "the image list"
    if method == "GET" and "/v2/schemas/" in path:
        return "the image schema"
    if method == "GET" and re.search(r"/v3/projects$", path) and "name" in query:
        return f"the ID of the project named {_md_inline(query['name'])}"
    for methods, pattern, what in _REQUESTS:
        found = re.search(pattern, path)
        service = "identity" if pattern.startswith("/v3/") else "image"
        if method in methods and found and stype in (service, None):
            return what.format(*(_md_inline(unquote(g)) for g in found.groups()))
    return f"{method} {_md_inline(path or '/')} on {view.label}"


def _steps(views: list[View]) -> list[str]:
    lines = []
    for view in views:
        what = _purpose(view)
        n = view.number
        if view.status is None:
            error = (view.error or "error").splitlines()[0][:200]
            lines.append(f"- ({n}): {what}; no response from {view.label}: {_md_inline(error)}.")
        else:
            lines.append(
                f"- ({n}),({n + 1}): {what}; {view.label} answered "
                f"{view.status} {_md_inline(view.reason)}."
            )
    return lines


def _tab(title: str, content: str, info: str) -> list[str]:
    return [f'=== "{title}"', *_fence(content, info, "    "), ""]


def _body_tab(body: Body | None) -> list[str]:
    if body is None or body.text is None:
        return _tab("Body", "none", 'http title=""')
    return _tab("Body", body.text, 'json title=""' if body.kind == "json" else 'text title=""')


def _sections(view: View) -> list[str]:
    req_no = view.number
    head = [f"{view.method} {view.url}", *(f"{k}: {v}" for k, v in view.req_headers)]
    lines = [f"### ({req_no}) {_md_inline(f'{view.method} {view.url}')}", ""]
    lines += _tab("Header", "\n".join(head), 'http title=""')
    lines += _body_tab(view.req_body)
    if view.status is None:
        lines += [f"No response from {view.label} after {_ms(view.elapsed_ms)}:", ""]
        lines += _fence(view.error or "error", 'text title="error"')
        lines.append("")
        return lines
    status = f"{view.status} {view.reason}".strip()
    lines += [f"### ({req_no + 1}) {_md_inline(status)}", ""]
    lines += [f"{view.label} answered in {_ms(view.elapsed_ms)}.", ""]
    head = [f"{status} {view.url}", *(f"{k}: {v}" for k, v in view.resp_headers)]
    lines += _tab("Header", "\n".join(head), 'http title=""')
    lines += _body_tab(view.resp_body)
    if view.error:  # the response arrived but something failed afterwards (e.g. reading it)
        lines += ["The exchange then failed:", ""]
        lines += _fence(view.error, 'text title="error"')
        lines.append("")
    return lines
