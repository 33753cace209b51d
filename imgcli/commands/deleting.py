"""One action on each of several arguments (delete, queue, ...), reporting failures the
way `imgcli image delete` does: every argument that can be acted on is, each failure is
one line, and a count ends the run ("2 of 4 images failed to delete.", exit 1).

With a single argument the failure is the only line: a "1 of 1" count says nothing more.
A refused token (AuthError) stops at once, since every later request would be refused too;
so does any error that `why_not` raises instead of returning a line (a policy refusal, a
feature the cloud lacks).

Imports: imgcli.errors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TextIO

from imgcli.errors import ApiError, AuthError


def for_each(refs: Sequence[str], call: Callable[[str], object],
             why_not: Callable[[str, ApiError], str], stderr: TextIO,
             failed_to: str = "images failed to delete") -> None:
    """`call(ref)` for every ref, in order. `why_not(ref, error)` gives the line for a
    failure (or raises to stop the run); `failed_to` ends the count line."""
    failed = 0
    for ref in refs:
        try:
            call(ref)
        except AuthError:
            raise
        except ApiError as exc:
            line = why_not(ref, exc)
            if len(refs) == 1:
                raise ApiError(line, status=exc.status, method=exc.method, url=exc.url,
                               detail=exc.detail) from exc
            failed += 1
            stderr.write(line + "\n")
    if failed:
        raise ApiError(f"{failed} of {len(refs)} {failed_to}.")
