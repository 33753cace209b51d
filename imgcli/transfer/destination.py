"""Where downloaded image data goes: checked before any request, and the partial file
kept beside it for resuming.

The path is resolved as Linux's fs.protected_symlinks would (imgcli.safefile.resolve):
in a shared sticky folder such as /tmp, a link or a file another user planted at (or on
the way to) the destination is refused, so imgcli never replaces what such a link points
to, nor hands image data to a FIFO someone else made.

Imports: imgcli.errors, imgcli.safefile, imgcli.terminal.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from typing import Any

from imgcli.errors import UsageError
from imgcli.safefile import resolve
from imgcli.terminal import is_terminal

TERMINAL = "refusing to write image data to a terminal; use --file PATH or redirect stdout"


def check_destination(path: str | None, stdout: Any = None) -> str | None:
    """Refuse, before any request, a destination that cannot be written; return the real
    path it leads to (None for stdout).

    path None (or "-") is stdout, which must not be a terminal. Otherwise the file's
    directory must exist and be writable (the data is written beside it, then renamed),
    the path must not be a directory, and an existing file must be writable.
    """
    if path is None or path == "-":
        if is_terminal(sys.stdout if stdout is None else stdout):
            raise UsageError(TERMINAL)
        return None
    target = destination_path(path)
    if os.path.isdir(target):
        raise UsageError(f"--file {path} is a directory; give the path of the file to write")
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        raise UsageError(f"--file {path}: the directory {parent} does not exist")
    if os.path.exists(target):
        if not os.access(target, os.W_OK):
            raise UsageError(f"--file {path} is not writable; choose another path")
        if not stat.S_ISREG(os.stat(target).st_mode):
            if is_terminal_device(target):  # --file /dev/tty, or /dev/stdout at a terminal
                raise UsageError(TERMINAL)
            return target  # /dev/null, a FIFO: written straight through, nothing beside
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"--file {path}: the directory {parent} is not writable")
    return target


def replaceable(path: str) -> bool:
    """Whether the destination is a file to replace by renaming (it does not exist, or is
    a regular file or a link: a rename replaces the link, not its target), rather than
    a device or a FIFO to write straight through."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:  # nothing there (yet): a new file
        return True
    return stat.S_ISREG(mode) or stat.S_ISLNK(mode)


def destination_path(path: str) -> str:
    """The real path that `path` leads to, refused (exit 2, nothing written) when a link on
    the way, or the entry at the end, is another user's in a shared folder."""
    target, planted = resolve(path)
    if planted is not None:
        raise UsageError(f"--file {path}: {planted}; refusing to "
                         f"{'follow' if planted.link else 'use'} it")
    return target


def final_mode(target: str) -> int:
    """The mode the saved file gets: that of the file it replaces when that is a regular
    file of ours (lstat: a link is not followed; set-id bits dropped), else what a new
    file gets under the umask. Another user's file lends nothing: its 0666 would let
    them rewrite the verified image."""
    try:
        info = os.lstat(target)
    except OSError:
        info = None
    if info is not None and stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid():
        return stat.S_IMODE(info.st_mode) & 0o777
    mask = os.umask(0o077)  # read it the only way there is; 0o077 errs on the private side
    os.umask(mask)
    return 0o666 & ~mask


def is_terminal_device(path: str) -> bool:
    if not stat.S_ISCHR(os.stat(path).st_mode):
        return False
    try:  # O_NONBLOCK: a device must not make us wait; O_NOCTTY: nor become our terminal
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return False
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


def part_path(destination: str, image_id: str) -> str:
    """The partial file that ties an interrupted download to its image and destination.

    This is the name a download starts in when it is free; when something else has it,
    a download starts in a spare one, `part_spares()` below."""
    target = os.path.realpath(destination)
    safe_id = re.sub(r"[^A-Za-z0-9._-]", "_", image_id)
    return os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.{safe_id}.part")


SPARE = r"\.[0-9a-f]{8}\.part"  # what safefile.create_unique() puts after the stem


def part_spares(part: str) -> list[str]:
    """The spare partial files of the same download: `.<name>.<id>.<8 hex>.part`, made
    when something not ours alone had the name part_path() gives. One readdir, done only
    when that name holds no partial of ours."""
    directory, name = os.path.split(part)
    spare = re.compile(re.escape(name.removesuffix(".part")) + SPARE)
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return sorted(os.path.join(directory, n) for n in names if spare.fullmatch(n))


def start_writeback(fd: int, start: int, length: int) -> None:
    """Have the kernel write these bytes to disk now, while the download goes on, so the
    fsync before the rename has little left to wait for (see
    docs/performance.md#the-early-writeback-before-the-fsync). Linux's POSIX_FADV_DONTNEED
    starts the writeback of dirty pages and drops the clean ones, so a large image also
    does not crowd the page cache. Best effort: a no-op where posix_fadvise is missing."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        try:
            advise(fd, start, length, os.POSIX_FADV_DONTNEED)
        except OSError:
            pass


def sync_directory(path: str) -> None:
    """Make the rename itself durable; best effort (some filesystems refuse a directory fd)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
