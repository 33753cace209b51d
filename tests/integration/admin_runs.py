"""Running imgcli and openstack on devcloud for the stores, tasks and cache tests: one run of
either client, imgcli's requests from a HAR trace (with a cached token), and a comparison
that tolerates a cloud changing under it (another test downloading an image moves the
cache's hit counts; another import adds a task)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from osc_pair import Ran

WARM_UP = ("image", "show", "cirros-0.5.1-x86_64-disk", "-c", "id")


def environment(devcloud: Any, home: Path, user: str) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_CACHE_HOME": str(home / "cache"),
            **getattr(devcloud, f"{user}_env")}


def imgcli(devcloud: Any, home: Path, user: str, *args: str) -> Ran:
    done = subprocess.run([sys.executable, "-m", "imgcli", *args],
                          env=environment(devcloud, home, user), cwd=home,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          encoding="utf-8", timeout=180)
    return Ran(done.returncode, done.stdout, done.stderr)


def openstack(devcloud: Any, osc_bin: Path, home: Path, user: str, *args: str) -> Ran:
    done = subprocess.run([str(osc_bin / "openstack"), *args],
                          env=environment(devcloud, home, user), cwd=home,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          encoding="utf-8", timeout=180)
    return Ran(done.returncode, done.stdout, done.stderr)


def traced(devcloud: Any, home: Path, user: str, *args: str) -> tuple[Ran, list[str]]:
    """imgcli's run and its requests as `METHOD /path?query status`, with a cached token."""
    if not (home / "cache").exists():
        imgcli(devcloud, home, user, *WARM_UP)
    trace = home / f"trace-{uuid.uuid4().hex[:8]}.har"
    result = imgcli(devcloud, home, user, "--trace", str(trace), *args)
    sent = []
    for entry in json.loads(trace.read_text())["log"]["entries"]:
        url = urlsplit(entry["request"]["url"])
        path = url.path.removeprefix("/image") + (f"?{url.query}" if url.query else "")
        sent.append(f"{entry['request']['method']} {path} {entry['response']['status']}")
    return result, sent


def osc_requests(devcloud: Any, osc_bin: Path, home: Path, user: str,
                 *args: str) -> tuple[Ran, list[str]]:
    """openstack's run with --debug and the requests it sent to Glance (`METHOD URL`)."""
    ran = openstack(devcloud, osc_bin, home, user, "--debug", *args)
    sent = [line.split(" -H ")[0].removeprefix("REQ: curl -g -i -X ")
            for line in ran.err.splitlines() if line.startswith("REQ: curl")]
    return ran, [line for line in sent if devcloud.glance_url in line]


def same_when_still(devcloud: Any, osc_bin: Path, home: Path, user: str,
                    *args: str, tries: int = 4) -> tuple[Ran, Ran]:
    """(openstack's, imgcli's) output of a read command, run openstack → imgcli →
    openstack. Other work on the shared cloud may change what is read in between (a task,
    a cached image); a run where openstack's two outputs differ, or where imgcli's differs
    from both, is tried again. A real difference in output shows on every try."""
    for _ in range(tries):
        before = openstack(devcloud, osc_bin, home, user, *args)
        ours = imgcli(devcloud, home, user, *args)
        after = openstack(devcloud, osc_bin, home, user, *args)
        if before == after and ours.out == before.out:
            break
    return before, ours


def one_line(ran: Ran) -> str:
    assert ran.err.count("\n") == 1, ran.err
    assert "Traceback" not in ran.err
    return ran.err.strip()
