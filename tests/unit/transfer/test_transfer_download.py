"""imgcli.transfer's download against the loopback LoopbackGlance: what lands on disk, what is left
behind when it fails (a flipped byte, a cut body, a full disk, Ctrl-C), and resuming."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakecloud.data import LoopbackGlance
from imgcli.errors import ApiError, ImgcliError, UsageError
from imgcli.transfer import (
    BLOCK,
    Expected,
    Progress,
    describe_data,
    part_path,
    prepare_download,
)
from tests.unit.transfer.common import (
    DATA,
    IMAGE_ID,
    expected,
    get,
    leftovers,
    sha512,
)


def test_good_download_is_renamed_into_place(server: tuple[str, LoopbackGlance],
                                             tmp_path: Path) -> None:
    url, _ = server
    dest = tmp_path / "out.img"
    download = prepare_download(str(dest), IMAGE_ID, expected())
    assert download.headers == {}
    response = get(url, download.headers)
    result = download.save(response)
    assert dest.read_bytes() == DATA
    assert result.verified and result.size == len(DATA) and result.resumed_from == 0
    assert result.hexdigest == sha512(DATA)
    assert leftovers(tmp_path) == []
    assert download.summary(response) == describe_data(  # what --trace is told (notes)
        len(DATA), "application/octet-stream", "sha512", sha512(DATA))


@pytest.mark.parametrize("existing", [b"old content\n", None])
def test_flipped_byte_leaves_destination_as_it_was(server: tuple[str, LoopbackGlance],
                                                   tmp_path: Path,
                                                   existing: bytes | None) -> None:
    url, behaviour = server
    behaviour.data[IMAGE_ID] = DATA[:1000] + bytes([DATA[1000] ^ 1]) + DATA[1001:]
    dest = tmp_path / "out.img"
    if existing is not None:
        dest.write_bytes(existing)
    download = prepare_download(str(dest), IMAGE_ID, expected())
    with pytest.raises(ApiError) as err:
        download.save(get(url))
    state = "is unchanged" if existing is not None else "was not created"
    assert "does not match its hash" in str(err.value) and state in str(err.value)
    assert (dest.read_bytes() if dest.exists() else None) == existing
    assert leftovers(tmp_path) == []


def test_cut_short_keeps_partial_then_resume_completes(server: tuple[str, LoopbackGlance],
                                                       tmp_path: Path) -> None:
    url, behaviour = server
    dest = tmp_path / "out.img"
    dest.write_bytes(b"old")
    behaviour.cut_after = BLOCK + 123
    download = prepare_download(str(dest), IMAGE_ID, expected())
    with pytest.raises(ApiError) as err:
        download.save(get(url))
    part = part_path(str(dest), IMAGE_ID)
    assert "broke off" in str(err.value) and "run the same command again" in str(err.value)
    assert part in str(err.value) and download.kept_partial == part
    assert dest.read_bytes() == b"old"
    # What urllib3 handed over before the connection closed: the whole first block (the
    # 123 bytes after it were still in its buffer when it raised).
    kept = Path(part).read_bytes()
    assert DATA.startswith(kept) and BLOCK <= len(kept) <= BLOCK + 123

    behaviour.cut_after = None
    progress = Progress(None, stream=io.StringIO())
    resumed = prepare_download(str(dest), IMAGE_ID, expected(), progress)
    assert resumed.headers == {"Range": f"bytes={len(kept)}-"}
    result = resumed.save(get(url, resumed.headers))
    assert behaviour.requests[-1]["headers"]["Range"] == f"bytes={len(kept)}-"
    assert result.verified and result.resumed_from == len(kept) and result.size == len(DATA)
    assert progress.done == len(DATA) and progress.skipped == len(kept)
    assert dest.read_bytes() == DATA
    assert leftovers(tmp_path) == []


def test_resumed_partial_is_verified_too(server: tuple[str, LoopbackGlance],
                                         tmp_path: Path) -> None:
    """A kept partial file that was damaged on disk fails the whole-file hash."""
    url, _ = server
    dest = tmp_path / "out.img"
    Path(part_path(str(dest), IMAGE_ID)).write_bytes(b"X" + DATA[1:5000])
    download = prepare_download(str(dest), IMAGE_ID, expected())
    assert download.headers == {"Range": "bytes=5000-"}
    with pytest.raises(ApiError, match="does not match its hash"):
        download.save(get(url, download.headers))
    assert not dest.exists() and leftovers(tmp_path) == []


def test_server_ignoring_range_starts_over(server: tuple[str, LoopbackGlance],
                                           tmp_path: Path) -> None:
    url, behaviour = server
    dest = tmp_path / "out.img"
    Path(part_path(str(dest), IMAGE_ID)).write_bytes(DATA[:5000])
    behaviour.honour_range = False
    download = prepare_download(str(dest), IMAGE_ID, expected())
    assert download.headers == {"Range": "bytes=5000-"}
    result = download.save(get(url, download.headers))
    assert result.verified and result.resumed_from == 0 and result.size == len(DATA)
    assert dest.read_bytes() == DATA and leftovers(tmp_path) == []


@pytest.mark.parametrize("change, words", [
    ({"range_shift": 1}, "the server sent bytes 5001-.* when asked for bytes=5000-"),
    ({"status": 404}, "unexpected 404 Not Found instead of the image data"),
])
def test_wrong_answer_to_range_keeps_partial(server: tuple[str, LoopbackGlance], tmp_path: Path,
                                             change: dict[str, Any], words: str) -> None:
    url, behaviour = server
    dest = tmp_path / "out.img"
    part = Path(part_path(str(dest), IMAGE_ID))
    part.write_bytes(DATA[:5000])
    for key, value in change.items():
        setattr(behaviour, key, value)
    download = prepare_download(str(dest), IMAGE_ID, expected())
    with pytest.raises(ApiError, match=words):
        download.save(get(url, download.headers))
    assert part.read_bytes() == DATA[:5000] and download.kept_partial == str(part)
    assert not dest.exists()


def test_a_second_save_of_the_same_image_is_refused_while_one_runs(
        tmp_path: Path) -> None:
    dest = tmp_path / "out.img"
    Path(part_path(str(dest), IMAGE_ID)).write_bytes(DATA[:10])
    first = prepare_download(str(dest), IMAGE_ID, expected())
    with pytest.raises(UsageError, match="another imgcli is already saving"):
        prepare_download(str(dest), IMAGE_ID, expected())
    first.fail(keep=True)
    assert prepare_download(str(dest), IMAGE_ID, expected()).offset == 10


@contextlib.contextmanager
def tiny_filesystem(path: Path, size: str) -> Iterator[bool]:
    """A real tmpfs of `size` when this process may mount one (root in a container usually
    may); yields False when it may not."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(path)], capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(path)], check=False)


def test_full_disk_leaves_destination_and_no_partial(server: tuple[str, LoopbackGlance],
                                                     tmp_path: Path) -> None:
    url, _ = server
    small = tmp_path / "small"
    with tiny_filesystem(small, "1m") as mounted:
        if not mounted:
            pytest.skip("cannot mount a tmpfs here (needs root); test_full_disk_simulated "
                        "covers the same path with a write that fails")
        dest = small / "out.img"
        dest.write_bytes(b"old")
        download = prepare_download(str(dest), IMAGE_ID, expected())
        with pytest.raises(ImgcliError) as err:
            download.save(get(url))
        message = str(err.value)
        assert "no space left" in message and "is unchanged" in message, message
        assert dest.read_bytes() == b"old" and leftovers(small) == []


def test_full_disk_simulated(server: tuple[str, LoopbackGlance], tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The same as above without a tmpfs: the partial file's second write fails ENOSPC."""
    from imgcli.transfer.download import Download

    url, _ = server
    real_open = Download.open_output

    def open_then_fill_up(self: Download) -> None:
        real_open(self)
        writes = iter([True])

        class Full:
            def __getattr__(self, name: str) -> Any:
                return getattr(file, name)

            def write(self, data: Any) -> int:
                if next(writes, False):
                    return file.write(data)
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        file = self.file
        self.file = Full()

    monkeypatch.setattr(Download, "open_output", open_then_fill_up)
    dest = tmp_path / "out.img"
    download = prepare_download(str(dest), IMAGE_ID, expected())
    with pytest.raises(ImgcliError, match="no space left on the device"):
        download.save(get(url))
    assert not dest.exists() and leftovers(tmp_path) == []


def test_full_device_as_destination_is_one_line(server: tuple[str, LoopbackGlance]) -> None:
    url, _ = server
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    download = prepare_download("/dev/full", IMAGE_ID, expected())
    with pytest.raises(ImgcliError, match="to /dev/full failed after 0 bytes: no space left"):
        download.save(get(url))
    assert os.path.exists("/dev/full") and stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_interrupt_mid_body_keeps_partial_and_propagates(server: tuple[str, LoopbackGlance],
                                                         tmp_path: Path) -> None:
    """A real SIGINT while the body is half received (the server holds back the rest)."""
    url, behaviour = server
    behaviour.pause_after = BLOCK + 10
    dest = tmp_path / "out.img"
    dest.write_bytes(b"old")
    part = Path(part_path(str(dest), IMAGE_ID))
    main = threading.main_thread().ident
    assert main == threading.get_ident()

    def interrupt_when_written() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if part.exists() and part.stat().st_size >= BLOCK:
                break
            time.sleep(0.01)
        signal.pthread_kill(main, signal.SIGINT)  # type: ignore[arg-type]

    download = prepare_download(str(dest), IMAGE_ID, expected())
    threading.Thread(target=interrupt_when_written, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        download.save(get(url))
    behaviour.release.set()
    assert dest.read_bytes() == b"old"
    assert download.kept_partial == str(part)
    assert DATA.startswith(part.read_bytes()) and part.stat().st_size >= BLOCK


def test_md5_only_and_no_hash(server: tuple[str, LoopbackGlance], tmp_path: Path) -> None:
    url, _ = server
    md5_only = Expected.from_image({"checksum": hashlib.md5(DATA).hexdigest()})
    result = prepare_download(str(tmp_path / "a.img"), IMAGE_ID, md5_only).save(get(url))
    assert result.verified and result.algorithm == "md5"
    nothing = Expected.from_image({"os_hash_algo": None, "checksum": None})
    result = prepare_download(str(tmp_path / "b.img"), IMAGE_ID, nothing).save(get(url))
    assert not result.verified and result.hexdigest is None
    assert result.warning and "nothing could be verified" in result.warning
    assert (tmp_path / "b.img").read_bytes() == DATA


@pytest.mark.parametrize("image, want", [
    ({"os_hash_algo": "SHA512", "os_hash_value": "AB", "checksum": "cd", "size": 3},
     Expected("sha512", "ab", 3)),
    ({"os_hash_algo": "no-such-algo", "os_hash_value": "ab", "checksum": "cd"},
     Expected("md5", "cd")),
    ({"os_hash_algo": "sha512", "os_hash_value": None, "checksum": "cd"},
     Expected("md5", "cd")),
    ({"size": True}, Expected()),
])
def test_expected_from_image(image: dict[str, Any], want: Expected) -> None:
    assert Expected.from_image(image) == want


def test_written_bytes_go_to_disk_during_the_download(server: tuple[str, LoopbackGlance],
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """So that the fsync before the rename has little left to wait for."""
    import imgcli.transfer.download as download_module

    url, _ = server
    ranges: list[tuple[int, int]] = []
    monkeypatch.setattr(download_module, "WRITEBACK_EVERY", BLOCK)
    monkeypatch.setattr(download_module, "start_writeback",
                        lambda fd, start, length: ranges.append((start, length)))
    prepare_download(str(tmp_path / "out.img"), IMAGE_ID, expected()).save(get(url))
    assert ranges[0][0] == 0 and len(ranges) >= 2
    assert all(a + n == b for (a, n), (b, _) in zip(ranges, ranges[1:], strict=False))
    assert len(DATA) - BLOCK <= sum(n for _, n in ranges) <= len(DATA)


def test_existing_file_mode_is_kept(server: tuple[str, LoopbackGlance], tmp_path: Path) -> None:
    url, _ = server
    dest = tmp_path / "out.img"
    dest.write_bytes(b"old")
    dest.chmod(0o640)
    prepare_download(str(dest), IMAGE_ID, expected()).save(get(url))
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640 and dest.read_bytes() == DATA
