"""Another user plants something under a name imgcli is about to use, in a shared sticky
folder (mode 1777, like /tmp): a symbolic link, a hard link, a file of theirs, a FIFO.

Each attack is carried out for real: a forked child that became `nobody` plants the
thing, then root runs imgcli in-process against the requests-mock Glance. imgcli must
leave the user's files and the planted thing exactly as they were, and what it writes
must be a new file of its own: `image save`'s partial file and destination, the
`--trace` file and the token cache."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SEED_ENV
from tests.unit.fake_image_data import DataGlance, install_data
from tests.unit.nobody import NOBODY, as_nobody

DATA = bytes(range(256)) * 9000 + b"tail"  # 2.2 MiB: three blocks, the last one short
MINE = b"the user's own file, which no download may touch\n" * 100

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root, to act as nobody")


# -- the attacker and the folders ---------------------------------------------------------


def plant(action: Callable[[], object]) -> None:
    outcome = as_nobody(action)
    assert outcome == "", f"nobody could not plant it: {outcome}"


@pytest.fixture
def shared() -> Iterator[Path]:
    """A sticky folder everyone may write, as /tmp (pytest's tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="imgcli-shared-"))
    path.chmod(0o1777)
    yield path
    shutil.rmtree(path)


@pytest.fixture
def home() -> Iterator[Path]:
    """A folder of the user's, which `nobody` may enter and read but not write, on the
    same filesystem as `shared` (a hard link cannot cross filesystems)."""
    path = Path(tempfile.mkdtemp(prefix="imgcli-home-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


@pytest.fixture
def mine(home: Path) -> Path:
    path = home / "thesis.txt"
    path.write_bytes(MINE)
    path.chmod(0o644)
    return path


@pytest.fixture
def glance(seed_cloud: Any) -> DataGlance:
    return install_data(seed_cloud.mock, seed_cloud.images)


def hard_link(target: Path, link: Path) -> str:
    """Give the user's file a second name in the shared folder, as `nobody`.

    Linux with fs.protected_hardlinks=1 (systemd's default, this machine's) lets nobody
    link only files they may read and write; with 0 (the kernel's own default) and on the
    BSDs and macOS they may link any file they can reach. Where the kernel refuses, root
    makes the very same entry on the attacker's behalf (a hard link has no owner of its
    own: the result is the same as theirs). Returns who made it."""
    if as_nobody(lambda: os.link(target, link)) == "":
        return "nobody"
    os.link(target, link)
    return "root, as protected_hardlinks refused nobody"


def fingerprint(path: Path) -> tuple[int, int, int, bytes | str | None]:
    """What must not change about a planted entry: inode, type and owner, and its bytes
    (a file) or its target (a link)."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        body: bytes | str | None = os.readlink(path)
    elif stat.S_ISREG(info.st_mode):
        body = path.read_bytes()
    else:
        body = None
    return info.st_ino, stat.S_IFMT(info.st_mode), info.st_uid, body


def umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def assert_saved_by_us(dest: Path) -> None:
    """The verified image, a new file of the user's that no one else may write."""
    info = os.lstat(dest)
    assert stat.S_ISREG(info.st_mode) and info.st_nlink == 1
    assert info.st_uid == os.geteuid() and info.st_gid == os.getegid()
    assert stat.S_IMODE(info.st_mode) == 0o666 & ~umask()
    assert hashlib.sha512(dest.read_bytes()).hexdigest() == hashlib.sha512(DATA).hexdigest()


# -- image save: the partial file ---------------------------------------------------------


def planted_symlink(part: Path, mine: Path) -> str:
    plant(lambda: os.symlink(mine, part))
    return "a symbolic link"


def planted_hard_link(part: Path, mine: Path) -> str:
    hard_link(mine, part)
    return "it has 2 names (hard links): writing it writes another file"


def planted_file(part: Path, mine: Path) -> str:
    """nobody's own file, 0666, holding the image's true first MiB: old imgcli adopted it
    and renamed it into place, so the verified image was nobody's to rewrite."""
    def make() -> None:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        os.write(fd, DATA[:1 << 20])
        os.fchmod(fd, 0o666)  # past the umask
        os.close(fd)
    plant(make)
    return f"owned by uid {NOBODY}, not you"


def planted_fifo(part: Path, mine: Path) -> str:
    plant(lambda: os.mkfifo(part, 0o666))
    return "a FIFO, not a regular file"


def own_but_open_to_all(part: Path, mine: Path) -> str:
    """The user's own file, but one anyone could have written into (mode 0666)."""
    part.write_bytes(DATA[:1 << 20])
    part.chmod(0o666)
    return "its mode 0666 lets others change it"


@pytest.mark.parametrize("make", [planted_symlink, planted_hard_link, planted_file,
                                  planted_fifo, own_but_open_to_all])
def test_a_planted_partial_file_is_left_alone_and_the_save_starts_afresh(
        glance, run, shared, mine, make):
    image = glance.add(DATA)
    dest = shared / "out.img"
    part = shared / f".out.img.{image['id']}.part"
    reason = make(part, mine)
    before = fingerprint(part)

    result = run(["image", "save", image["id"], "--file", str(dest)])

    assert result.code == 0, result.err
    assert result.err == f"ignoring {part}: {reason}; downloading afresh\n"
    assert "Range" not in glance.mock.last_request.headers  # nothing of it was used
    assert mine.read_bytes() == MINE  # the user's file, byte for byte
    assert fingerprint(part) == before  # the planted thing: there, untouched
    assert_saved_by_us(dest)
    assert names(shared) == sorted(["out.img", part.name])  # no spare left behind


def test_the_users_own_interrupted_download_resumes(glance, run, shared):
    image = glance.add(DATA)
    dest = shared / "out.img"
    part = shared / f".out.img.{image['id']}.part"
    glance.cut_after = 1_200_000
    assert run(["image", "save", image["id"], "--file", str(dest)]).code == 1
    kept = part.read_bytes()
    assert 0 < len(kept) < len(DATA) and DATA.startswith(kept)
    assert stat.S_IMODE(part.stat().st_mode) == 0o600  # private while partial

    glance.cut_after = None
    result = run(["image", "save", image["id"], "--file", str(dest)])
    assert result.code == 0, result.err
    assert glance.mock.last_request.headers["Range"] == f"bytes={len(kept)}-"
    assert result.err == f"resumed from byte {len(kept)} of {len(DATA)} (a partial file " \
                         "an earlier save kept)\n"
    assert_saved_by_us(dest)
    assert names(shared) == ["out.img"]


def test_a_download_that_started_in_a_spare_resumes_from_it(glance, run, shared, mine):
    """nobody holds the partial file's name: the download goes to a spare name, and the
    next save finds that spare, not nobody's file, and resumes it."""
    image = glance.add(DATA)
    dest = shared / "out.img"
    part = shared / f".out.img.{image['id']}.part"
    planted_symlink(part, mine)
    glance.cut_after = 1_200_000
    first = run(["image", "save", image["id"], "--file", str(dest)])
    assert first.code == 1
    [spare] = [p for p in shared.iterdir() if p.name not in (part.name,)]
    assert spare.name.startswith(f".out.img.{image['id']}.") and spare.name.endswith(".part")
    assert spare.name in first.err  # "run the same command again to resume from <spare>"
    kept = spare.read_bytes()
    assert stat.S_IMODE(spare.stat().st_mode) == 0o600 and spare.stat().st_uid == 0

    glance.cut_after = None
    again = run(["image", "save", image["id"], "--file", str(dest)])
    assert again.code == 0, again.err
    assert glance.mock.last_request.headers["Range"] == f"bytes={len(kept)}-"
    assert again.err.startswith(f"resumed from byte {len(kept)} ")
    assert mine.read_bytes() == MINE and os.readlink(part) == str(mine)
    assert_saved_by_us(dest)
    assert names(shared) == sorted(["out.img", part.name])


# -- image save: the destination ----------------------------------------------------------


def test_a_symlink_planted_at_the_destination_is_refused(glance, run, shared, mine):
    """Old imgcli resolved it and renamed the image over the link's target: the user's
    file. Linux's fs.protected_symlinks=1 would refuse to follow it; imgcli does too."""
    image = glance.add(DATA)
    dest = shared / "out.img"
    plant(lambda: os.symlink(mine, dest))
    result = run(["image", "save", image["id"], "--file", str(dest)])
    assert result.code == 2
    assert result.err == (f"--file {dest}: {dest} is a symbolic link owned by uid {NOBODY}, "
                          f"not you, in the shared folder {shared}; refusing to follow "
                          "it\n")
    assert glance.sent == []  # refused before any request
    assert mine.read_bytes() == MINE and os.readlink(dest) == str(mine)
    assert names(shared) == ["out.img"]


def test_a_symlink_planted_on_the_way_to_the_destination_is_refused(
        glance, run, shared, home, mine):
    image = glance.add(DATA)
    folder = shared / "images"
    plant(lambda: os.symlink(home, folder))  # --file /tmp/images/thesis.txt is the user's
    result = run(["image", "save", image["id"], "--file", str(folder / "thesis.txt")])
    assert result.code == 2 and "refusing to follow it" in result.err
    assert result.err.count("\n") == 1
    assert mine.read_bytes() == MINE and names(home) == ["thesis.txt"]


@pytest.mark.parametrize("kind", ["fifo", "file"])
def test_a_fifo_or_file_planted_at_the_destination_is_refused(glance, run, shared, kind):
    """A FIFO of nobody's would be handed the image; a file of nobody's is not ours to
    replace (Linux's protected_fifos/protected_regular refuse to open them too)."""
    image = glance.add(DATA)
    dest = shared / "out.img"
    plant((lambda: os.mkfifo(dest, 0o666)) if kind == "fifo"
          else (lambda: dest.write_bytes(b"nobody's")))
    before = fingerprint(dest)
    with listening(dest if kind == "fifo" else None) as heard:
        result = run(["image", "save", image["id"], "--file", str(dest)])
    assert result.code == 2
    assert result.err == (f"--file {dest}: {dest} is an entry owned by uid {NOBODY}, not "
                          f"you, in the shared folder {shared}; refusing to use it\n")
    assert heard == [b""]  # nobody's FIFO got none of the image (old imgcli wrote it there)
    assert fingerprint(dest) == before and names(shared) == ["out.img"]


@contextlib.contextmanager
def listening(fifo: Path | None) -> Iterator[list[bytes]]:
    """nobody, reading the FIFO: what arrives there is yielded, once the block ends. The
    reader also keeps a writer from blocking forever should imgcli ever open it."""
    heard: list[bytes] = []
    if fifo is None:
        heard.append(b"")
        yield heard
        return
    reader = threading.Thread(target=lambda: heard.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        yield heard
    finally:
        with contextlib.suppress(OSError):  # ENXIO: the reader is done already
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # end its wait: EOF
        reader.join(10)


def test_the_users_own_link_is_still_followed(glance, run, shared, home):
    """The rule is about other users' links: one of the user's own leads where it says."""
    image = glance.add(DATA)
    target = home / "image.raw"
    link = shared / "latest.raw"
    link.symlink_to(target)
    assert run(["image", "save", image["id"], "--file", str(link)]).code == 0
    assert link.is_symlink() and target.read_bytes() == DATA


def test_a_replaced_file_lends_its_mode_only_when_it_is_ours(glance, run, home):
    image = glance.add(DATA)
    ours, theirs = home / "ours.img", home / "theirs.img"
    for path in (ours, theirs):
        path.write_bytes(b"old")
    ours.chmod(0o640)
    theirs.chmod(0o666)
    os.chown(theirs, NOBODY, NOBODY)
    for path in (ours, theirs):
        assert run(["image", "save", image["id"], "--file", str(path)]).code == 0
    assert stat.S_IMODE(ours.stat().st_mode) == 0o640
    assert stat.S_IMODE(theirs.stat().st_mode) == 0o666 & ~umask()
    assert theirs.stat().st_uid == 0 and theirs.read_bytes() == DATA


# -- --trace ------------------------------------------------------------------------------


def assert_trace_is_ours(path: Path) -> None:
    info = os.lstat(path)
    assert stat.S_ISREG(info.st_mode) and info.st_nlink == 1
    assert info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) == 0o600
    assert "imgcli --trace" in path.read_text()


def test_a_symlink_planted_at_the_trace_path_is_replaced_not_followed(
        seed_cloud, run, shared, mine):
    trace = shared / "run.md"
    plant(lambda: os.symlink(mine, trace))
    assert run(["--trace", str(trace), "image", "list"]).code == 0
    assert mine.read_bytes() == MINE
    assert_trace_is_ours(trace)
    assert names(shared) == ["run.md"]


def test_a_trace_file_nobody_made_beforehand_is_replaced_by_ours(seed_cloud, run, shared):
    """Old imgcli wrote into it: nobody kept the file, and read every request body."""
    trace = shared / "run.har"

    def make() -> None:
        trace.write_text("nobody's")
        trace.chmod(0o666)
    plant(make)
    before = os.lstat(trace).st_ino
    assert run(["--trace", str(trace), "image", "list"]).code == 0
    assert os.lstat(trace).st_ino != before
    info = os.lstat(trace)
    assert info.st_uid == 0 and stat.S_IMODE(info.st_mode) == 0o600
    assert '"log"' in trace.read_text()


def test_a_trace_is_private_wherever_it_is_written(seed_cloud, run, tmp_path):
    trace = tmp_path / "run.md"
    trace.write_text("an older trace")
    trace.chmod(0o644)
    assert run(["--trace", str(trace), "image", "list"]).code == 0
    assert_trace_is_ours(trace)
    assert names(tmp_path) == sorted(["cache", "run.md"])  # no temporary file left


def test_a_trace_to_a_device_or_fifo_is_written_straight_through(tmp_path):
    """/dev/null stays a device (a rename over it would replace it, as root), and a
    FIFO of the user's gets the bytes."""
    from imgcli import safefile

    safefile.write_private(os.devnull, b"trace")
    assert stat.S_ISCHR(os.lstat(os.devnull).st_mode)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    safefile.write_private(str(fifo), b"trace")
    reader.join(5)
    assert got == [b"trace"] and stat.S_ISFIFO(os.lstat(fifo).st_mode)


# -- the token cache ----------------------------------------------------------------------


def cache_env(base: Path) -> dict[str, str]:
    return {**SEED_ENV, "XDG_CACHE_HOME": str(base)}


def test_a_cache_folder_planted_as_a_symlink_is_not_used_nor_cleared(
        seed_cloud, run, shared, home):
    """nobody points <cache>/imgcli at a folder of the user's: old imgcli wrote tokens
    there, and `cache clear` removed that folder's .json files."""
    kept = home / "settings.json"
    kept.write_text("{}")
    plant(lambda: os.symlink(home, shared / "imgcli"))
    listed = run(["image", "list"], cache_env(shared))
    assert listed.code == 0
    assert listed.err == (f"not using the token cache: {shared / 'imgcli'} is a symbolic "
                          "link (remove it: imgcli makes a private directory there)\n")
    cleared = run(["cache", "clear"], cache_env(shared))
    assert cleared.code == 0 and "removed 0" in cleared.out
    assert names(home) == ["settings.json"] and kept.read_text() == "{}"


def test_a_cache_folder_of_another_user_is_not_used(seed_cloud, run, shared):
    plant(lambda: (shared / "imgcli").mkdir(mode=0o755))
    result = run(["image", "list"], cache_env(shared))
    assert result.code == 0
    assert f"is owned by uid {NOBODY}, not you" in result.err
    assert names(shared / "imgcli") == []


def test_resolve_is_realpath_when_nothing_is_planted(home, monkeypatch):
    """The walk that checks each link ends where os.path.realpath ends, relative and
    absolute links, "..", dangling links, a loop and /proc's own links included."""
    from imgcli.safefile import resolve

    (home / "a" / "b").mkdir(parents=True)
    for name, target in [("rel", "a/b"), ("abs", str(home / "a")), ("a/b/up", "../.."),
                         ("dangling", "nowhere/x"), ("loop1", "loop2"), ("loop2", "loop1")]:
        (home / name).symlink_to(target)
    monkeypatch.chdir(home)
    for path in [f"{home}/rel/f", "rel/f", "abs/b/../f", "rel/../b/f", "a/b/up/a/f",
                 "dangling", "dangling/y", f"{home}//a/./b/", "missing/../a", "loop1",
                 "a/b/up/../x", "/dev/stdout", "/proc/self/fd/0", ".", "..", "/"]:
        assert resolve(path) == (os.path.realpath(path), None), path


def test_the_cache_folder_is_made_private(seed_cloud, run, shared):
    assert run(["image", "list"], cache_env(shared)).code == 0
    folder = shared / "imgcli"
    info = os.lstat(folder)
    assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700
    [entry] = folder.iterdir()
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600 and entry.stat().st_uid == 0


@pytest.mark.parametrize("kind", ["theirs", "symlink"])
def test_a_cache_entry_not_ours_alone_is_not_read(seed_cloud, run, shared, home, kind):
    assert run(["image", "list"], cache_env(shared)).code == 0
    [entry] = (shared / "imgcli").iterdir()
    if kind == "theirs":
        os.chown(entry, NOBODY, NOBODY)
    else:
        real = home / "entry.json"
        os.replace(entry, real)
        entry.symlink_to(real)
    seed_cloud.mock.reset_mock()
    assert run(["image", "list"], cache_env(shared)).code == 0
    assert len(seed_cloud.mock.request_history) == 4  # logged in again: not trusted
    info = os.lstat(entry)
    assert stat.S_ISREG(info.st_mode) and info.st_uid == 0  # replaced by one of ours
