"""The trace as an HTTP Archive (HAR 1.2), for browser dev tools and HAR viewers.

Imports: imgcli, imgcli.trace.exchange, imgcli.trace.redact.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from imgcli import __version__
from imgcli.trace.exchange import View, header_value
from imgcli.trace.redact import Secrets, command_line


def render(views: list[View], secrets: Secrets, argv: list[str], created: float,
           output: str = "", error: str | None = None) -> str:
    """HTTP Archive 1.2: one page, one entry per exchange."""
    page_start = views[0].started if views else created
    log: dict[str, Any] = {
        "version": "1.2",
        "creator": {"name": "imgcli", "version": __version__},
        "pages": [
            {
                "startedDateTime": _iso(page_start),
                "id": "page_1",
                "title": secrets(command_line(argv)),
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


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds")


def _har_entry(view: View) -> dict[str, Any]:
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
        "redirectURL": header_value(view.resp_headers, "location"),
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
    if view.cloud:
        entry["_cloud"] = view.cloud  # a run that talked to several clouds
    return entry
