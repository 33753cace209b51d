"""Errors that end a command with one plain line on stderr and a documented exit status.

An API error keeps what the cloud said (status, method, URL, its own detail) and a hint,
so callers test `error.status`, never the text. `explain()` turns a keystoneauth or
requests exception into one of these; the exit statuses are one IntEnum, used by
`__main__`, the shell and README's table.

Imports: the standard library only (requests and keystoneauth inside explain(), which runs
only after a failure).
"""

from __future__ import annotations

from enum import IntEnum
from http import HTTPStatus
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1  # the cloud answered with an error, or could not be reached
    USAGE = 2  # bad options or configuration: nothing was sent
    AUTH = 3  # the cloud refused the credentials
    HANGUP = 129  # 128 + SIGHUP: the terminal or ssh session closed (imgcli.signals)
    INTERRUPTED = 130  # 128 + SIGINT: Ctrl-C
    BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader went away (`| head -1`)
    TERMINATED = 143  # 128 + SIGTERM: `timeout`, systemd, a CI job's time limit


class ImgcliError(Exception):
    """A failure the user can act on; str(err) is the whole message."""

    exit_status = ExitStatus.ERROR

    @property
    def exit_code(self) -> int:
        return int(self.exit_status)


class ConfigError(ImgcliError):
    exit_status = ExitStatus.USAGE


class UsageError(ImgcliError):
    exit_status = ExitStatus.USAGE


class RequestError(ImgcliError):
    """A request the cloud refused or answered wrongly. Built from a reply (`status` set),
    it says `METHOD URL failed: STATUS PHRASE: detail (hint)`; built from a sentence alone
    it says that sentence."""

    def __init__(self, message: str | None = None, *, status: int | None = None,
                 method: str | None = None, url: str | None = None, detail: str = "",
                 hint: str = "", reason: str = "") -> None:
        self.status, self.method, self.url = status, method, url
        self.detail, self.hint = detail, hint
        if message is None:
            phrase_text = reason or phrase(status or 0)
            message = f"{method or 'GET'} {url} failed: {status} {phrase_text}".rstrip()
            message += f": {detail}" if detail else ""
            message += f" ({hint})" if hint else ""
        super().__init__(message)

    def mentions(self, status: int, words: str) -> bool:
        """Whether this is a `status` reply whose detail says `words` (Glance's wording)."""
        return self.status == status and words in self.detail


class ApiError(RequestError):
    """The cloud answered with an error, or could not be reached: exit 1."""


class AuthError(RequestError):
    """The cloud refused the credentials: exit 3, and never caught where an ApiError is
    (a command that goes on past one image's failure stops at this one)."""

    exit_status = ExitStatus.AUTH


class NotFound(ApiError):
    """A 404."""


class RedirectRefused(ApiError):
    """A redirect to another scheme, host or port: following it would hand the token or
    password to a server they were not meant for (imgcli.transport)."""


def phrase(status: int) -> str:
    """The standard reason phrase, for replies (and mocks) that leave theirs out."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
