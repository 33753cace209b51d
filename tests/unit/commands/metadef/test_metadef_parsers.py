"""The arguments and options of every metadef command are openstackclient 10.5.0's: names,
positional order, metavars, nargs, consts, defaults and exclusive groups, as its parsers
hold them (tests/fixtures/osc_metadefs/parsers.json, written by regenerate.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.unit.commands.metadef.fake_metadefs import ORACLE

OSC_PARSERS: dict[str, list[dict[str, Any]]] = json.loads(
    (ORACLE / "parsers.json").read_text())
# Where imgcli deliberately differs: openstackclient declares --namespace optional for
# `object create` and then fails without it; imgcli refuses its absence at once.
DIFFERENCES = {("object create", "namespace"): {"required": True}}


def signature(command: str) -> list[dict[str, Any]]:
    from imgcli.shell import ImgcliApp

    app = ImgcliApp(env={})
    factory, name, _ = app.command_manager.find_command(["image", "metadef",
                                                         *command.split()])
    parser = factory(app, None, cmd_name=name).get_parser(f"imgcli {name}")
    groups = {id(action): index for index, group in enumerate(parser._mutually_exclusive_groups)
              for action in group._group_actions}
    return [{"options": action.option_strings, "dest": action.dest, "nargs": action.nargs,
             "metavar": action.metavar, "required": action.required, "const": action.const,
             "default": action.default if isinstance(action.default, str | bool | list |
                                                     type(None)) else "?",
             "group": groups.get(id(action))}
            for action in parser._actions if action.dest != "help"]


def test_all_the_commands_are_recorded():
    assert len(OSC_PARSERS) == 21


@pytest.mark.parametrize("command", sorted(OSC_PARSERS))
def test_arguments_are_openstackclients(command):
    expected = [{**argument, **DIFFERENCES.get((command, argument["dest"]), {})}
                for argument in OSC_PARSERS[command]]
    assert signature(command) == expected
