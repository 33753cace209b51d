"""What the imgcli.transfer tests share: the image's bytes and what Glance says of them, a GET
of the loopback LoopbackGlance's data (the `server` fixture, conftest.py), a pipe filled by a
thread, a stream that says it is a terminal."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path

import requests

from imgcli.transfer import Expected

DATA = bytes(range(256)) * (10 * 1024 + 7)  # 2.5 MiB and a bit: three blocks, the last short
IMAGE_ID = "5f0e7c2a-1b7c-4f5e-9a3d-2c8b9e0d1f42"


def sha512(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


def expected(data: bytes = DATA) -> Expected:
    return Expected.from_image({"os_hash_algo": "sha512", "os_hash_value": sha512(data),
                                "checksum": hashlib.md5(data).hexdigest(), "size": len(data)})


def get(url: str, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.get(url + "file", headers=headers or {}, stream=True, timeout=10)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


def pipe_with(data: bytes) -> io.FileIO:
    """The read end of a pipe that a thread fills with `data` and then closes."""
    read_fd, write_fd = os.pipe()

    def fill() -> None:
        with open(write_fd, "wb") as writer:
            writer.write(data)

    threading.Thread(target=fill, daemon=True).start()
    return open(read_fd, "rb", buffering=0)


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True
