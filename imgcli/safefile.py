"""Files imgcli writes under names it chose, in folders other users may write too.

In a sticky folder anyone may write (/tmp), another user can plant a symbolic link, a
hard link, a FIFO or a file of theirs under a name imgcli is about to use. So:

- what imgcli creates is created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW), mode 0600,
  under a fresh name beside the file it stands for, then renamed over it (`create`,
  `create_unique`, `replace_with`, `write_private`);
- a file it finds under one of its names is used only when it is a regular file of ours
  alone (`open_own`): anything else there is left as it is, never written or removed;
- a path is followed the way Linux's fs.protected_symlinks follows it (`resolve`): in a
  shared folder, not through a link, nor onto an entry, that another user owns.

Imports: nothing of imgcli.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

CREATE = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
MAX_LINKS = 40  # Linux's own limit on links followed in one path


class Untrusted(Exception):
    """A file under one of our names that is not ours alone to use; str(): the reason."""


@dataclass(frozen=True)
class Planted:
    """An entry another user owns in a shared folder, met while resolving a path."""

    path: str
    uid: int
    link: bool

    def __str__(self) -> str:
        what = "a symbolic link" if self.link else "an entry"
        return (f"{self.path} is {what} owned by uid {self.uid}, not you, in the shared "
                f"folder {os.path.dirname(self.path)}")


def create(path: str) -> int:
    """A new, empty file only we may read or write, as an fd open for reading and writing.

    FileExistsError when anything at all has the name: a file, a FIFO, even a dangling
    link (O_EXCL|O_NOFOLLOW), so nothing planted there is ever opened."""
    return os.open(path, CREATE, 0o600)


def create_unique(directory: str, prefix: str, suffix: str) -> tuple[int, str]:
    """create() under `prefix` + 8 random hex digits + `suffix` in `directory`: (fd, path).
    Another user may take names (they are in a shared folder), so a taken one is skipped."""
    for _ in range(100):
        path = os.path.join(directory, f"{prefix}{os.urandom(4).hex()}{suffix}")
        try:
            return create(path), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"no free name like {prefix}*{suffix}", directory)


def replace_with(path: str, data: bytes) -> None:
    """Put `data` at `path` atomically: a create_unique() file beside it, renamed over it.

    The rename replaces whatever has the name (a link, not its target) and the file
    keeps its owner (us) and mode 0600. No fsync: for a trace or a cache entry a crash
    costs the file, never a torn one over an intact one."""
    directory, name = os.path.split(path)
    fd, temp = create_unique(directory or ".", f".{name}.", ".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        remove(temp)
        raise


def write_private(path: str, data: bytes) -> None:
    """Write a file only we may read at a path the user named (a trace).

    The path's own links are followed (resolve()) and what they lead to is replaced; a
    link or an entry another user planted in a shared folder is replaced itself, its
    target untouched. A device or a FIFO (/dev/stdout, /dev/null) is written straight
    through: there is no file to replace."""
    final, planted = resolve(path)
    if planted is None and is_stream(path):
        fd = os.open(path, os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC)  # no O_CREAT: it exists
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return
    replace_with(final, data)


def is_stream(path: str) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def open_own(path: str, flags: int, forbidden: int = 0o022) -> int:
    """Open a file we left under one of our names, only if it is still ours alone.

    FileNotFoundError when nothing has the name; Untrusted (why) for a link (O_NOFOLLOW),
    anything but a regular file (O_NONBLOCK: a FIFO cannot make us wait), a file of
    another user, one with other names (a hard link: writing it writes another file), or
    one whose mode has any `forbidden` bit (0o022: others could have written it)."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise Untrusted(refusal(exc)) from None
    reason = doubt(os.fstat(fd), forbidden)
    if reason is not None:
        os.close(fd)
        raise Untrusted(reason)
    os.set_blocking(fd, True)
    return fd


def refusal(exc: OSError) -> str:
    if exc.errno in (errno.ELOOP, errno.EMLINK):  # O_NOFOLLOW met a link (Linux; BSD)
        return "a symbolic link"
    if exc.errno == errno.EISDIR:
        return "a directory"
    return (exc.strerror or str(exc)).lower()


def doubt(info: os.stat_result, forbidden: int) -> str | None:
    """Why the file `info` describes is not ours alone, or None."""
    if not stat.S_ISREG(info.st_mode):
        return f"{kind(info.st_mode)}, not a regular file"
    if info.st_uid != os.geteuid():
        return f"owned by uid {info.st_uid}, not you"
    if info.st_nlink > 1:  # 0 is fine: removed since we opened it, shared with nothing
        return f"it has {info.st_nlink} names (hard links): writing it writes another file"
    if info.st_mode & forbidden:
        return f"its mode {stat.S_IMODE(info.st_mode):04o} lets others change it"
    return None


def kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file"


def resolve(path: str) -> tuple[str, Planted | None]:
    """os.path.realpath(path), walked one entry at a time the way Linux's
    fs.protected_symlinks walks it: a link that another user planted in a shared folder
    is not followed, and the entry the path ends at must not be such a one either.

    Returns (the real path, None), or (the planted entry's path, what it is) at the first
    one. A missing entry ends nothing: the rest is joined as realpath joins it."""
    current = "/" if path.startswith("/") else os.getcwd()
    pending = path.split("/")
    links = 0
    while pending:
        name = pending.pop(0)
        if name in ("", "."):
            continue
        if name == "..":
            current = os.path.dirname(current)  # current is real: its parent is too
            continue
        here = os.path.join(current, name)
        try:
            info = os.lstat(here)
        except OSError:
            current = here
            continue
        link = stat.S_ISLNK(info.st_mode)
        if (link or not pending) and planted(info, current):
            return here, Planted(here, info.st_uid, link)
        if not link or links == MAX_LINKS:
            current = here
            continue
        links += 1
        target = os.readlink(here)
        pending[:0] = target.split("/")
        if target.startswith("/"):
            current = "/"
    return current, None


def planted(info: os.stat_result, directory: str) -> bool:
    """Linux's rule for links (and, with protected_regular/_fifos, files and FIFOs): in a
    sticky folder anyone may write, an entry is trusted when it is ours or the folder
    owner's; anyone else's may have been put there to catch us."""
    if info.st_uid == os.geteuid():
        return False
    try:
        folder = os.stat(directory)
    except OSError:
        return False
    shared = folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH
    return bool(shared) and info.st_uid != folder.st_uid


def remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
