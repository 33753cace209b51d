"""imgcli.transfer's destinations: stdout, a file, a directory, a terminal, an unwritable
place; refused before any request where they can be."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from fakecloud.data import LoopbackGlance
from imgcli.errors import ApiError, UsageError
from imgcli.transfer import (
    check_destination,
    prepare_download,
)
from imgcli.transfer.destination import TERMINAL
from tests.unit.nobody import as_nobody
from tests.unit.transfer.common import (
    DATA,
    IMAGE_ID,
    FakeTTY,
    expected,
    get,
)


def test_stdout_destination(server: tuple[str, LoopbackGlance]) -> None:
    url, behaviour = server
    with pytest.raises(UsageError) as err:
        check_destination(None, FakeTTY())
    assert str(err.value) == TERMINAL
    out = io.BytesIO()
    result = prepare_download(None, IMAGE_ID, expected(), stdout=out).save(get(url))
    assert out.getvalue() == DATA and result.verified
    behaviour.data[IMAGE_ID] = DATA[:-1] + b"!"
    with pytest.raises(ApiError, match="written to stdout is NOT the image; discard it"):
        prepare_download("-", IMAGE_ID, expected(), stdout=io.BytesIO()).save(get(url))


def test_destination_checks(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is a directory"):
        check_destination(str(tmp_path))
    with pytest.raises(UsageError, match="directory .*/nowhere does not exist"):
        check_destination(str(tmp_path / "nowhere" / "out.img"))
    check_destination(str(tmp_path / "new.img"))
    check_destination(os.devnull)


def test_unwritable_directory_is_refused(shared_dir: Path) -> None:
    locked = shared_dir / "locked"
    locked.mkdir(mode=0o555)
    locked.chmod(0o555)
    dest = str(locked / "out.img")
    try:
        if os.geteuid() != 0:
            with pytest.raises(UsageError, match="is not writable"):
                check_destination(dest)
            return
        assert as_nobody(lambda: check_destination(str(shared_dir / "x"))) \
            .startswith("UsageError: ")  # shared_dir is root's: not writable for nobody either
        outcome = as_nobody(lambda: check_destination(dest))
        assert outcome == f"UsageError: --file {dest}: the directory {locked} is not writable"
        read_only = shared_dir / "read-only.img"
        read_only.write_bytes(b"keep")
        read_only.chmod(0o444)
        assert as_nobody(lambda: check_destination(str(read_only))) == \
            f"UsageError: --file {read_only} is not writable; choose another path"
    finally:
        locked.chmod(0o755)
        locked.rmdir()

def test_a_terminal_named_as_the_destination_is_refused() -> None:
    leader, follower = os.openpty()
    try:
        with pytest.raises(UsageError) as err:
            check_destination(os.ttyname(follower))
        assert str(err.value) == TERMINAL
    finally:
        os.close(leader)
        os.close(follower)
    check_destination(os.devnull)  # a device that is not a terminal is written straight
