"""The on-disk token and endpoint cache: one small JSON file per set of credentials.

A file holds keystoneauth's auth state (token, expiry, catalog) and the Glance v2 root
found by discovery, so a warm run makes one request. Files are named by a hash that
includes the secret (keystoneauth's get_cache_id()), so other credentials never match.
The token inside is a secret: the directory is 0700, files 0600 from the moment they
exist (imgcli.safefile: created exclusively, then renamed into place), and anything not
ours alone is ignored: a directory that is a symbolic link, another user's or writable by
others; a file that is a link, another user's, readable by others, or not parseable.

Imports: imgcli.config, imgcli.safefile.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imgcli import safefile

if TYPE_CHECKING:
    from keystoneauth1.plugin import BaseAuthPlugin

    from imgcli.config import Settings

LOG = logging.getLogger(__name__)
FORMAT = 1
ENTRY = re.compile(r"[0-9a-f]{64}\.json")  # key(): a sha256, hex


class TokenCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.warned = False  # a run loads and saves: the reason not to is said once

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

    def usable_directory(self, forbidden: int = stat.S_IWGRP | stat.S_IWOTH) -> bool:
        """Whether the directory is a real one of ours (lstat: a link is not followed)
        that no one else may write in; said in one line when it is there and is not."""
        try:
            info = os.lstat(self.directory)
        except OSError:
            return False
        reason = folder_doubt(info, forbidden)
        if reason:
            if not self.warned:
                LOG.warning("not using the token cache: %s %s", self.directory, reason)
            self.warned = True
            return False
        return True

    def load(self, key: str) -> dict[str, Any] | None:
        if not self.usable_directory():
            return None
        try:  # a link, someone else's file, or one readable by others: not trusted
            fd = safefile.open_own(str(self.path(key)), os.O_RDONLY, forbidden=0o077)
        except (OSError, safefile.Untrusted):
            return None
        with os.fdopen(fd, "rb") as handle:
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
        """Write atomically: a new file (0600 from creation) renamed over the old one."""
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self.usable_directory():
                return
            data = json.dumps({**entry, "format": FORMAT}).encode()
            safefile.replace_with(str(self.path(key)), data)
        except OSError as exc:
            # A cache that cannot be written costs time, not correctness.
            LOG.warning("could not write the token cache in %s: %s", self.directory,
                        exc.strerror or exc)

    def clear(self) -> int:
        """Remove our entries. Only in a real directory of ours (through a link it would
        remove the .json files of wherever the link points), and only entry names."""
        removed = 0
        if not self.usable_directory(forbidden=0):
            return 0
        for path in self.directory.iterdir():
            if ENTRY.fullmatch(path.name):
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def folder_doubt(info: os.stat_result, forbidden: int) -> str | None:
    """Why the cache directory `info` describes is not for us to use, with the fix."""
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link (remove it: imgcli makes a private directory there)"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory (remove it: imgcli makes a private one there)"
    if info.st_uid != os.geteuid():
        return f"is owned by uid {info.st_uid}, not you (set XDG_CACHE_HOME, or --no-cache)"
    if info.st_mode & forbidden:
        return "is writable by others (chmod 700 it)"
    return None
