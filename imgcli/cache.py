"""The on-disk token and endpoint cache: one small JSON file per set of credentials.

A file holds keystoneauth's auth state (token, expiry, catalog) and the Glance v2 root
found by discovery, so a warm run makes one request. Files are named by a hash that
includes the secret (keystoneauth's get_cache_id()), so other credentials never match.
The token inside is a secret: the directory is 0700, files 0600 from the moment they
exist, and anything not owned by us or not parseable is ignored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keystoneauth1.plugin import BaseAuthPlugin

    from imgcli.config import Settings

LOG = logging.getLogger(__name__)
FORMAT = 1


class TokenCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TokenCache:
        base = env.get("XDG_CACHE_HOME") or os.path.join(
            env.get("HOME") or os.path.expanduser("~"), ".cache")
        return cls(Path(base) / "imgcli")

    def key(self, auth: BaseAuthPlugin, settings: Settings) -> str | None:
        auth_id = auth.get_cache_id()
        if auth_id is None:
            return None
        # The endpoint choice is part of what is cached, so it is part of the key.
        parts = [auth_id, settings.interface, settings.region_name or "", str(FORMAT)]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def usable_directory(self) -> bool:
        try:
            info = self.directory.stat()
        except OSError:
            return False
        if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            LOG.warning("not using the token cache: %s is writable by others or not yours "
                        "(chmod 700 it, or run `imgcli cache clear`)", self.directory)
            return False
        return True

    def load(self, key: str) -> dict[str, Any] | None:
        if not self.usable_directory():
            return None
        try:
            fd = os.open(self.path(key), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if info.st_uid != os.getuid() or info.st_mode & 0o077:
                return None  # someone else's file, or readable by others: not trusted
            try:
                entry = json.loads(handle.read())
            except ValueError:
                return None
        if not isinstance(entry, dict) or entry.get("format") != FORMAT \
                or not isinstance(entry.get("auth"), str) \
                or not isinstance(entry.get("image_root"), str):
            return None
        return entry

    def save(self, key: str, entry: dict[str, Any]) -> None:
        """Write atomically: a temp file (0600 from creation) renamed over the old one."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self.usable_directory():
                return
            fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w") as handle:
                    json.dump({**entry, "format": FORMAT}, handle)
                os.replace(temp, self.path(key))
            except BaseException:
                os.unlink(temp)
                raise
        except OSError as exc:
            # A cache that cannot be written costs time, not correctness.
            LOG.warning("could not write the token cache in %s: %s", self.directory,
                        exc.strerror or exc)

    def clear(self) -> int:
        removed = 0
        if not self.directory.is_dir():
            return 0
        for path in self.directory.glob("*.json"):
            path.unlink(missing_ok=True)
            removed += 1
        return removed
