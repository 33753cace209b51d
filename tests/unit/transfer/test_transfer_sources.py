"""imgcli.transfer's sources: a file, a pipe, stdin (a file, a pipe, a terminal, closed), a
named pipe; what each knows of its size, and the one usage line a bad one gets."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from imgcli.errors import UsageError
from imgcli.transfer import (
    BLOCK,
    open_source,
)
from tests.unit.nobody import as_nobody
from tests.unit.transfer.common import (
    DATA,
    pipe_with,
)


def test_file_source_knows_its_size(tmp_path: Path) -> None:
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    source = open_source(str(path))
    assert source is not None and source.size == len(DATA) and source.first == b""
    source.close()


@pytest.mark.parametrize("name, words", [("missing.img", "no such file"),
                                         (".", "is a directory")])
def test_bad_file_is_one_usage_line_naming_it(tmp_path: Path, name: str, words: str) -> None:
    path = str(tmp_path / name)
    with pytest.raises(UsageError) as err:
        open_source(path)
    message = str(err.value)
    assert path in message and words in message and "\n" not in message

def test_unreadable_file_is_refused(shared_dir: Path) -> None:
    readable, unreadable = shared_dir / "ok.img", shared_dir / "secret.img"
    readable.write_bytes(b"x")
    unreadable.write_bytes(b"x")
    readable.chmod(0o644)
    unreadable.chmod(0o000)
    if os.geteuid() != 0:
        with pytest.raises(UsageError, match="permission denied"):
            open_source(str(unreadable))
        return
    # As root, in a child that became `nobody`: the readable file opens there, so the
    # refusal below is the mode's doing and not the path's.
    assert as_nobody(lambda: open_source(str(readable))) == ""
    outcome = as_nobody(lambda: open_source(str(unreadable)))
    assert outcome == f"UsageError: --file {unreadable}: permission denied; " \
        "make it readable for this user"

def test_empty_piped_stdin_is_no_upload() -> None:
    with pipe_with(b"") as stdin:
        assert open_source(None, stdin) is None
        assert open_source("-", stdin) is None


def test_dev_null_and_empty_file_as_stdin_are_no_upload(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    for path in (os.devnull, str(empty)):
        with open(path, "rb") as stdin:
            assert open_source(None, stdin) is None


def test_piped_stdin_is_peeked_without_losing_bytes() -> None:
    with pipe_with(DATA) as stdin:
        source = open_source(None, stdin)
        assert source is not None and source.size is None
        assert source.first == DATA[:BLOCK]  # a whole block, though a pipe gives 64 KiB a read
        assert bytes(source.first) + source.file.read() == DATA


def test_file_as_stdin_sends_from_its_position(tmp_path: Path) -> None:
    path = tmp_path / "disk.img"
    path.write_bytes(DATA)
    with open(path, "rb", buffering=0) as stdin:
        stdin.seek(100)
        source = open_source(None, stdin)
        assert source is not None and source.size == len(DATA) - 100


def test_terminal_or_closed_stdin() -> None:
    leader, follower = os.openpty()
    try:
        with open(follower, "rb", buffering=0, closefd=False) as tty:
            assert open_source(None, tty) is None
            with pytest.raises(UsageError, match="stdin is a terminal"):
                open_source("-", tty)
    finally:
        os.close(leader)
        os.close(follower)
    closed = open(os.devnull, "rb")
    closed.close()
    assert open_source(None, closed) is None
    with pytest.raises(UsageError, match="stdin is closed"):
        open_source("-", closed)

def test_a_named_pipe_is_peeked_at_so_that_empty_is_known_before_sending(
        tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    for data in (b"", DATA):
        os.mkfifo(fifo)
        writer = threading.Thread(target=fifo.write_bytes, args=(data,), daemon=True)
        writer.start()
        source = open_source(str(fifo))
        assert source is not None and source.size is None
        assert source.empty == (data == b"")
        assert bytes(source.first) + source.file.read() == data
        source.close()
        writer.join(5)
        fifo.unlink()
