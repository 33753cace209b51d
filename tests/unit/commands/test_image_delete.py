"""`image delete`: one DELETE per ID, every image that can go goes, one line per failure and
a count."""

from __future__ import annotations

import pytest

from tests.unit.fake_glance import ROOT, FakeGlance, install

CIRROS_1 = "a3f1a9d6-0c54-47f7-96ca-641786ea5d68"
CIRROS_2 = "9c31f2c6-f22c-440e-b670-d8d5a5cc0405"


@pytest.fixture
def glance(seed_cloud) -> FakeGlance:
    return install(seed_cloud.mock, seed_cloud.images)


def test_delete_by_id_is_one_request(glance, run):
    result = run(["image", "delete", CIRROS_2])
    assert (result.code, result.out, result.err) == (0, "", "")
    assert glance.sent == [f"DELETE /v2/images/{CIRROS_2}"]
    assert glance.by_id(CIRROS_2) is None


def test_delete_by_name_looks_it_up_once(glance, run):
    assert run(["image", "delete", "cirros-0.5.1-x86_64-disk"]).code == 0
    assert [line.split("?")[0] for line in glance.sent] == [
        "GET /v2/images", f"DELETE /v2/images/{CIRROS_1}"]


def test_every_image_that_can_go_goes_and_each_failure_is_one_line(glance, run):
    locked = glance.add(name="locked image", protected=True)
    result = run(["image", "delete", "nope", CIRROS_1, "locked image", CIRROS_2])
    assert result.code == 1 and result.out == ""
    assert result.err.splitlines() == [
        "no image named or with ID 'nope'",
        "image 'locked image' is protected: run `imgcli image set --unprotected "
        "'locked image'` first",
        "2 of 4 images failed to delete.",
    ]
    assert glance.by_id(CIRROS_1) is None and glance.by_id(CIRROS_2) is None
    assert glance.by_id(locked["id"]) is locked


def test_an_id_that_is_gone_is_its_one_delete_and_not_tried_as_a_name(glance, run):
    gone = "0ddba11d-0000-4000-8000-000000000000"
    result = run(["image", "delete", gone])
    assert result.err == f"no image with ID '{gone}'\n"  # one image: no "1 of 1" line
    assert glance.sent == [f"DELETE /v2/images/{gone}"]


def test_two_images_of_one_name_delete_neither(glance, run):
    twin = glance.add(name="cirros-0.5.1-x86_64-disk", visibility="public")
    result = run(["image", "delete", "cirros-0.5.1-x86_64-disk"])
    assert result.code == 1
    assert twin["id"] in result.err and CIRROS_1 in result.err
    assert glance.by_id(CIRROS_1) is not None and glance.by_id(twin["id"]) is not None


def test_another_refusal_names_the_image_and_glances_words(glance, run):
    glance.mock.delete(f"{ROOT}images/{CIRROS_1}", status_code=409,
                       text="<html><body><h1>409 Conflict</h1>Image is in use</body></html>")
    result = run(["image", "delete", CIRROS_1])
    assert result.err.splitlines()[0] == (
        f"image '{CIRROS_1}' was not deleted: DELETE {ROOT}images/{CIRROS_1} failed: "
        "409 Conflict: Image is in use")


def test_refused_credentials_stop_at_once(glance, run):
    glance.mock.delete(f"{ROOT}images/{CIRROS_1}", status_code=401, text="no")
    result = run(["image", "delete", CIRROS_1, CIRROS_2])
    assert result.code == 3
    assert glance.by_id(CIRROS_2) is not None
    assert "failed to delete" not in result.err


def test_the_second_run_costs_only_the_delete(glance, run):
    run(["image", "delete", CIRROS_1])
    before = len(glance.mock.request_history)
    run(["image", "delete", CIRROS_2])
    assert [f"{r.method} {r.path}" for r in glance.mock.request_history[before:]] == [
        f"DELETE /image/v2/images/{CIRROS_2}"]
