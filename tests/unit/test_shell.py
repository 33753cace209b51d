"""What a new user meets first: the program's name, unknown words, and the interactive shell."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def imgcli(args: list[str], home: Path, stdin: str = "",
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m imgcli` as a user runs it: argv[0] is imgcli/__main__.py, stdin a pipe."""
    clean = {"HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
             "XDG_CONFIG_HOME": str(home / "config"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "imgcli", *args], input=stdin, env=clean,
                          text=True, capture_output=True, timeout=60)


@pytest.fixture
def refused_auth_url() -> Iterator[str]:
    """An auth URL on 127.0.0.1 whose port is bound but not listening: every connect is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/identity"


def test_usage_names_imgcli_under_python_m(tmp_path):
    result = imgcli(["--help"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: imgcli [")


def test_a_command_usage_names_imgcli_under_python_m(tmp_path):
    result = imgcli(["help", "cache", "clear"], tmp_path)
    assert result.stdout.startswith("usage: imgcli cache clear"), result.stdout


@pytest.mark.parametrize(("args", "line"), [
    (["--bogus", "image", "list"], "imgcli: unknown option '--bogus' (see imgcli --help)"),
    (["--os-cloud", "x", "-f", "json", "image", "list"],
     "imgcli: unknown option '-f' (see imgcli --help)"),
    (["image", "lsit"],
     "imgcli: 'image lsit' is not an imgcli command; did you mean 'image list'? "
     "(see imgcli help)"),
    # The words end at the first option; which command is closest to "image" alone
    # changes as commands are added, so the case names one.
    (["image", "lsit", "--long"],
     "imgcli: 'image lsit' is not an imgcli command; did you mean 'image list'? "
     "(see imgcli help)"),
    (["bogus"], "imgcli: 'bogus' is not an imgcli command (see imgcli help)"),
])
def test_an_unknown_word_is_one_line_on_stderr_and_exit_2(run, args, line):
    result = run(args)
    assert (result.code, result.out, result.err) == (2, "", line + "\n")


@pytest.mark.parametrize(("args", "shows"), [
    (["help"], "image list"),
    (["complete"], "_imgcli()"),
])
def test_help_and_complete_still_work(run, args, shows):
    result = run(args)
    assert result.code == 0, result.err
    assert shows in result.out


def test_a_clean_interactive_session_exits_0(tmp_path):
    result = imgcli([], tmp_path, stdin="help\ncache clear\nquit\n")
    assert result.returncode == 0, result.stderr
    assert "image list" in result.stdout and "removed 0 cached login" in result.stdout


def test_an_interactive_session_exits_with_its_last_command_status(tmp_path, refused_auth_url):
    env = {"OS_AUTH_URL": refused_auth_url, "OS_USERNAME": "u", "OS_PASSWORD": "p",
           "OS_PROJECT_NAME": "p", "OS_USER_DOMAIN_NAME": "Default",
           "OS_PROJECT_DOMAIN_NAME": "Default"}
    failed = imgcli([], tmp_path, stdin="cache clear\nimage list\nquit\n", env=env)
    assert failed.returncode == 1, failed.stderr
    assert "cannot connect to" in failed.stderr
    recovered = imgcli([], tmp_path, stdin="image list\ncache clear\nquit\n", env=env)
    assert recovered.returncode == 0, recovered.stderr


@pytest.mark.parametrize(("line", "status"), [
    ("image list --bogus", 2),  # cliff reports 1 for argparse's exit inside the shell
    ("image list --help", 0),
    ("image lsit", 2),
])
def test_interactive_usage_statuses(tmp_path, line, status):
    result = imgcli([], tmp_path, stdin=f"{line}\nquit\n")
    assert result.returncode == status, result.stderr
