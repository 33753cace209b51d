"""The HTTP plumbing every fake server here shares: an HTTP/1.1 handler that keeps its access
log off the test's stderr and reads a body sized or chunked, and a threaded server started on
a loopback address in a daemon thread.

Imports: the standard library only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

READ_BLOCK = 64 << 10  # bytes per read of a body: a fault can fire between two


class QuietHandler(BaseHTTPRequestHandler):
    """Speaks HTTP/1.1 (keep-alive, `Expect: 100-continue` as curl -T sends it) and logs
    nothing."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def body_blocks(self) -> Iterator[bytes]:
        """The request body as it arrives, chunked or sized; ends early if the client goes."""
        if self.headers.get("Transfer-Encoding") == "chunked":
            while size := int(self.rfile.readline().split(b";")[0], 16):
                yield self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return
        left = int(self.headers.get("Content-Length") or 0)
        while left:
            block = self.rfile.read(min(left, READ_BLOCK))
            if not block:
                return
            left -= len(block)
            yield block

    def read_body(self) -> bytes:
        return b"".join(self.body_blocks())


class LoopbackServer(ThreadingHTTPServer):
    """A threaded server whose handler threads never keep the process alive. `quiet`: a
    client that hangs up mid-body (the point of many tests) prints no traceback."""

    daemon_threads = True
    quiet = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not self.quiet:
            super().handle_error(request, client_address)


def serve(handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", port: int = 0,
          quiet: bool = True, poll: float = 0.05) -> LoopbackServer:
    """`handler` on host:port (0: any free port), serving in a daemon thread from now on;
    end it with stop()."""
    server = LoopbackServer((host, port), handler)
    server.quiet = quiet
    threading.Thread(target=server.serve_forever, args=(poll,), daemon=True).start()
    return server


def stop(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()
