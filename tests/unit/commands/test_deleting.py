"""imgcli/commands/deleting.py: one action per argument, one line per failure, a count for
several and none for one; a refused token, or an error why_not raises, stops the run."""

from __future__ import annotations

import io

import pytest

from imgcli.commands.deleting import for_each
from imgcli.errors import ApiError, AuthError, NotFound


def failing(*bad: str, error: type[ApiError] = ApiError, status: int = 409):
    done: list[str] = []

    def call(ref: str) -> None:
        if ref in bad:
            raise error(status=status, method="DELETE", url=f"http://x/{ref}", detail="no")
        done.append(ref)

    return call, done


def line(ref: str, error: ApiError) -> str:
    return f"{ref}: {error.status}"


def test_every_argument_is_tried_and_the_count_ends_the_run():
    call, done = failing("b", "d")
    stderr = io.StringIO()
    with pytest.raises(ApiError) as caught:
        for_each(["a", "b", "c", "d"], call, line, stderr, "things failed to go")
    assert done == ["a", "c"]
    assert stderr.getvalue() == "b: 409\nd: 409\n"
    assert str(caught.value) == "2 of 4 things failed to go."


def test_one_argument_fails_with_its_own_line_only():
    call, _ = failing("a", error=NotFound, status=404)
    stderr = io.StringIO()
    with pytest.raises(ApiError) as caught:
        for_each(["a"], call, line, stderr)
    assert (str(caught.value), caught.value.status, stderr.getvalue()) == ("a: 404", 404, "")


def test_success_says_nothing():
    call, done = failing()
    stderr = io.StringIO()
    for_each(["a", "b"], call, line, stderr)
    assert (done, stderr.getvalue()) == (["a", "b"], "")


def test_refused_credentials_stop_at_once():
    call, done = failing("a", error=AuthError, status=401)
    with pytest.raises(AuthError):
        for_each(["a", "b"], call, line, io.StringIO())
    assert done == []


def test_an_error_why_not_raises_stops_the_run():
    call, done = failing("a", status=403)

    def stop(ref: str, error: ApiError) -> str:
        raise ApiError("policy says no")

    stderr = io.StringIO()
    with pytest.raises(ApiError, match="policy says no"):
        for_each(["a", "b"], call, stop, stderr)
    assert (done, stderr.getvalue()) == ([], "")
