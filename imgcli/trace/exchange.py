"""What a trace holds: recorded exchanges, and their redacted views ready to render.

Imports: imgcli.trace.redact.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote_plus

from imgcli.trace.redact import REDACTED, Secrets, is_secret_key, redact_json

_BINARY_MIMES = ("application/octet-stream", "application/x-gzip", "application/gzip")
_MAX_BODY = 4 << 20  # bytes rendered per body; the rest is summarised


@dataclass
class Exchange:
    """What ``record`` keeps: references only, rendered at ``write`` time."""

    request: Any  # requests.PreparedRequest
    response: Any  # requests.Response, or None when the request failed
    started: float  # epoch seconds
    elapsed: float  # seconds
    stream: bool = False
    error: BaseException | None = None
    cloud: str | None = None  # the cloud's name when a run talks to several (Recorder.mark)


@dataclass
class Body:
    text: str | None  # None: no body
    kind: str  # "json", "text", "none", "note" (a placeholder such as "<streamed ...>")
    mime: str
    size: int
    parsed: Any = None


@dataclass
class View:
    """One exchange, redacted and ready to render."""

    number: int
    method: str
    url: str
    started: float
    elapsed_ms: float
    http_version: str
    req_headers: list[tuple[str, str]]
    req_body: Body
    status: int | None = None
    reason: str = ""
    resp_headers: list[tuple[str, str]] = field(default_factory=list)
    resp_body: Body | None = None
    error: str | None = None
    service: str | None = None  # catalog service type
    label: str = ""  # mermaid participant label, e.g. glance-api
    cloud: str | None = None  # set when a run talks to several clouds: "devcloud2"


def as_text(value: object) -> str:
    # requests accepts bytes header values; http.client sends them as latin-1.
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def header_value(headers: list[tuple[str, str]], name: str) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value
    return ""


def _charset(content_type: str) -> str | None:
    m = re.search(r"charset=\"?([\w.:-]+)", content_type, re.IGNORECASE)
    return m.group(1) if m else None


def data_body(summary: str | None, content_type: str) -> Body | None:
    """An image-data body as the transfer code noted it (imgcli.trace.notes): its size and
    hash, never its bytes. None when no note was made for the body."""
    if summary is None:
        return None
    found = re.match(r"<image data: (\d+) bytes", summary)
    size = int(found.group(1)) if found else -1
    return Body(summary, "note", content_type.split(";")[0].strip(), size)


def parse_body(raw: Any, content_type: str, secrets: Secrets) -> Body:
    """Decode, parse and redact one body (request or response)."""
    mime = content_type.split(";")[0].strip()
    if raw is None or raw == b"" or raw == "":
        return Body(None, "none", mime, 0)
    if isinstance(raw, str):
        data = raw.encode("utf-8")
    elif isinstance(raw, (bytes, bytearray)):
        data = bytes(raw)
    else:
        # A file or generator upload body: never read it, it belongs to the transport.
        return Body("<streamed body, not captured>", "note", mime, -1)
    size = len(data)
    binary = mime.startswith(("image/", "video/", "audio/")) or mime in _BINARY_MIMES
    if size > _MAX_BODY or binary:
        return Body(f"<{size} bytes of {mime or 'binary data'}, not shown>", "note", mime, size)
    try:
        text = data.decode(_charset(content_type) or "utf-8")
    except (UnicodeDecodeError, LookupError):
        return Body(f"<{size} bytes of binary data, not shown>", "note", mime, size)
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            parsed = json.loads(text)
        except ValueError:
            pass
        else:
            redacted = redact_json(parsed, secrets)
            pretty = json.dumps(redacted, indent=4, ensure_ascii=False)
            return Body(pretty, "json", mime or "application/json", size, redacted)
    if "x-www-form-urlencoded" in mime:
        pairs = []
        for key, value in parse_qsl(text, keep_blank_values=True):
            if is_secret_key(key):
                secrets.add(value)
                value = REDACTED
            pairs.append(f"{quote_plus(key)}={quote_plus(value, safe='*')}")
        text = "&".join(pairs)
    return Body(text, "text", mime, size)
