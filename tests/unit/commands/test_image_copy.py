"""`image copy IMAGE --to-cloud CLOUD [--to-region REGION]` against two mocked clouds (the
source `one`, with RegionOne and RegionTwo behind one Keystone, and `two`): the requests each
cloud gets, the record printed in every format, --if-absent, the method chosen, and every
bad input refused with one line, nothing left behind."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import imgcli.transfer.importing as importing
from tests.unit.fake_clouds import Clouds

DATA = bytes(range(251)) * 9000


@pytest.fixture
def clouds(requests_mock: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Clouds:
    monkeypatch.setattr(importing.time, "sleep", lambda seconds: None)
    return Clouds(requests_mock, tmp_path)


@pytest.fixture
def image(clouds: Clouds) -> dict[str, Any]:
    return clouds.glance("one").add(DATA, name="golden", tags=["gold"], hw_disk_bus="scsi",
                                    visibility="private", min_disk=1)


def copy(run: Any, clouds: Clouds, *args: str) -> Any:
    return run(["--os-cloud", "one", "image", "copy", *args], env=clouds.env)


def test_a_stream_copy_prints_the_new_record_and_sends_five_requests(run, clouds, image):
    result = copy(run, clouds, image["id"], "--to-cloud", "two", "-f", "json")
    assert (result.code, result.err) == (0, "")
    shown = json.loads(result.out)
    target = clouds.glance("two")
    new = target.images[0]
    assert shown["id"] == new["id"] != image["id"]
    assert (shown["name"], shown["min_disk"], shown["tags"]) == ("golden", 1, ["gold"])
    assert shown["properties"]["hw_disk_bus"] == "scsi"
    assert shown["properties"]["os_hash_value"] == image["os_hash_value"]
    assert target.data[new["id"]] == DATA
    assert clouds.glance("one").sent == [f"GET /v2/images/{image['id']}",
                                         f"GET /v2/images/{image['id']}/file"]
    assert target.sent == ["POST /v2/images", f"PUT /v2/images/{new['id']}/file",
                           f"GET /v2/images/{new['id']}"]
    assert clouds.glance("one", "RegionTwo").sent == []  # no import info asked between clouds


def test_a_name_costs_one_lookup_and_name_renames(run, clouds, image):
    result = copy(run, clouds, "golden", "--to-cloud", "two", "--name", "golden-copy",
                  "-f", "value", "-c", "name")
    assert (result.code, result.out) == (0, "golden-copy\n")
    assert clouds.glance("one").sent[0] == "GET /v2/images?name=golden"


@pytest.mark.parametrize("form, check", [
    (["-f", "value", "-c", "status"], lambda out: out == "active\n"),
    (["-f", "shell", "-c", "status"], lambda out: out == 'status="active"\n'),
    (["-f", "yaml", "-c", "status"], lambda out: out == "status: active\n"),
    (["-c", "status"], lambda out: "| status | active |" in out),
])
def test_every_format_prints_the_record(run, clouds, image, form, check):
    result = copy(run, clouds, image["id"], "--to-cloud", "two", *form)
    assert result.code == 0 and check(result.out), result.out


# -------------------------------------------------------------- --if-absent


def test_if_absent_copies_nothing_when_the_target_has_the_same_data(run, clouds, image):
    there = clouds.glance("two").add(DATA, name="golden")
    result = copy(run, clouds, image["id"], "--to-cloud", "two", "--if-absent",
                  "-f", "value", "-c", "id")
    assert (result.code, result.out) == (0, f"{there['id']}\n")
    assert "nothing copied" in result.err
    assert clouds.glance("two").sent == ["GET /v2/images?name=golden",
                                         "GET /v2/images?name=golden&os_hidden=true"]
    assert clouds.glance("one").sent == [f"GET /v2/images/{image['id']}"]  # no data read


def test_if_absent_finds_a_hidden_copy_too(run, clouds, image):
    there = clouds.glance("two").add(DATA, name="golden", os_hidden=True)
    result = copy(run, clouds, image["id"], "--to-cloud", "two", "--if-absent",
                  "-f", "value", "-c", "id")
    assert (result.code, result.out) == (0, f"{there['id']}\n")


def test_if_absent_copies_when_the_same_name_holds_other_data(run, clouds, image):
    clouds.glance("two").add(DATA + b"other", name="golden")
    result = copy(run, clouds, image["id"], "--to-cloud", "two", "--if-absent")
    assert result.code == 0, result.err
    assert len(clouds.glance("two").named("golden")) == 2


# -------------------------------------------------------------- the method


def test_between_regions_of_one_keystone_glance_download_is_the_default(run, clouds, image):
    result = copy(run, clouds, image["id"], "--to-region", "RegionTwo", "-f", "json")
    assert result.code == 0, result.err
    target = clouds.glance("one", "RegionTwo")
    new = target.images[0]
    assert target.sent[:3] == ["GET /v2/info/import", "POST /v2/images",
                               f"POST /v2/images/{new['id']}/import"]
    assert clouds.glance("one").sent == [f"GET /v2/images/{image['id']}"]  # Glance fetched it
    assert json.loads(result.out)["properties"]["os_hash_value"] == image["os_hash_value"]


def test_method_stream_between_regions_goes_through_imgcli(run, clouds, image):
    result = copy(run, clouds, image["id"], "--to-region", "RegionTwo", "--method", "stream")
    assert result.code == 0, result.err
    assert "GET /v2/info/import" not in clouds.glance("one", "RegionTwo").sent
    assert clouds.glance("one").sent[-1] == f"GET /v2/images/{image['id']}/file"


def test_a_region_without_glance_download_gets_a_stream_by_default(run, clouds, image):
    clouds.glance("one", "RegionTwo").methods = ["glance-direct"]
    result = copy(run, clouds, image["id"], "--to-region", "RegionTwo")
    assert result.code == 0, result.err
    assert clouds.glance("one").sent[-1].endswith("/file")


def test_glance_download_not_offered_lists_what_is(run, clouds, image):
    clouds.glance("one", "RegionTwo").methods = ["glance-direct", "web-download"]
    result = copy(run, clouds, image["id"], "--to-region", "RegionTwo",
                  "--method", "glance-download")
    assert result.code == 1
    assert result.err.strip().endswith("does not offer the glance-download import; it offers: "
                                       "glance-direct, web-download (use --method stream)")
    assert clouds.glance("one", "RegionTwo").images == []


# -------------------------------------------------------------- bad input


def no_request(clouds: Clouds) -> bool:
    return clouds.mock.request_history == []


@pytest.mark.parametrize("args, message", [
    (["--to-cloud", "three"], "--to-cloud three: cloud 'three' not found in {yaml}; known "
                              "clouds: one, two"),
    (["--to-cloud", "one"], "the target is the source itself (same cloud, project and "
                            "region): give another --to-cloud or --to-region"),
    (["--to-region", "RegionOne"], "the target is the source itself (same cloud, project "
                                   "and region): give another --to-cloud or --to-region"),
    (["--to-cloud", "two", "--to-region", "RegionNine"],
     "--to-cloud two: region 'RegionNine' is not in cloud 'two'; its regions: RegionOne"),
    ([], "name the target: --to-cloud CLOUD (from clouds.yaml), --to-region REGION (another "
         "region of the source's cloud), or both"),
    (["--to-cloud", "two", "--method", "glance-download"],
     "--method glance-download works only between regions of one Keystone"),
    (["--to-cloud", "two", "--method", "scp"], "argument --method: invalid choice: 'scp'"),
])
def test_bad_input_is_one_line_before_any_request(run, clouds, image, args, message):
    result = copy(run, clouds, image["id"], *args)
    expected = message.format(yaml=clouds.env["OS_CLIENT_CONFIG_FILE"])
    assert result.code == 2
    assert result.err.count("\n") == 1 and expected in result.err, result.err
    assert no_request(clouds)


def test_several_source_clouds_are_refused_before_any_request(run, clouds, image):
    result = run(["--os-cloud", "one", "--os-cloud", "two", "image", "copy", image["id"],
                  "--to-cloud", "two"], env=clouds.env)
    assert result.code == 2
    assert result.err == ("imgcli image copy works on one cloud and region (copy and sync "
                          "take one source; the target is --to-cloud): only image list and "
                          "image show take --os-cloud one --os-cloud two\n")
    assert no_request(clouds)


@pytest.mark.parametrize("status", ["queued", "deactivated"])
def test_a_source_image_that_is_not_active_is_not_copied(run, clouds, status):
    image = clouds.glance("one").add(None, name="empty", status=status)
    result = copy(run, clouds, image["id"], "--to-cloud", "two")
    assert result.code == 1 and "there is nothing to copy" in result.err
    assert clouds.glance("two").sent == []


def test_a_source_that_answers_no_data_creates_nothing(run, clouds, image):
    clouds.glance("one").data.clear()  # the record says active; the GET answers 204
    result = copy(run, clouds, image["id"], "--to-cloud", "two")
    assert result.code == 1 and "has no data (the source answered 204)" in result.err
    assert clouds.glance("two").sent == []


def test_a_target_that_refuses_the_password_is_exit_3_and_named(run, clouds, image):
    clouds.clouds["two"].refuse_password = True
    result = copy(run, clouds, image["id"], "--to-cloud", "two")
    assert result.code == 3 and result.err.startswith("two: authentication failed")
    assert clouds.glance("two").sent == []


def test_a_target_that_refuses_the_token_is_exit_3(run, clouds, image):
    clouds.glance("two").refuse_token = True
    result = copy(run, clouds, image["id"], "--to-cloud", "two")
    assert result.code == 3 and result.err.startswith("two: POST http://two-glance/")
    assert clouds.glance("two").images == []


def test_a_full_target_413_deletes_the_half_made_image(run, clouds, image):
    glance = clouds.glance("two")
    glance.put_status, glance.put_message = 413, "Image storage media is full"
    result = copy(run, clouds, image["id"], "--to-cloud", "two")
    assert result.code == 1 and "413" in result.err and "Image storage media is full" in \
        result.err
    assert result.err.strip().endswith("was deleted") and glance.images == []


def test_a_public_image_the_target_will_not_publish_is_not_copied(run, clouds):
    image = clouds.glance("one").add(DATA, name="pub", visibility="public")
    clouds.glance("two").create_refusal = (
        403, "You are not authorized to complete publicize_image action.")
    result = copy(run, clouds, image["id"], "--to-cloud", "two")
    assert result.code == 1
    assert result.err == ("two refuses the new image (visibility public): You are not "
                          "authorized to complete publicize_image action.; nothing was "
                          "copied\n")


def test_the_target_comes_from_clouds_yaml_alone(run, clouds, image):
    # The source's OS_* credentials must not reach the target (they beat clouds.yaml in the
    # global options' order): cloud two still gets its own password.
    env = {**clouds.env, "OS_PASSWORD": clouds.clouds["one"].password}
    result = run(["--os-cloud", "one", "image", "copy", image["id"], "--to-cloud", "two"],
                 env=env)
    assert result.code == 0, result.err


def test_sigterm_mid_copy_deletes_the_target_image_and_says_so(run, clouds, image):
    from imgcli.signals import Interrupted

    def interrupted(request: Any, context: Any) -> str:
        next(iter(request.body))  # the first block went out
        raise Interrupted(15)

    target = clouds.glance("two")
    clouds.mock.put(re.compile(re.escape(target.root) + r"images/[^/]+/file$"), text=interrupted)
    result = copy(run, clouds, image["id"], "--to-cloud", "two")
    assert result.code == 130  # cliff's; __main__ makes it 143 (imgcli.signals.exit_status)
    assert re.fullmatch(r"interrupted by SIGTERM after \d+ of \d+ bytes of .* were sent; the "
                        r"half-made image \S+ was deleted\n", result.err), result.err
    assert target.images == [] and result.out == ""


def test_the_trace_holds_both_clouds_each_request_marked(run, clouds, image, tmp_path):
    trace, har = tmp_path / "copy.md", tmp_path / "copy.har"
    for path in (trace, har):
        result = copy(run, clouds, image["id"], "--to-cloud", "two", "--no-cache", "--trace",
                      str(path))
        assert result.code == 0, result.err
    text = trace.read_text()
    assert "participant one_glance as one glance-api" in text
    assert "participant two_glance as two glance-api" in text
    assert "the image data; one glance-api answered 200 OK" in text
    assert "the image data, uploaded; two glance-api answered 204 No Content" in text
    assert f"<image data: {len(DATA)} bytes, application/octet-stream, sha512 " \
           f"{image['os_hash_value']}>" in text
    entries = json.loads(har.read_text())["log"]["entries"]
    assert {(entry["request"]["url"].split("/")[2], entry["_cloud"]) for entry in entries} == {
        ("one-keystone", "one"), ("one-glance", "one"), ("two-keystone", "two"),
        ("two-glance", "two")}
    for password in clouds.passwords:
        assert password not in text and password not in har.read_text()


def test_a_one_cloud_trace_has_no_cloud_marks(run, clouds, image, tmp_path):
    result = run(["--os-cloud", "one", "--trace", str(tmp_path / "t.har"), "image", "show",
                  image["id"]], env=clouds.env)
    assert result.code == 0
    entries = json.loads((tmp_path / "t.har").read_text())["log"]["entries"]
    assert entries and all("_cloud" not in entry for entry in entries)
