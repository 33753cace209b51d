"""Recorder: keeps references to a run's HTTP exchanges; renders them only when written.

Imports: imgcli.errors, imgcli.safefile, imgcli.trace.attribution, imgcli.trace.exchange,
imgcli.trace.har, imgcli.trace.markdown, imgcli.trace.notes, imgcli.trace.redact.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from imgcli.errors import phrase
from imgcli.safefile import write_private
from imgcli.trace import har, markdown, notes  # submodules: the package imports nothing
from imgcli.trace.attribution import attribute
from imgcli.trace.exchange import (
    Body,
    Exchange,
    View,
    as_text,
    data_body,
    header_value,
    parse_body,
)
from imgcli.trace.redact import (
    REDACTED,
    Secrets,
    digest,
    redact_argv,
    redact_header,
    redact_url,
)

if TYPE_CHECKING:
    import requests

_HTTP_VERSIONS = {10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2", 30: "HTTP/3"}


class Recorder:
    """Records a run's HTTP exchanges; ``write`` renders them as Markdown or HAR 1.2."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = list(argv)
        self.created = time.time()
        self.exchanges: list[Exchange] = []
        # Secrets the run holds whether or not they crossed the wire (a cached token that
        # `token issue` prints): scrubbed from everything written, tokens as their digests.
        self.held: list[tuple[str, bool]] = []
        # What the transfer code said each image-data body was (notes.note_data), by the
        # id of its carrier; the carrier is kept too, so that the id is not reused.
        self.data_notes: dict[int, tuple[object, str]] = {}

    def hold(self, value: str | None, is_token: bool = False) -> None:
        if value:
            self.held.append((value, is_token))

    # -- recording (cheap: references only) ---------------------------------------------------

    def note(self, carrier: object, summary: str) -> None:
        """notes.note_data's listener: what an image-data body (an upload's request body,
        a download's response) was, shown instead of the body."""
        self.data_notes[id(carrier)] = (carrier, summary)

    def noted(self, carrier: object) -> str | None:
        found = self.data_notes.get(id(carrier))
        return found[1] if found is not None and found[0] is carrier else None

    def mark(self, session: requests.Session, cloud: str) -> None:
        """Name the cloud of an attached session: every request it sends from now on is
        marked with it (image copy and sync, several clouds at once). A run that marks
        nothing writes the trace it always did."""
        session.imgcli_cloud = cloud  # type: ignore[attr-defined]

    def tag(self, session: requests.Session, request: requests.PreparedRequest) -> None:
        """Mark the exchange of `request` with the session's cloud, if it has one."""
        cloud = getattr(session, "imgcli_cloud", None)
        if cloud is None:
            return
        for ex in reversed(self.exchanges):  # other threads may be appending meanwhile
            if ex.request is request:
                ex.cloud = cloud
                return

    def attach(self, session: requests.Session) -> None:
        """Hook into a ``requests.Session`` (for keystoneauth: its ``.session``).

        Appends ``record`` to ``session.hooks["response"]`` and wraps ``session.send`` on the
        instance so a request that gets no response (connection refused, timeout) is recorded
        through ``record_failure`` before the exception propagates unchanged; listens for
        the transfer code's image-data notes (``notes.note_data``).
        """
        notes.listen(self.note)
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
                self.tag(session, getattr(exc, "request", None) or request)
                raise
            # Per-request hooks replace the session's in requests' merge_hooks(); recording
            # here too (deduplicated) keeps such requests in the trace.
            self.record(response, stream=kwargs.get("stream", session.stream))
            self.tag(session, response.request)
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
            self.exchanges.append(Exchange(hop.request, hop, now - elapsed, elapsed, stream))

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
        self.exchanges.append(Exchange(request, None, begun, now - begun, False, exc))

    # -- rendering ------------------------------------------------------------------------------

    def write(self, path: str, output: str = "", error: str | None = None) -> None:
        """Write the trace: HAR 1.2 JSON when ``path`` ends in ``.har``, else Markdown.

        The file is mode 0600 and ours (safefile.write_private); a device or a FIFO such
        as /dev/stdout is written straight through."""
        if path.lower().endswith(".har"):
            text = self.render_har(output, error)
        else:
            text = self.render_markdown(output, error)
        # A trace holds request bodies: a new 0600 file created beside the path and
        # renamed over it, never one that another user made or linked there.
        write_private(path, text.encode("utf-8"))

    def _prepare(self) -> tuple[list[View], Secrets, list[str]]:
        secrets = Secrets()
        for value, is_token in self.held:
            secrets.add(value, digest(value) if is_token else REDACTED)
        argv = redact_argv(self.argv, secrets)
        views = []
        for ex in self.exchanges:
            req = ex.request
            req_headers = [
                (k, redact_header(k, as_text(v), secrets)) for k, v in (req.headers or {}).items()
            ]
            view = View(
                number=0,  # set below, once failures are known
                method=(req.method or "GET").upper(),
                url=redact_url(req.url or "", secrets),
                started=ex.started,
                elapsed_ms=round(ex.elapsed * 1000, 3),
                http_version="HTTP/1.1",
                req_headers=req_headers,
                req_body=data_body(self.noted(req.body),
                                   header_value(req_headers, "content-type"))
                or parse_body(req.body, header_value(req_headers, "content-type"), secrets),
            )
            view.cloud = ex.cloud
            resp = ex.response
            if resp is not None:
                view.status = resp.status_code
                view.reason = resp.reason or phrase(resp.status_code)
                view.http_version = _HTTP_VERSIONS.get(
                    getattr(resp.raw, "version", 11), "HTTP/1.1"
                )
                view.resp_headers = [
                    (k, redact_header(k, as_text(v), secrets)) for k, v in resp.headers.items()
                ]
                ctype = header_value(view.resp_headers, "content-type")
                # requests' private cache of the body: bytes once loaded, False while a
                # stream is unread (reading it here would steal it from the caller).
                content = getattr(resp, "_content", False)
                summary = data_body(self.noted(resp), ctype)
                if summary is not None:
                    view.resp_body = summary
                elif isinstance(content, bytes) or content is None:
                    view.resp_body = parse_body(content, ctype, secrets)
                else:
                    note = (
                        "<streamed body, not read by the caller, not captured>"
                        if ex.stream
                        else "<body not received>"
                    )
                    view.resp_body = Body(note, "note", ctype.split(";")[0], -1)
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
        attribute(views)
        return views, secrets, argv

    def render_markdown(self, output: str = "", error: str | None = None) -> str:
        return markdown.render(*self._prepare(), self.created, output, error)

    def render_har(self, output: str = "", error: str | None = None) -> str:
        return har.render(*self._prepare(), self.created, output, error)
