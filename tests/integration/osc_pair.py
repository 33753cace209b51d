"""Run `openstack` (python-openstackclient 10.5.0) and imgcli side by side on devcloud, with
the same environment, for the differential tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple


class Ran(NamedTuple):
    code: int
    out: str
    err: str


def run_pair(devcloud: Any, osc_bin: Path, home: Path, user: str, argv: list[str],
             parallel: bool = True) -> tuple[Ran, Ran]:
    """(openstack's, imgcli's) result of the same command line. `parallel=False` runs
    openstack first, then imgcli: for commands that change the cloud."""
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
           **getattr(devcloud, f"{user}_env")}
    progs = ([str(osc_bin / "openstack")], [sys.executable, "-m", "imgcli"])
    results = []
    procs = []
    for prog in progs:
        proc = subprocess.Popen([*prog, *argv], env=env, cwd=home, text=True,
                                encoding="utf-8", stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if parallel:
            procs.append(proc)
        else:
            out, err = proc.communicate(timeout=180)
            results.append(Ran(proc.returncode, out, err))
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        results.append(Ran(proc.returncode, out, err))
    return results[0], results[1]
