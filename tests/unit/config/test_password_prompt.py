"""A missing password (or application credential secret) is asked for at a terminal, without
echo, as openstackclient does; a script (stdin not a terminal) gets the one-line error, which
names OS_PASSWORD and secure.yaml before the command line that `ps` shows to everyone."""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fakecloud import FAKE_PASSWORD, FakeCloud
from imgcli import terminal
from tests.conftest import AUTH_URL, SEED_ENV
from tests.unit.ptyrun import ROOT, run_in_pty

TOKENS = "/identity/v3/auth/tokens"


@pytest.fixture
def cloud():
    with FakeCloud(images=3) as fake:
        yield fake


def env_without_password(cloud: FakeCloud, home: Path) -> dict[str, str]:
    env = {k: v for k, v in cloud.env.items() if k != "OS_PASSWORD"}
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "PYTHONUTF8": "1",
            "XDG_CACHE_HOME": str(home / "cache"), "XDG_CONFIG_HOME": str(home / "cfg"), **env}


LIST = ["-m", "imgcli", "--no-cache", "image", "list", "-f", "value", "-c", "ID"]


def prompt(cloud: FakeCloud) -> bytes:
    return f"Password for admin@{cloud.auth_url}: ".encode()


def token_requests(cloud: FakeCloud) -> list[int]:
    return [status for method, path, status in cloud.requests
            if (method, path) == ("POST", TOKENS)]


# -- at a terminal (a pseudo-terminal, the child's controlling terminal) ----------------------

def test_the_password_typed_at_the_prompt_is_used_and_not_echoed(cloud, tmp_path):
    typed = FAKE_PASSWORD.encode() + b"\r"  # Enter, as a terminal sends it
    result = run_in_pty(LIST, env_without_password(cloud, tmp_path),
                        answers=[(prompt(cloud), typed)])
    assert result.code == 0, result.output
    assert token_requests(cloud) == [201]  # Keystone took the typed password
    assert all(image_id.encode() in result.output for image_id in cloud.image_ids)
    assert FAKE_PASSWORD.encode() not in result.output
    assert result.output.startswith(prompt(cloud))


@pytest.mark.parametrize("keys", [b"\r", b"\x04"], ids=["empty", "ctrl-d"])
def test_no_answer_is_the_one_line_error(cloud, tmp_path, keys):
    result = run_in_pty(LIST, env_without_password(cloud, tmp_path),
                        answers=[(prompt(cloud), keys)])
    assert result.code == 2
    after = result.output.split(prompt(cloud), 1)[1].decode().strip()
    assert after.startswith("no password entered: set OS_PASSWORD, or auth.password in "
                            "secure.yaml or clouds.yaml")
    assert len(after.splitlines()) == 1 and token_requests(cloud) == []


def test_ctrl_c_at_the_prompt_exits_130_quietly(cloud, tmp_path):
    result = run_in_pty(LIST, env_without_password(cloud, tmp_path),
                        answers=[(prompt(cloud), b"\x03")])
    assert result.code == 130
    assert result.output.split(prompt(cloud), 1)[1].strip() == b""  # no traceback, no error
    assert token_requests(cloud) == []


# -- not at a terminal --------------------------------------------------------------------------

def test_a_script_gets_the_one_line_error_and_no_prompt(cloud, tmp_path):
    result = subprocess.run([sys.executable, *LIST], env=env_without_password(cloud, tmp_path),
                            stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "missing password: set OS_PASSWORD, or auth.password in secure.yaml or clouds.yaml "
        "(with --os-cloud); --os-password works too, but other users of this machine can see "
        "it in ps"]
    assert cloud.requests == []


# -- in process: which auth types prompt, and what for ------------------------------------------

@pytest.fixture
def at_a_terminal(monkeypatch):
    """stdin is a terminal; getpass answers with what the list holds, recording each prompt."""
    asked: list[str] = []
    answers: list[str] = []

    def fake_getpass(text: str = "Password: ", stream=None) -> str:
        asked.append(text)
        return answers.pop(0)

    monkeypatch.setattr(terminal, "is_terminal", lambda stream: True)
    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    return asked, answers


def token_body(seed_cloud) -> dict:
    posts = [r for r in seed_cloud.mock.request_history if r.method == "POST"]
    return json.loads(posts[-1].body)


def test_application_credential_secret_is_asked_for(seed_cloud, run, at_a_terminal):
    asked, answers = at_a_terminal
    answers.append("typed-app-secret-1234")
    env = {"OS_AUTH_URL": AUTH_URL, "OS_AUTH_TYPE": "v3applicationcredential",
           "OS_APPLICATION_CREDENTIAL_ID": "ac-0123"}
    result = run(["--no-cache", "image", "list"], env)
    assert result.code == 0, result.err
    assert asked == [f"Application credential secret for ac-0123@{AUTH_URL}: "]
    credential = token_body(seed_cloud)["auth"]["identity"]["application_credential"]
    assert credential == {"id": "ac-0123", "secret": "typed-app-secret-1234"}


def test_the_prompt_names_the_user_and_the_prompted_password_is_not_traced(
        seed_cloud, run, at_a_terminal, tmp_path):
    asked, answers = at_a_terminal
    answers.append("typed-Passw0rd-5678")
    env = {k: v for k, v in SEED_ENV.items() if k != "OS_PASSWORD"}
    trace = tmp_path / "trace.md"
    result = run(["--no-cache", "--trace", str(trace), "image", "list"], env)
    assert result.code == 0, result.err
    assert asked == [f"Password for admin@{AUTH_URL}: "]
    assert token_body(seed_cloud)["auth"]["identity"]["password"]["user"]["password"] == \
        "typed-Passw0rd-5678"
    assert "typed-Passw0rd-5678" not in trace.read_text() + result.out + result.err


def test_a_missing_setting_fails_before_the_prompt(seed_cloud, run, at_a_terminal):
    asked, _ = at_a_terminal
    env = {"OS_AUTH_URL": AUTH_URL, "OS_AUTH_TYPE": "v3applicationcredential"}
    result = run(["--no-cache", "image", "list"], env)
    assert result.code == 2 and "missing application credential id" in result.err
    assert asked == []


@pytest.mark.parametrize("auth_type", ["v3token", "token"])
def test_a_token_is_never_asked_for(seed_cloud, run, at_a_terminal, auth_type):
    asked, _ = at_a_terminal
    result = run(["--no-cache", "image", "list"],
                 {"OS_AUTH_URL": AUTH_URL, "OS_AUTH_TYPE": auth_type})
    assert result.code == 2 and asked == []
    assert result.err.startswith("missing token: set OS_TOKEN, or auth.token in secure.yaml")
    assert "--os-token works too, but other users of this machine can see it in ps" in result.err


def test_a_password_that_is_set_is_not_asked_for(seed_cloud, run, at_a_terminal):
    asked, _ = at_a_terminal
    assert run(["--no-cache", "image", "list"]).code == 0 and asked == []


def test_help_says_where_secrets_belong(run):
    text = " ".join(run(["--help"], {}).out.split())
    for option, env in (("--os-password", "OS_PASSWORD"),
                        ("--os-application-credential-secret",
                         "OS_APPLICATION_CREDENTIAL_SECRET"),
                        ("--os-token", "OS_TOKEN")):
        help_text = text.split(f"{option} <", 2)[2]  # the second: past the usage line
        asks = "" if option == "--os-token" else " (at a terminal, imgcli asks for a missing one)"
        assert help_text.split("> ", 1)[1].split(" (Env:")[0].endswith(
            "other users of this machine can see a command line in ps" + asks)
        assert f"prefer {env} or secure.yaml" in help_text
