"""Errors that end a command with one plain line on stderr and a documented exit code."""

from http import HTTPStatus

EXIT_OK = 0
EXIT_API = 1  # the cloud answered with an error, or could not be reached
EXIT_USAGE = 2  # bad options, bad configuration
EXIT_AUTH = 3  # the cloud refused the credentials
EXIT_INTERRUPTED = 130


class ImgcliError(Exception):
    """A failure the user can act on; str(err) is the whole message."""

    exit_code = EXIT_API


class ConfigError(ImgcliError):
    exit_code = EXIT_USAGE


class UsageError(ImgcliError):
    exit_code = EXIT_USAGE


class AuthError(ImgcliError):
    exit_code = EXIT_AUTH


class ApiError(ImgcliError):
    exit_code = EXIT_API


class NotFound(ApiError):
    """A 404: for an argument that looked like an ID, the caller may try it as a name."""


def phrase(status: int) -> str:
    """The standard reason phrase, for replies (and mocks) that leave theirs out."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class RedirectRefused(ApiError):
    """A redirect to another scheme, host or port: following it would hand the token or
    password to a server they were not meant for (imgcli.transport)."""
