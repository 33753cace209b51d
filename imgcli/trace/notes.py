"""The explicit hook by which the trace learns what an image-data body was.

The recorder never reads an image-data body (it belongs to the transport, and may be
gigabytes); the code that moves the data knows its size and hash. That code calls
`note_data(carrier, summary)` with the carrier (the upload's request body, or the
download's response) once the transfer ends, well or not; every Recorder that called
`listen()` keeps the note and shows it as that exchange's body. With no recorder
listening (a run without --trace) a note costs one look at an empty list.

Imports: the standard library only.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

Listener = Callable[[object, str], None]
# Weak references: a recorder that is gone (a test's, an interactive session's) stops
# listening by itself.
_listeners: list[weakref.WeakMethod] = []


def listen(callback: Listener) -> None:
    """Have `callback(carrier, summary)` called for every note from now on (a bound
    method, such as Recorder.note; registering it twice is a no-op)."""
    if not any(ref() == callback for ref in _listeners):
        _listeners.append(weakref.WeakMethod(callback))  # type: ignore[arg-type]


def note_data(carrier: object, summary: str) -> None:
    """Say what an image-data body was: e.g. describe_data()'s `<image data: N bytes, …>`.
    A later note for the same carrier replaces an earlier one."""
    for ref in list(_listeners):
        callback = ref()
        if callback is None:
            _listeners.remove(ref)
        else:
            callback(carrier, summary)
