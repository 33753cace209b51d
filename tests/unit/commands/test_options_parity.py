"""Every option openstackclient 10.5.0 takes for the series' commands, imgcli takes too
(issue #20): the lists are `openstack <command> --help` of 10.5.0, plus the options it hides
(its Image v1 `deadopts`, `--instance-uuid`, `--page-size`), which imgcli also hides.
Recorded here, so the test needs no openstackclient; tests/integration compares the
behaviour."""

from __future__ import annotations

import argparse
import json

import pytest

from imgcli.commands.image.data import ABSENT
from imgcli.commands.options import key_value, non_negative, positive_size
from tests.unit.fake_image_data import DataGlance, install_data

SHOW = "--fit-width --max-width --noindent --prefix --print-empty"
OSC_10_5_OPTIONS = {
    "image list": "--all --community --fit-width --hidden --limit --long --marker --max-items "
                  "--max-width --member-status --name --noindent --print-empty --private "
                  "--project --project-domain --property --public --quote --shared --sort "
                  "--sort-ascending --sort-column --sort-descending --status --tag "
                  "--page-size",
    "image show": f"{SHOW} --human-readable",
    "image create": f"{SHOW} --community --container-format --disk-format --file --force "
                    "--id --import --min-disk --min-ram --private --progress --project "
                    "--project-domain --property --protected --public --shared --sign-cert-id "
                    "--sign-key-path --size --tag --unprotected --volume "
                    "--location --copy-from --checksum --store",
    "image set": "--accept --activate --architecture --community --container-format "
                 "--deactivate --disk-format --hidden --instance-id --kernel-id --min-disk "
                 "--min-ram --name --os-distro --os-version --pending --private --project "
                 "--project-domain --property --protected --public --ramdisk-id --reject "
                 "--shared --tag --unhidden --unprotected --visibility --instance-uuid",
    "image unset": "--property --tag",
    "image delete": "--store",
    "image save": "--chunk-size --file --store-preference",
    "image stage": "--file --progress --size",
    "image import": f"{SHOW} --all-stores --allow-failure --disallow-failure --method "
                    "--remote-image --remote-region --remote-service-interface --store --uri "
                    "--wait",
    "image import info": SHOW,
    "image add project": f"{SHOW} --project-domain",
    "image remove project": "--project-domain",
    "image member list": "--fit-width --max-width --noindent --print-empty --project-domain "
                         "--quote --sort-ascending --sort-column --sort-descending",
    "image member get": f"{SHOW} --project-domain",
    "token issue": SHOW,
}


def imgcli_parser(command: str) -> argparse.ArgumentParser:
    from imgcli.shell import ImgcliApp

    app = ImgcliApp(env={})
    factory, name, _ = app.command_manager.find_command(command.split())
    return factory(app, None, cmd_name=name).get_parser(f"imgcli {command}")


@pytest.mark.parametrize("command", sorted(OSC_10_5_OPTIONS))
def test_imgcli_takes_every_option_openstackclient_takes(command):
    taken = set(imgcli_parser(command)._option_string_actions)
    missing = sorted(set(OSC_10_5_OPTIONS[command].split()) - taken)
    assert missing == []


def test_the_shared_types_refuse_what_they_should():
    assert (non_negative("0"), positive_size("1"), key_value("a=b=c")) == (0, 1, ("a", "b=c"))
    for parse, text in ((non_negative, "-1"), (non_negative, "x"), (positive_size, "0"),
                        (key_value, "novalue"), (key_value, "=v")):
        with pytest.raises(argparse.ArgumentTypeError):
            parse(text)


def test_the_volume_refusals_cover_every_data_option():
    # imgcli.commands.image.volume refuses each ABSENT option with --volume: the table and
    # the parser must agree, or a new data option would pass silently.
    dests = {action.dest for action in imgcli_parser("image create")._actions}
    assert set(ABSENT) <= dests


@pytest.fixture
def glance(seed_cloud) -> DataGlance:
    return install_data(seed_cloud.mock, seed_cloud.images)


def test_a_bare_store_on_import_is_no_store_as_in_openstackclient(glance, run):
    image = glance.add()  # queued, as web-download needs it
    result = run(["image", "import", image["id"], "--method", "copy-image", "--store"])
    assert (result.code, result.err) == (
        2, "--method copy-image needs --store STORE or --all-stores\n")
    result = run(["image", "import", image["id"], "--method", "web-download",
                  "--uri", "http://files/x.img", "--store", "-f", "json"])
    assert result.code == 0, result.err
    assert json.loads(result.out)["id"] == image["id"]
    assert "stores" not in glance.bodies("POST")[-1]
