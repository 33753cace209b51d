"""``--trace FILE``: record every HTTP exchange of a run and write it as Markdown or HAR 1.2.

The Markdown mirrors the project's seed document (docs/seed: ``openstack image list --all``):
a mermaid sequence diagram, a numbered explanation, one section per message with
mkdocs-material content tabs, and the printed output.

Design:

* ``Recorder.record`` is a ``requests`` response hook: it only keeps references (the
  ``Response``, which holds its ``PreparedRequest``) and a start time.  Parsing, redaction and
  rendering all happen in ``write``, so tracing costs nothing measurable while the command runs.
* Bodies are never read by the recorder.  A non-streamed response has its body loaded by
  ``requests.Session.send`` right after the hooks run, so at ``write`` time it is there.  A
  streamed body is shown only if the caller loaded it (``response.content``) before ``write``;
  otherwise the trace says it was not captured.  The recorder never consumes a stream.
* Redaction is structural (headers, JSON keys, query strings, URL user info, argv) and then a
  literal scrub of every secret value found that way, over every string written, so a secret
  echoed somewhere unexpected (an error message, another body) is caught too.

Only the standard library is imported here; ``requests`` types are for type checkers only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus, urlsplit

from imgcli.errors import phrase

if TYPE_CHECKING:
    import requests

__all__ = ["Recorder", "digest"]

# keystoneauth1.session.Session._process_header hashes exactly these; Authorization variants
# and cookies are added because they are credentials too.
_SECURE_HEADERS = frozenset(
    {
        "authorization",
        "x-auth-token",
        "x-subject-token",
        "x-service-token",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    }
)
_SECRET_KEYS = frozenset(
    {
        "password",
        "secret",
        "token",
        "passcode",
        "adminpass",
        "access_token",
        "refresh_token",
        "client_secret",
        "auth_token",
        "x_auth_token",
    }
)
_SECRET_SUFFIXES = ("_password", "_secret", "_token", "_passcode")
_TOKEN_PARENTS = (("identity",), ("auth",), ("access",))
_BINARY_MIMES = ("application/octet-stream", "application/x-gzip", "application/gzip")
_REDACTED = "***"
# Secrets shorter than this are not scrubbed literally (they would erase ordinary text);
# structural redaction still removes them from where they were sent.
_MIN_SCRUB = 4
_MAX_BODY = 4 << 20  # bytes rendered per body; the rest is summarised

# Catalog service type -> project name, for participant labels like the seed's ``glance-api``.
_PROJECTS = {
    "identity": "keystone",
    "image": "glance",
    "compute": "nova",
    "network": "neutron",
    "volume": "cinder",
    "volumev2": "cinder",
    "volumev3": "cinder",
    "block-storage": "cinder",
    "object-store": "swift",
    "orchestration": "heat",
    "load-balancer": "octavia",
    "key-manager": "barbican",
    "dns": "designate",
    "baremetal": "ironic",
    "shared-file-system": "manila",
}
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
# URL fallbacks when no catalog was seen: devstack-style path prefixes, then default ports.
_PATH_HINTS = {
    "identity": "identity",
    "image": "image",
    "compute": "compute",
    "volume": "block-storage",
    "networking": "network",
    "placement": "placement",
}
_PORT_HINTS = {
    5000: "identity",
    35357: "identity",
    9292: "image",
    8774: "compute",
    9696: "network",
    8776: "block-storage",
}
_HTTP_VERSIONS = {10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2", 30: "HTTP/3"}
_VERSION_ROOT = re.compile(r"^(/[a-z][a-z0-9-]*)?(/v\d+(\.\d+)?)?/?$")


def digest(value: str) -> str:
    """keystoneauth's log digest of a token: ``{SHA256}<hex>`` (correlates with its debug logs)."""
    return "{SHA256}" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def _is_secret_key(key: object) -> bool:
    k = str(key).lower().replace("-", "_")
    return k in _SECRET_KEYS or k.endswith(_SECRET_SUFFIXES)


def _is_token_id(path: tuple[str, ...], key: str) -> bool:
    # auth.identity.token.id (v3 token auth), auth.token.id / access.token.id (v2.0).
    return key == "id" and path[-1:] == ("token",) and path[-2:-1] in _TOKEN_PARENTS


@dataclass
class _Exchange:
    """What ``record`` keeps: references only, rendered at ``write`` time."""

    request: Any  # requests.PreparedRequest
    response: Any  # requests.Response, or None when the request failed
    started: float  # epoch seconds
    elapsed: float  # seconds
    stream: bool = False
    error: BaseException | None = None


@dataclass
class _Body:
    text: str | None  # None: no body
    kind: str  # "json", "text", "none", "note" (a placeholder such as "<streamed ...>")
    mime: str
    size: int
    parsed: Any = None


@dataclass
class _View:
    """One exchange, redacted and ready to render."""

    number: int
    method: str
    url: str
    started: float
    elapsed_ms: float
    http_version: str
    req_headers: list[tuple[str, str]]
    req_body: _Body
    status: int | None = None
    reason: str = ""
    resp_headers: list[tuple[str, str]] = field(default_factory=list)
    resp_body: _Body | None = None
    error: str | None = None
    service: str | None = None  # catalog service type
    label: str = ""  # mermaid participant label, e.g. glance-api


class _Secrets:
    """Secret values found while redacting, and the literal scrub applied to every output."""

    def __init__(self) -> None:
        self._map: dict[str, str] = {}

    def add(self, value: object, replacement: str = _REDACTED) -> None:
        s = str(value)
        if len(s) < _MIN_SCRUB:
            return
        for variant in {s, json.dumps(s)[1:-1], quote(s, safe=""), quote_plus(s)}:
            if len(variant) >= _MIN_SCRUB:
                self._map.setdefault(variant, replacement)

    def __call__(self, text: str) -> str:
        # Longest first so a secret containing another is replaced whole.
        for secret in sorted(self._map, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, self._map[secret])
        return text


def _redact_header(name: str, value: str, secrets: _Secrets) -> str:
    if name.lower() in _SECURE_HEADERS:
        hashed = digest(value)
        secrets.add(value, hashed)
        scheme, _, credential = value.partition(" ")
        if credential and name.lower().endswith("authorization"):
            secrets.add(credential)
        return hashed
    if name.lower() in ("location", "content-location"):
        return _redact_url(value, secrets)
    return value


def _redact_url(url: str, secrets: _Secrets) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, sep, password = userinfo.partition(":")
        if sep:
            secrets.add(unquote_plus(password))
            netloc = f"{user}:{_REDACTED}@{host}"
    query = parts.query
    if query:
        # Rewrite only secret pairs so the rest of the query stays byte-for-byte as sent.
        pieces = []
        for piece in query.split("&"):
            key, sep, value = piece.partition("=")
            if sep and _is_secret_key(unquote_plus(key)):
                secrets.add(unquote_plus(value))
                piece = f"{key}={_REDACTED}"
            pieces.append(piece)
        query = "&".join(pieces)
    if netloc == parts.netloc and query == parts.query:
        return url
    out = f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else f"{netloc}{parts.path}"
    if query:
        out += "?" + query
    if parts.fragment:
        out += "#" + parts.fragment
    return out


def _redact_json(node: Any, secrets: _Secrets, path: tuple[str, ...] = ()) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                # "token": {...} in a token response is not a secret: only its scalars can be.
                out[key] = _redact_json(value, secrets, (*path, str(key)))
            elif (
                value is not None
                and not isinstance(value, bool)
                and (_is_secret_key(key) or _is_token_id(path, str(key)))
            ):
                secrets.add(value)
                out[key] = _REDACTED
            else:
                out[key] = value
        return out
    if isinstance(node, list):
        return [_redact_json(item, secrets, path) for item in node]
    return node


def _redact_argv(argv: list[str], secrets: _Secrets) -> list[str]:
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            secrets.add(arg)
            out.append(_REDACTED)
            hide_next = False
            continue
        if arg.startswith("--"):
            name, sep, value = arg.partition("=")
            if any(word in name for word in ("password", "secret", "token")):
                if sep:
                    secrets.add(value)
                    arg = f"{name}={_REDACTED}"
                else:
                    hide_next = True
        out.append(arg)
    return out


def _str(value: object) -> str:
    # requests accepts bytes header values; http.client sends them as latin-1.
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _header_value(headers: list[tuple[str, str]], name: str) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value
    return ""


def _charset(content_type: str) -> str | None:
    m = re.search(r"charset=\"?([\w.:-]+)", content_type, re.IGNORECASE)
    return m.group(1) if m else None


def _body(raw: Any, content_type: str, secrets: _Secrets) -> _Body:
    """Decode, parse and redact one body (request or response)."""
    mime = content_type.split(";")[0].strip()
    if raw is None or raw == b"" or raw == "":
        return _Body(None, "none", mime, 0)
    if isinstance(raw, str):
        data = raw.encode("utf-8")
    elif isinstance(raw, (bytes, bytearray)):
        data = bytes(raw)
    else:
        # A file or generator upload body: never read it, it belongs to the transport.
        return _Body("<streamed body, not captured>", "note", mime, -1)
    size = len(data)
    binary = mime.startswith(("image/", "video/", "audio/")) or mime in _BINARY_MIMES
    if size > _MAX_BODY or binary:
        return _Body(f"<{size} bytes of {mime or 'binary data'}, not shown>", "note", mime, size)
    try:
        text = data.decode(_charset(content_type) or "utf-8")
    except (UnicodeDecodeError, LookupError):
        return _Body(f"<{size} bytes of binary data, not shown>", "note", mime, size)
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            parsed = json.loads(text)
        except ValueError:
            pass
        else:
            redacted = _redact_json(parsed, secrets)
            pretty = json.dumps(redacted, indent=4, ensure_ascii=False)
            return _Body(pretty, "json", mime or "application/json", size, redacted)
    if "x-www-form-urlencoded" in mime:
        pairs = []
        for key, value in parse_qsl(text, keep_blank_values=True):
            if _is_secret_key(key):
                secrets.add(value)
                value = _REDACTED
            pairs.append(f"{quote_plus(key)}={quote_plus(value, safe='*')}")
        text = "&".join(pairs)
    return _Body(text, "text", mime, size)


class Recorder:
    """Records a run's HTTP exchanges; ``write`` renders them as Markdown or HAR 1.2."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = list(argv)
        self.created = time.time()
        self.exchanges: list[_Exchange] = []

    # -- recording (cheap: references only) ---------------------------------------------------

    def attach(self, session: requests.Session) -> None:
        """Hook into a ``requests.Session`` (for keystoneauth: its ``.session``).

        Appends ``record`` to ``session.hooks["response"]`` and wraps ``session.send`` on the
        instance so a request that gets no response (connection refused, timeout) is recorded
        through ``record_failure`` before the exception propagates unchanged.
        """
        hooks = session.hooks.setdefault("response", [])
        if self.record not in hooks:
            hooks.append(self.record)
        if getattr(session.send, "_imgcli_trace", None) is self:
            return
        own_send = session.__dict__.get("send")  # someone else's instance-level wrapper

        def send(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
            started = time.time()
            try:
                if own_send is not None:
                    response = own_send(request, **kwargs)
                else:
                    # Resolved per call, not bound at attach time, so class-level patches
                    # (e.g. requests-mock) made after attach() still apply.
                    response = type(session).send(session, request, **kwargs)
            except Exception as exc:
                self.record_failure(getattr(exc, "request", None) or request, exc, started)
                raise
            # Per-request hooks replace the session's in requests' merge_hooks(); recording
            # here too (deduplicated) keeps such requests in the trace.
            self.record(response, stream=kwargs.get("stream", session.stream))
            return response

        send._imgcli_trace = self  # type: ignore[attr-defined]
        session.send = send  # type: ignore[method-assign]

    def record(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Response hook.  Also records ``response.history`` (redirect hops) not yet seen."""
        now = time.time()
        stream = bool(kwargs.get("stream", False))
        for hop in (*getattr(response, "history", ()), response):
            if getattr(hop, "_imgcli_traced", False):
                continue
            hop._imgcli_traced = True
            elapsed = hop.elapsed.total_seconds() if hop.elapsed else 0.0
            self.exchanges.append(_Exchange(hop.request, hop, now - elapsed, elapsed, stream))

    def record_failure(
        self,
        request: requests.PreparedRequest,
        exc: BaseException,
        started: float | None = None,
    ) -> None:
        """Record a request that got no response; the trace shows the request and the error."""
        now = time.time()
        for ex in self.exchanges:
            if ex.error is exc:
                return  # already recorded by a nested send() (redirects) or by the wrapper
            if ex.request is request:
                ex.error = ex.error or exc  # e.g. the body failed to download after headers
                return
        begun = started if started is not None else now
        self.exchanges.append(_Exchange(request, None, begun, now - begun, False, exc))

    # -- rendering ------------------------------------------------------------------------------

    def write(self, path: str, output: str = "", error: str | None = None) -> None:
        """Write the trace: HAR 1.2 JSON when ``path`` ends in ``.har``, else Markdown."""
        if path.lower().endswith(".har"):
            text = self.render_har(output, error)
        else:
            text = self.render_markdown(output, error)
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)

    def _prepare(self) -> tuple[list[_View], _Secrets, list[str]]:
        secrets = _Secrets()
        argv = _redact_argv(self.argv, secrets)
        views = []
        for ex in self.exchanges:
            req = ex.request
            req_headers = [
                (k, _redact_header(k, _str(v), secrets)) for k, v in (req.headers or {}).items()
            ]
            view = _View(
                number=0,  # set below, once failures are known
                method=(req.method or "GET").upper(),
                url=_redact_url(req.url or "", secrets),
                started=ex.started,
                elapsed_ms=round(ex.elapsed * 1000, 3),
                http_version="HTTP/1.1",
                req_headers=req_headers,
                req_body=_body(req.body, _header_value(req_headers, "content-type"), secrets),
            )
            resp = ex.response
            if resp is not None:
                view.status = resp.status_code
                view.reason = resp.reason or phrase(resp.status_code)
                view.http_version = _HTTP_VERSIONS.get(
                    getattr(resp.raw, "version", 11), "HTTP/1.1"
                )
                view.resp_headers = [
                    (k, _redact_header(k, _str(v), secrets)) for k, v in resp.headers.items()
                ]
                ctype = _header_value(view.resp_headers, "content-type")
                # requests' private cache of the body: bytes once loaded, False while a
                # stream is unread (reading it here would steal it from the caller).
                content = getattr(resp, "_content", False)
                if isinstance(content, bytes) or content is None:
                    view.resp_body = _body(content, ctype, secrets)
                else:
                    note = (
                        "<streamed body, not read by the caller, not captured>"
                        if ex.stream
                        else "<body not received>"
                    )
                    view.resp_body = _Body(note, "note", ctype.split(";")[0], -1)
            if ex.error is not None:
                view.error = f"{type(ex.error).__name__}: {ex.error}"
            views.append(view)
        # Scrub after all secrets are known: a later body may hold an earlier request's secret.
        for view in views:
            view.url = secrets(view.url)
            view.req_headers = [(k, secrets(v)) for k, v in view.req_headers]
            view.resp_headers = [(k, secrets(v)) for k, v in view.resp_headers]
            for body in (view.req_body, view.resp_body):
                if body is not None and body.text is not None:
                    body.text = secrets(body.text)
            if view.error:
                view.error = secrets(view.error)
        # Numbers follow the diagram's autonumber: two arrows per answer, one per failure.
        arrow = 1
        for view in views:
            view.number = arrow
            arrow += 1 if view.status is None else 2
        _attribute(views)
        return views, secrets, argv

    def render_markdown(self, output: str = "", error: str | None = None) -> str:
        views, secrets, argv = self._prepare()
        command = secrets(_command_line(argv))
        when = datetime.fromtimestamp(self.created, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
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

    def render_har(self, output: str = "", error: str | None = None) -> str:
        from imgcli import __version__  # the package root is import-light

        views, secrets, argv = self._prepare()
        page_start = views[0].started if views else self.created
        log: dict[str, Any] = {
            "version": "1.2",
            "creator": {"name": "imgcli", "version": __version__},
            "pages": [
                {
                    "startedDateTime": _iso(page_start),
                    "id": "page_1",
                    "title": secrets(_command_line(argv)),
                    "pageTimings": {"onContentLoad": -1, "onLoad": -1},
                }
            ],
            "entries": [_har_entry(v) for v in views],
        }
        if output:
            log["_output"] = secrets(output)
        if error is not None:
            log["comment"] = secrets(f"error: {error}")
        return json.dumps({"log": log}, indent=2, ensure_ascii=False) + "\n"


# -- attribution: which service answered -------------------------------------------------------


def _catalog(views: list[_View]) -> list[tuple[str, str]]:
    """(endpoint URL, service type) from the last successful token response."""
    endpoints: list[tuple[str, str]] = []
    for view in views:
        body = view.resp_body
        if (
            view.method != "POST"
            or not urlsplit(view.url).path.rstrip("/").endswith("/tokens")
            or view.status not in (200, 201)
            or body is None
            or not isinstance(body.parsed, dict)
        ):
            continue
        found: list[tuple[str, str]] = []
        token = body.parsed.get("token")
        access = body.parsed.get("access")
        if isinstance(token, dict) and isinstance(token.get("catalog"), list):
            for service in token["catalog"]:
                if isinstance(service, dict):
                    for ep in service.get("endpoints") or []:
                        if isinstance(ep, dict) and ep.get("url"):
                            found.append((str(ep["url"]).rstrip("/"), str(service.get("type"))))
        elif isinstance(access, dict) and isinstance(access.get("serviceCatalog"), list):
            for service in access["serviceCatalog"]:  # Identity v2.0
                if isinstance(service, dict):
                    for ep in service.get("endpoints") or []:
                        for key in ("publicURL", "internalURL", "adminURL"):
                            if isinstance(ep, dict) and ep.get(key):
                                found.append((str(ep[key]).rstrip("/"), str(service["type"])))
        if found:
            endpoints = found
    return endpoints


def _under(url: str, base: str) -> bool:
    return url == base or (url.startswith(base) and url[len(base)] in "/?#")


def _auth_bases(views: list[_View]) -> list[str]:
    bases = []
    for view in views:
        parts = urlsplit(view.url)
        path = parts.path.rstrip("/")
        if view.method == "POST" and path.endswith("/tokens"):
            root = re.sub(r"(/v3/auth|/v2\.0)?/tokens$", "", path)
            bases.append(f"{parts.scheme}://{parts.netloc}{root}".rstrip("/"))
    return bases


def _service_for(url: str, catalog: list[tuple[str, str]], auth_bases: list[str]) -> str | None:
    bare = url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    matches = [(len(base), stype) for base, stype in catalog if _under(bare, base)]
    if matches:
        return max(matches)[1]
    if any(_under(bare, base) for base in auth_bases if base):
        return "identity"
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    for base, stype in catalog:  # an endpoint's unversioned root: version discovery
        ep = urlsplit(base)
        if ep.netloc == parts.netloc and ep.path.startswith(path):
            return stype
    segments = [s for s in path.split("/") if s]
    if segments and segments[0] in _PATH_HINTS:
        return _PATH_HINTS[segments[0]]
    try:
        port = parts.port
    except ValueError:
        port = None
    if port in _PORT_HINTS:
        return _PORT_HINTS[port]
    if segments[:1] in (["v3"], ["v2.0"]):
        return "identity"
    if segments[:2] in (["v2", "images"], ["v2", "schemas"]) or segments == ["v2"]:
        return "image"
    return None


def _label(stype: str | None, url: str) -> str:
    if stype is None:
        host = urlsplit(url).netloc.rsplit("@", 1)[-1]
        return re.sub(r"[^A-Za-z0-9._-]", "-", host) or "server"
    return f"{_PROJECTS.get(stype, re.sub(r'[^A-Za-z0-9._-]', '-', stype))}-api"


def _attribute(views: list[_View]) -> None:
    catalog = _catalog(views)
    auth_bases = _auth_bases(views)
    for view in views:
        view.service = _service_for(view.url, catalog, auth_bases)
        view.label = _label(view.service, view.url)


# -- Markdown ----------------------------------------------------------------------------------


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds")


def _command_line(argv: list[str]) -> str:
    if not argv:
        return "imgcli"
    words = [shlex.quote(os.path.basename(argv[0]))]
    for arg in argv[1:]:
        # Quote as a shell would, but leave the redaction marker readable: *** not '***'.
        name, sep, value = arg.rpartition("=")
        if arg == _REDACTED:
            words.append(arg)
        elif sep and value == _REDACTED:
            words.append(f"{shlex.quote(name)}={_REDACTED}")
        else:
            words.append(shlex.quote(arg))
    return " ".join(words)


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


def _mermaid(views: list[_View]) -> list[str]:
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
        request = _mermaid_text(f"{view.method} {view.url}")
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


def _purpose(view: _View) -> str:
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
    if method == "GET" and re.search(r"/v2/images/[^/]+$", path):
        return "one image's details"
    if method == "GET" and "/v2/schemas/" in path:
        return "the image schema"
    return f"{method} {_md_inline(path or '/')} on {view.label}"


def _steps(views: list[_View]) -> list[str]:
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


def _body_tab(body: _Body | None) -> list[str]:
    if body is None or body.text is None:
        return _tab("Body", "none", 'http title=""')
    return _tab("Body", body.text, 'json title=""' if body.kind == "json" else 'text title=""')


def _sections(view: _View) -> list[str]:
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


# -- HAR 1.2 -------------------------------------------------------------------------------------


def _har_entry(view: _View) -> dict[str, Any]:
    query = urlsplit(view.url).query
    request: dict[str, Any] = {
        "method": view.method,
        "url": view.url,
        "httpVersion": view.http_version,
        "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in view.req_headers],
        "queryString": [
            {"name": k, "value": v} for k, v in parse_qsl(query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": view.req_body.size,  # -1: a streamed upload, not captured
    }
    if view.req_body.text is not None:
        request["postData"] = {"mimeType": view.req_body.mime, "text": view.req_body.text}
    body = view.resp_body
    response: dict[str, Any] = {
        "status": view.status or 0,
        "statusText": view.reason,
        "httpVersion": view.http_version,
        "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in view.resp_headers],
        "content": {
            "size": body.size if body is not None and body.size >= 0 else 0,
            "mimeType": (body.mime if body is not None else "") or "x-unknown",
        },
        "redirectURL": _header_value(view.resp_headers, "location"),
        "headersSize": -1,
        "bodySize": body.size if body is not None else -1,
    }
    if body is not None and body.text is not None:
        response["content"]["text"] = body.text
    entry: dict[str, Any] = {
        "pageref": "page_1",
        "startedDateTime": _iso(view.started),
        "time": view.elapsed_ms,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": view.elapsed_ms, "receive": 0},
    }
    if view.error:
        entry["_error"] = view.error  # HAR custom fields start with "_"
    return entry
