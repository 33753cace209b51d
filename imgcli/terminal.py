"""What imgcli writes to a terminal, and what it asks there.

Image names, descriptions and properties are written by whoever owns the image (a community
image is anyone's), so text from Glance must never drive the terminal: a name holding
``ESC ] 0 ; ... BEL`` retitles the window, ``ESC [ 2 J`` clears the screen, a newline
paints a row of its own. Standard library only, and cheap to import: the output formatters
and the password prompt both use it.

Imports: nothing of imgcli.
"""

from __future__ import annotations

import sys
from typing import Any

# C0 (U+0000-U+001F), DEL and C1 (U+0080-U+009F): what a terminal acts on instead of showing.
# C1 matters on its own: U+009B is CSI and U+009D is OSC in terminals that take 8-bit
# controls. Tab and newline are included: in a cell they break the table's columns and can
# draw a line that reads as another image's row. Each is written as Python's repr writes it
# (\x1b, \n, \t, \x9b), so the value stays readable and its bytes can be told apart.
CONTROLS: dict[int, str] = {c: repr(chr(c))[1:-1] for c in (*range(0x20), *range(0x7F, 0xA0))}


def escape_controls(text: str) -> str:
    """``text`` with every C0/C1 control character written as its repr escape."""
    return text.translate(CONTROLS)


def is_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal (a StringIO, a pipe or a closed file is not)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def ask_secret(prompt: str) -> str | None:
    """openstackclient's prompt: ask without echo (getpass, on the controlling terminal).

    The caller asks only when stdin is a terminal: a script must get its one-line error, not
    hang. None for an empty answer or Ctrl-D; Ctrl-C propagates (cliff exits with 130).
    """
    import getpass  # only a run that prompts pays for it (it imports termios)

    try:
        return getpass.getpass(escape_controls(prompt)) or None
    except EOFError:
        _end_prompt_line()
        return None
    except KeyboardInterrupt:
        _end_prompt_line()
        raise


def _end_prompt_line() -> None:
    # With echo off, Ctrl-C/Ctrl-D leave the cursor after the prompt; what follows (the
    # shell's prompt, our one-line error) starts on a line of its own.
    if is_terminal(sys.stderr):
        sys.stderr.write("\n")
        sys.stderr.flush()
