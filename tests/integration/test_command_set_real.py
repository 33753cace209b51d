"""Every image-service command openstackclient 10.5.0 has, imgcli has too (#20): the commands
`openstack --help` lists from its image plugin, against the ones `imgcli --help` lists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

IMGCLI_ONLY = {"cache clear", "configuration show", "image copy", "image sync", "image usage",
               "token issue"}


def openstack_image_commands(osc_bin: Path) -> set[str]:
    """The commands of openstackclient's Image API v2 plugin (its `--help` lists every
    service's; the entry-point group says which are the image service's)."""
    code = ("from importlib.metadata import entry_points\n"
            "print('\\n'.join(e.name for e in entry_points(group='openstack.image.v2')))")
    out = subprocess.run([str(osc_bin / "python"), "-c", code], capture_output=True,
                         text=True, check=True).stdout
    return {name.replace("_", " ") for name in out.split()}


def help_commands(argv: list[str]) -> set[str]:
    """The command names in the `Commands:` section of a cliff app's --help."""
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120).stdout
    section = out.split("Commands:", 1)[1]
    return {match.group(1) for match in re.finditer(r"^  (\S.*?)  +\S", section, re.M)}


def test_imgcli_has_every_image_command_openstack_has(osc_bin: Path) -> None:
    theirs = openstack_image_commands(osc_bin)
    listed = help_commands([str(osc_bin / "openstack"), "--help"])
    assert len(theirs) == 42 and theirs <= listed  # what osc 10.5.0's --help shows
    ours = help_commands([sys.executable, "-m", "imgcli", "--help"])
    assert sorted(theirs - ours) == []
    assert ours - theirs - {"complete", "help"} == IMGCLI_ONLY
