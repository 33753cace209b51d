"""imgcli.progress, the one progress mechanism: the status line every command draws with
(image list's counts, an import's status, a transfer's meter), and a meter that shows both
ends of a stream (read from a URL, sent to Glance)."""

from __future__ import annotations

import io

from imgcli.progress import Progress, StatusLine
from tests.unit.transfer.common import FakeTTY


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_line_that_only_grows_is_redrawn_with_a_carriage_return_alone() -> None:
    tty = FakeTTY()
    line = StatusLine(tty, grows=True)
    line.show("6 images, 2 pages")
    line.show("7 images, 3 pages")
    line.finish()
    line.finish()  # a second finish erases nothing more
    assert tty.getvalue() == "\r6 images, 2 pages\r7 images, 3 pages\r\x1b[K"


def test_nothing_drawn_is_nothing_erased_and_a_pipe_gets_nothing() -> None:
    tty, pipe = FakeTTY(), io.StringIO()
    StatusLine(tty).finish()
    line = StatusLine(pipe)
    line.show("x")
    line.finish()
    assert (tty.getvalue(), pipe.getvalue()) == ("", "")


def test_image_list_draws_through_the_status_line(monkeypatch) -> None:
    import imgcli.progress
    from imgcli.commands.image.list import rows

    shown: list[str] = []
    real = imgcli.progress.StatusLine.show
    monkeypatch.setattr(imgcli.progress.StatusLine, "show",
                        lambda self, text: (shown.append(text), real(self, text))[1])
    page = [{"id": str(n), "name": "x", "status": "active"} for n in range(2)]
    assert len(list(rows([page, page], long=False, progress=FakeTTY()))) == 4
    assert shown == ["4 images, 2 pages"]


def test_a_meter_shows_both_ends_of_a_stream() -> None:
    tty, clock = FakeTTY(), Clock()
    progress = Progress(None, "uploading", tty, clock)
    progress.reading("the URL", 8 << 20)
    clock.now += 2
    progress.advance_read(2 << 20)  # read, then decompressed into 3 MiB sent
    progress.advance(3 << 20)
    assert tty.getvalue() == ("\r\x1b[Kuploading 3.0 MiB sent, 2.0 MiB of 8.0 MiB (25%) read "
                              "from the URL  1.0 MiB/s  0:06 left")
    progress.finish()
    assert tty.getvalue().endswith("\r\x1b[K")


def test_a_meter_without_the_far_ends_size() -> None:
    tty, clock = FakeTTY(), Clock()
    progress = Progress(None, "", tty, clock)
    progress.reading("the URL", None)
    clock.now += 1
    progress.advance_read(1 << 20)
    progress.advance(1 << 20)
    assert tty.getvalue() == "\r\x1b[K1.0 MiB sent, 1.0 MiB read from the URL  1.0 MiB/s"


def test_the_transfer_package_names_the_same_classes() -> None:
    import imgcli.transfer
    import imgcli.transfer.progress

    assert imgcli.transfer.Progress is Progress is imgcli.transfer.progress.Progress
    assert imgcli.transfer.StatusLine is StatusLine
