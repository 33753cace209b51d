"""`image save --expect-checksum` as a command (requests-mock): a malformed value is exit 2
before any request, a match saves, a mismatch is one line naming both values with the
destination as it was; and the resume command an interruption prints."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

import pytest

from imgcli.commands.image.save import global_options, resume_command
from tests.unit.fake_image_data import DataGlance, install_data

DATA = bytes(range(256)) * 9000 + b"tail"  # 2.2 MiB
SHA256 = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def glance(seed_cloud: Any) -> DataGlance:
    return install_data(seed_cloud.mock, seed_cloud.images)


def parts(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


@pytest.mark.parametrize("value", ["sha256", f"sha384:{SHA256}", "sha256:xyz",
                                   f"md5:{SHA256}"])
def test_a_malformed_checksum_is_exit_2_before_any_request(glance, run, tmp_path, value):
    image = glance.add(DATA)
    result = run(["image", "save", image["id"], "--file", str(tmp_path / "o"),
                  "--expect-checksum", value])
    assert result.code == 2 and result.err.count("\n") == 1
    assert result.err.startswith("--expect-checksum")
    assert glance.sent == [] and not (tmp_path / "o").exists()


def test_a_matching_checksum_saves_in_the_usual_two_requests(glance, run, tmp_path):
    image = glance.add(DATA)
    dest = tmp_path / "o.img"
    result = run(["image", "save", image["id"], "--file", str(dest), "--expect-checksum",
                  f"SHA256:{SHA256.upper()}"])
    assert (result.code, result.err) == (0, "")
    assert glance.sent == [f"GET /v2/images/{image['id']}", f"GET /v2/images/{image['id']}/file"]
    assert dest.read_bytes() == DATA


@pytest.mark.parametrize("existing", [b"the old image\n", None], ids=["existing", "new"])
def test_a_mismatch_is_one_line_with_both_values_and_the_file_as_it_was(
        glance, run, tmp_path, existing):
    image = glance.add(DATA)
    dest = tmp_path / "o.img"
    if existing is not None:
        dest.write_bytes(existing)
    wrong = hashlib.sha256(b"what the publisher released").hexdigest()
    result = run(["image", "save", image["id"], "--file", str(dest), "--expect-checksum",
                  f"sha256:{wrong}"])
    assert result.code == 1 and result.err.count("\n") == 1
    assert f"expected sha256:{wrong}, got sha256:{SHA256}" in result.err
    assert (dest.read_bytes() if dest.exists() else None) == existing
    assert parts(tmp_path) == []


def options(**given: Any) -> argparse.Namespace:
    from imgcli.config import OPTIONS

    values: dict[str, Any] = {option.name: None for option in OPTIONS}
    values.update(cloud=None, insecure=None, no_cache=False, trace=None)
    values.update(given)
    return argparse.Namespace(**values)


def test_the_resume_command_repeats_the_cloud_but_no_secret():
    given = options(cloud="east", region_name="RegionTwo", password="s3cret", token="tok",
                    application_credential_secret="acs", api_timeout=30.0, insecure=True,
                    no_cache=True, trace="/tmp/t.md")
    assert global_options(given) == ["--os-cloud", "east", "--os-region-name", "RegionTwo",
                                     "--timeout", "30", "--insecure", "--no-cache"]
    line = resume_command(given, "abc-123", "my image.img", ["ceph", "file"],
                          f"sha256:{SHA256}")
    assert line == ("imgcli --os-cloud east --os-region-name RegionTwo --timeout 30 "
                    "--insecure --no-cache image save abc-123 --file 'my image.img' "
                    "--store-preference ceph --store-preference file --expect-checksum "
                    f"sha256:{SHA256}")
    assert not any(secret in line for secret in ("s3cret", "tok", "acs", "t.md"))


def test_no_resume_command_for_stdout():
    assert resume_command(options(), "abc", None) is None
    assert resume_command(options(), "abc", "-") is None
    assert resume_command(None, "abc", "x.img") == "imgcli image save abc --file x.img"


# -- what an interruption outside the body says (the body's own: tests/faults) ------------------


def test_a_signal_during_the_name_look_up_says_nothing_was_written(glance, run, tmp_path,
                                                                   monkeypatch):
    import imgcli.resolve
    from imgcli.signals import Interrupted

    def stopped(*args: Any, **kwargs: Any) -> Any:
        raise Interrupted(15)

    monkeypatch.setattr(imgcli.resolve, "image_record", stopped)
    result = run(["image", "save", "some-name", "--file", str(tmp_path / "o.img")])
    assert result.code == 130  # in-process: cliff's; __main__ makes it 128 + 15
    assert result.err == ("interrupted by SIGTERM before the download started; nothing was "
                          "written\n")


def test_a_signal_while_the_get_waits_keeps_an_earlier_partial_with_the_command(
        glance, run, tmp_path, monkeypatch):
    import imgcli.api.images
    from imgcli.transfer.destination import part_path

    image = glance.add(DATA)
    dest = tmp_path / "o.img"
    part = Path(part_path(str(dest), image["id"]))
    part.write_bytes(DATA[:1000])  # what an earlier save kept
    part.chmod(0o600)

    def stopped(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(imgcli.api.images, "download", stopped)
    result = run(["image", "save", image["id"], "--file", str(dest)])
    assert result.code == 130
    assert result.err == (f"interrupted after 1000 bytes; {dest} was not created; the 1000 "
                          f"bytes are kept in {part}: resume with `imgcli image save "
                          f"{image['id']} --file {dest}`\n")
    assert part.read_bytes() == DATA[:1000] and not dest.exists()
