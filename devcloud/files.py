"""The files server's content: $DEVCLOUD_HOME/www, served at files_url().

It is the source for web-download imports (Glance allows this host and port
only, see config.py). The server is Python's own `http.server` (processes.py).
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path

from devcloud.common import dirs, files_url


def _path(name: str) -> Path:
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"not a plain file name: {name!r}")
    return dirs()["www"] / name


def publish(name: str, data: bytes) -> str:
    """Serve data as `name`; returns its URL (for web-download's `uri`)."""
    path = _path(name)
    # Write then rename: a concurrent GET sees the old file or the whole new one.
    tmp = path.with_name(f".{name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return f"{files_url()}/{urllib.parse.quote(name)}"


def unpublish(name: str) -> None:
    _path(name).unlink(missing_ok=True)
