"""Import discipline: `imgcli --version` and `import imgcli` load nothing heavy."""

from __future__ import annotations

import gc
import json
import subprocess
import sys

HEAVY = ("requests", "keystoneauth1", "cliff", "urllib3", "yaml", "prettytable", "stevedore")


def modules_after(code: str) -> set[str]:
    probe = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return {name.split(".")[0] for name in json.loads(out.splitlines()[-1])}


def test_version_imports_no_http_stack_and_no_cliff():
    loaded = modules_after("from imgcli.__main__ import main\nmain(['--version'])")
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)


def test_importing_the_package_is_light():
    assert modules_after("import imgcli").isdisjoint(HEAVY)


def test_the_version_is_printed():
    out = subprocess.run([sys.executable, "-m", "imgcli", "--version"], capture_output=True,
                         text=True, check=True, timeout=60).stdout
    assert out.startswith("imgcli ") and out.split()[1][0].isdigit()


def test_a_command_that_needs_no_cloud_loads_no_keystoneauth(tmp_path):
    loaded = modules_after(f"from imgcli.__main__ import main\n"
                           f"import os; os.environ['XDG_CACHE_HOME'] = {str(tmp_path)!r}\n"
                           f"main(['cache', 'clear'])")
    assert "keystoneauth1" not in loaded and "requests" not in loaded


def test_collector_is_off_while_a_command_runs_and_back_on_after(monkeypatch):
    from imgcli import __main__ as launcher
    from imgcli.shell import ImgcliApp

    seen = []
    monkeypatch.setattr(ImgcliApp, "run", lambda self, argv: seen.append(gc.isenabled()) or 0)
    assert launcher.main(["cache", "clear"]) == 0
    assert seen == [False]
    assert gc.isenabled()  # a caller in the same process (a test, an IDE) gets it back


def test_an_interactive_session_collects_garbage(monkeypatch):
    from cliff.app import App

    from imgcli import __main__ as launcher

    seen = []
    monkeypatch.setattr(App, "interact", lambda self: seen.append(gc.isenabled()))
    launcher.main([])  # no command: cliff's interactive mode
    assert seen == [True]
