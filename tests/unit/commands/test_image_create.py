"""`image create NAME` (metadata only): the POST it sends, the record it prints, and bad
input refused before anything is sent."""

from __future__ import annotations

import json

import pytest

from tests.unit.fake_glance import OWN_PROJECT, ROOT, FakeGlance, install

NEW_ID = "5f2a9a3c-7d1e-4b8a-9c2d-0e1f2a3b4c5d"
PROJECT_ID = "3a16cadd069e4a70b95f71316ec6f3e8"


@pytest.fixture
def glance(seed_cloud) -> FakeGlance:
    return install(seed_cloud.mock, seed_cloud.images)


def test_the_options_become_one_post(glance, run):
    result = run(["image", "create", "new-image", "--id", NEW_ID, "--container-format", "ovf",
                  "--disk-format", "qcow2", "--min-disk", "10", "--min-ram", "512",
                  "--protected", "--community", "--property", "os_distro=ubuntu",
                  "--property", "empty=", "--property", "os_distro=debian", "--tag", "b",
                  "--tag", "a", "--tag", "b", "--project", PROJECT_ID, "-f", "json"])
    assert result.code == 0, result.err
    assert glance.sent == ["POST /v2/images"]
    assert glance.bodies("POST") == [{
        "os_distro": "debian", "empty": "", "name": "new-image", "container_format": "ovf",
        "disk_format": "qcow2", "id": NEW_ID, "min_disk": 10, "min_ram": 512,
        "visibility": "community", "protected": True, "tags": ["b", "a"],
        "owner": PROJECT_ID}]
    shown = json.loads(result.out)
    assert (shown["id"], shown["status"], shown["owner"]) == (NEW_ID, "queued", PROJECT_ID)
    assert shown["properties"] == {"os_hidden": False, "os_distro": "debian", "empty": ""}


def test_the_defaults_are_openstackclients(glance, run):
    assert run(["image", "create", "plain"]).code == 0
    assert glance.bodies("POST") == [{"name": "plain", "container_format": "bare",
                                      "disk_format": "raw"}]


def test_the_record_printed_is_the_one_show_prints(glance, run):
    created = run(["image", "create", "plain", "--tag", "x"])
    image_id = glance.images[-1]["id"]
    assert created.out == run(["image", "show", image_id]).out
    assert "| status           | queued" in created.out


def test_the_tokens_own_project_by_name_needs_no_lookup(glance, run):
    assert run(["image", "create", "plain", "--project", "admin"]).code == 0
    assert glance.bodies("POST")[0]["owner"] == OWN_PROJECT
    assert not [r for r in glance.mock.request_history if "/projects" in r.url]


@pytest.mark.parametrize(("args", "message"), [
    (["--min-disk", "-1"], "argument --min-disk: '-1' is negative"),
    (["--min-ram", "x"], "argument --min-ram: 'x' is not a whole number"),
    (["--property", "min_ram=5"],
     "argument --property: 'min_ram' is an image attribute, not a property: use --min-ram"),
    (["--property", "name=x"], "'name' is an image attribute, not a property: use the "
                               "<image-name> argument"),
    (["--property", "os_hidden=true"], "'os_hidden' is an image attribute, not a property: "
                                       "use imgcli image set --hidden or --unhidden"),
    (["--property", "size=1"], "'size' is a read-only image attribute, not a property"),
    (["--property", "os_glance_import_task=1"],
     "Glance reserves property names that start with 'os_glance_'"),
    (["--property", "novalue"], "expected KEY=VALUE, got 'novalue'"),
    (["--property", "=1"], "the property name is empty in '=1'"),
    (["--public", "--private"], "argument --private: not allowed with argument --public"),
    (["--protected", "--unprotected"], "not allowed with argument --protected"),
    (["--disk-format", "qcow3"], "argument --disk-format: invalid choice: 'qcow3'"),
    (["--id", "not-a-uuid"], "argument --id: 'not-a-uuid' is not an image ID"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_sent(glance, run, args, message):
    result = run(["image", "create", "new-image", *args])
    assert (result.code, result.out) == (2, "")
    assert message in result.err and result.err.count("\n") == 1
    assert glance.sent == []


def test_an_unknown_project_creates_nothing(glance, run):
    glance.mock.get("http://devstack-debug/identity/v3/projects", json={"projects": []})
    result = run(["image", "create", "new-image", "--project", "nobody"])
    assert (result.code, result.err) == (2, "no project named 'nobody' (--project)\n")
    assert glance.sent == []


def test_a_project_name_keystone_will_not_check_is_never_the_owner(glance, run):
    glance.mock.get("http://devstack-debug/identity/v3/projects", status_code=403,
                    json={"error": {"message": "no"}})
    result = run(["image", "create", "new-image", "--project", "demo"])
    assert result.code == 2
    assert "'demo' cannot be checked: give the project ID (--project)" in result.err
    assert glance.sent == []


def test_glances_refusal_is_its_own_words_on_one_line(glance, run):
    glance.mock.post(ROOT + "images", status_code=409,
                     text="<html><body><h1>409 Conflict</h1>Image ID "
                          f"{NEW_ID} already exists!</body></html>")
    result = run(["image", "create", "again", "--id", NEW_ID])
    assert result.code == 1
    assert result.err == (f"POST {ROOT}images failed: 409 Conflict: "
                          f"Image ID {NEW_ID} already exists!\n")


def test_create_is_never_retried(glance, run):
    glance.mock.post(ROOT + "images", status_code=503, text="busy")
    assert run(["image", "create", "once"]).code == 1
    assert glance.sent == ["POST /v2/images"]
