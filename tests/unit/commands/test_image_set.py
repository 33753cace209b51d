"""`image set` and `image unset`: the JSON-Patch each sends, the requests each costs, and bad
input refused with nothing changed."""

from __future__ import annotations

import pytest

from imgcli.commands.image.set import pointer, set_patch, unset_patch
from imgcli.errors import ApiError
from tests.unit.fake_glance import OWN_PROJECT, ROOT, FakeGlance, install

IMAGE_ID = "9c31f2c6-f22c-440e-b670-d8d5a5cc0405"  # the seed's cirros-0.5.2, public, active
MEMBER = "3a16cadd069e4a70b95f71316ec6f3e8"


@pytest.fixture
def glance(seed_cloud) -> FakeGlance:
    return install(seed_cloud.mock, seed_cloud.images)


def image(glance: FakeGlance) -> dict:
    found = glance.by_id(IMAGE_ID)
    assert found is not None
    return found


# ------------------------------------------------------------------ the patch

def test_attributes_by_id_are_one_patch_and_no_read(glance, run):
    result = run(["image", "set", IMAGE_ID, "--name", "renamed", "--min-disk", "2",
                  "--min-ram", "0", "--container-format", "ovf", "--disk-format", "raw",
                  "--unprotected", "--shared", "--unhidden", "--property", "a=1",
                  "--architecture", "x86_64", "--instance-id", "i-1", "--kernel-id", "k",
                  "--os-distro", "ubuntu", "--os-version", "22.04", "--ramdisk-id", "r"])
    assert (result.code, result.out, result.err) == (0, "", "")
    assert glance.sent == [f"PATCH /v2/images/{IMAGE_ID}"]
    replaced = ["name", "min_disk", "min_ram", "container_format", "disk_format",
                "visibility", "protected", "os_hidden"]
    added = ["architecture", "instance_uuid", "kernel_id", "os_distro", "os_version",
             "ramdisk_id", "a"]
    assert [(op["op"], op["path"]) for op in glance.bodies("PATCH")[0]] == [
        *(("replace", f"/{key}") for key in replaced), *(("add", f"/{key}") for key in added)]
    after = image(glance)
    assert (after["name"], after["min_disk"], after["visibility"], after["os_hidden"],
            after["instance_uuid"], after["a"]) == ("renamed", 2, "shared", False, "i-1", "1")
    last = glance.mock.last_request
    assert last.headers["Content-Type"] == "application/openstack-images-v2.1-json-patch"


def test_tags_are_added_to_the_current_list_read_first(glance, run):
    image(glance)["tags"] = ["old", "keep"]
    assert run(["image", "set", IMAGE_ID, "--tag", "new", "--tag", "old",
                "--tag", "new"]).code == 0
    assert glance.sent == [f"GET /v2/images/{IMAGE_ID}", f"PATCH /v2/images/{IMAGE_ID}"]
    assert glance.bodies("PATCH") == [[{"op": "replace", "path": "/tags",
                                        "value": ["old", "keep", "new"]}]]


def test_by_name_the_lookup_is_the_patch_base(glance, run):
    assert run(["image", "set", "cirros-0.5.2-x86_64-disk", "--min-ram", "64",
                "--property", "hw_rng_model=virtio", "--property", "new=1"]).code == 0
    assert [line.split("?")[0] for line in glance.sent] == [
        "GET /v2/images", f"PATCH /v2/images/{IMAGE_ID}"]
    # hw_rng_model already has that value: not sent; new is added, min_ram replaced.
    assert glance.bodies("PATCH") == [[{"op": "replace", "path": "/min_ram", "value": 64},
                                       {"op": "add", "path": "/new", "value": "1"}]]


def test_a_change_to_what_the_image_already_has_sends_no_patch(glance, run):
    assert run(["image", "set", "cirros-0.5.2-x86_64-disk", "--public"]).code == 0
    assert [line.split("?")[0] for line in glance.sent] == ["GET /v2/images"]


def test_nothing_to_change_still_checks_the_image(glance, run):
    assert run(["image", "set", IMAGE_ID]).code == 0
    assert glance.sent == [f"GET /v2/images/{IMAGE_ID}"]
    result = run(["image", "set", "no-such-image"])
    assert (result.code, result.err) == (1, "no image named or with ID 'no-such-image'\n")


def test_project_without_a_membership_flag_changes_the_owner(glance, run):
    assert run(["image", "set", IMAGE_ID, "--project", MEMBER]).code == 0
    assert glance.bodies("PATCH") == [[{"op": "replace", "path": "/owner", "value": MEMBER}]]


def test_an_unknown_id_is_reported_after_its_one_request(glance, run):
    missing = "0ddba11d-0000-4000-8000-000000000000"
    result = run(["image", "set", missing, "--name", "x"])
    assert (result.code, result.err) == (1, f"no image with ID '{missing}'\n")
    assert glance.sent == [f"PATCH /v2/images/{missing}"]


def test_an_image_named_like_an_id_is_not_found_by_that_name(glance, run):
    named = glance.add(name="0ddba11d-0000-4000-8000-000000000000", visibility="public")
    result = run(["image", "set", "0ddba11d-0000-4000-8000-000000000000", "--name", "x"])
    assert (result.code, result.err) == (
        1, "no image with ID '0ddba11d-0000-4000-8000-000000000000'\n")
    assert named["name"] == "0ddba11d-0000-4000-8000-000000000000"


def test_the_second_run_costs_only_the_patch(glance, run):
    run(["image", "set", IMAGE_ID, "--name", "a"])
    before = len(glance.mock.request_history)
    run(["image", "set", IMAGE_ID, "--name", "b"])
    assert [f"{r.method} {r.path}" for r in glance.mock.request_history[before:]] == [
        f"PATCH /image/v2/images/{IMAGE_ID}"]


@pytest.mark.parametrize(("changes", "tags", "record", "patch"), [
    ({"name": "n", "x": "1"}, [], None,
     [{"op": "replace", "path": "/name", "value": "n"},
      {"op": "add", "path": "/x", "value": "1"}]),
    ({"x": "1", "y": "2"}, ["t"], {"x": "0", "y": "2", "tags": ["t"]},
     [{"op": "replace", "path": "/x", "value": "1"}]),
    ({"protected": True}, [], {"protected": 1}, [{"op": "replace", "path": "/protected",
                                                  "value": True}]),
    ({"a/b~c": "v"}, [], {}, [{"op": "add", "path": "/a~1b~0c", "value": "v"}]),
    ({}, ["b", "a"], {"tags": ["a"]}, [{"op": "replace", "path": "/tags",
                                        "value": ["a", "b"]}]),
])
def test_set_patch(changes, tags, record, patch):
    assert set_patch(changes, tags, record) == patch


def test_pointer_escapes_tilde_before_slash():
    assert pointer("~1/") == "/~01~1"


# ------------------------------------------------------------------ actions and membership

def test_deactivate_by_id_is_one_post(glance, run):
    assert run(["image", "set", IMAGE_ID, "--deactivate"]).code == 0
    assert glance.sent == [f"POST /v2/images/{IMAGE_ID}/actions/deactivate"]
    assert image(glance)["status"] == "deactivated"
    assert run(["image", "set", IMAGE_ID, "--activate"]).code == 0
    assert image(glance)["status"] == "active"


def test_a_refused_action_alone_is_glances_line(glance, run):
    queued = glance.add(name="q", visibility="public")
    result = run(["image", "set", queued["id"], "--deactivate"])
    assert result.code == 1
    assert result.err.endswith("failed: 403 Forbidden: Not allowed to deactivate image in "
                               "status 'queued'\n")


def test_an_action_with_changes_is_checked_first_and_nothing_changes(glance, run):
    queued = glance.add(name="q", visibility="public")
    result = run(["image", "set", queued["id"], "--activate", "--name", "renamed"])
    assert result.code == 1
    assert result.err == (f"image '{queued['id']}' is queued: Glance takes --activate only "
                          "for an image that is active or deactivated; nothing changed\n")
    assert glance.sent == [f"GET /v2/images/{queued['id']}"]
    assert queued["name"] == "q"


def test_changes_go_before_deactivation(glance, run):
    assert run(["image", "set", IMAGE_ID, "--deactivate", "--property", "why=broken"]).code == 0
    assert [line.split(" ")[0] + " " + line.rsplit("/", 1)[-1] for line in glance.sent] == [
        f"GET {IMAGE_ID}", f"PATCH {IMAGE_ID}", "POST deactivate"]
    assert (image(glance)["status"], image(glance)["why"]) == ("deactivated", "broken")


def test_a_step_refused_after_another_says_what_was_done(glance, run):
    glance.mock.post(f"{ROOT}images/{IMAGE_ID}/actions/deactivate", status_code=403,
                     text="<html><body><h1>403 Forbidden</h1>Policy forbids</body></html>")
    result = run(["image", "set", IMAGE_ID, "--deactivate", "--name", "renamed"])
    assert result.code == 1
    assert result.err.endswith("403 Forbidden: Policy forbids (already done: attributes "
                               "changed)\n")


def test_accept_updates_the_tokens_own_membership(glance, run):
    shared = glance.add(name="s", visibility="shared", owner=MEMBER)
    glance.members[(shared["id"], OWN_PROJECT)] = "pending"
    assert run(["image", "set", shared["id"], "--accept"]).code == 0
    assert glance.sent == [f"GET /v2/images/{shared['id']}",
                           f"PUT /v2/images/{shared['id']}/members/{OWN_PROJECT}"]
    assert glance.members[(shared["id"], OWN_PROJECT)] == "accepted"
    assert glance.bodies("PATCH") == []


def test_project_with_a_membership_flag_names_the_member(glance, run):
    shared = glance.add(name="s", visibility="shared")
    glance.members[(shared["id"], MEMBER)] = "accepted"
    assert run(["image", "set", shared["id"], "--pending", "--project", MEMBER]).code == 0
    assert glance.members[(shared["id"], MEMBER)] == "pending"
    assert shared["owner"] == OWN_PROJECT


def test_accept_on_an_image_that_is_not_shared_changes_nothing(glance, run):
    result = run(["image", "set", IMAGE_ID, "--accept", "--name", "renamed"])
    assert result.code == 1
    assert result.err == (f"image '{IMAGE_ID}' is public, not shared: it has no members, so "
                          "there is no membership to set to accepted; nothing changed\n")
    assert glance.sent == [f"GET /v2/images/{IMAGE_ID}"]


def test_accept_on_an_image_not_shared_with_you(glance, run):
    shared = glance.add(name="s", visibility="shared", owner=MEMBER)
    result = run(["image", "set", "s", "--accept"])
    assert result.code == 1
    assert result.err == (f"image 's' is not shared with project {OWN_PROJECT}: there is no "
                          "membership to set to accepted; nothing changed\n")
    assert shared["name"] == "s"


# ------------------------------------------------------------------ bad options

@pytest.mark.parametrize(("args", "message"), [
    (["--activate", "--deactivate"], "not allowed with argument --activate"),
    (["--accept", "--reject"], "not allowed with argument --accept"),
    (["--hidden", "--unhidden"], "not allowed with argument --hidden"),
    (["--public", "--community"], "not allowed with argument --public"),
    (["--min-disk", "-5"], "argument --min-disk: '-5' is negative"),
    (["--property", "min_disk=5"], "'min_disk' is an image attribute, not a property: use "
                                   "--min-disk"),
    (["--property", "os_glance_x=1"], "Glance reserves property names that start with "
                                      "'os_glance_'"),
    (["--property", "checksum=x"], "'checksum' is a read-only image attribute"),
    (["--os-distro", "a", "--property", "os_distro=b"],
     "--os-distro 'a' and --property os_distro='b' set the same property: give one"),
    (["--container-format", "zip"], "argument --container-format: invalid choice: 'zip'"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_sent(glance, run, args, message):
    result = run(["image", "set", IMAGE_ID, *args])
    assert (result.code, result.out) == (2, "")
    assert message in result.err and result.err.count("\n") == 1
    assert glance.sent == []


def test_an_unknown_project_changes_nothing(glance, run):
    glance.mock.get("http://devstack-debug/identity/v3/projects", json={"projects": []})
    result = run(["image", "set", IMAGE_ID, "--project", "nobody", "--name", "x"])
    assert (result.code, result.err) == (2, "no project named 'nobody' (--project)\n")
    assert glance.sent == []


def test_a_project_name_keystone_will_not_check_is_never_sent(glance, run):
    glance.mock.get("http://devstack-debug/identity/v3/projects", status_code=403,
                    json={"error": {"message": "no"}})
    for flag in ([], ["--accept"]):
        result = run(["image", "set", IMAGE_ID, "--project", "demo", *flag])
        assert result.code == 2
        assert "'demo' cannot be checked: give the project ID (--project)" in result.err
    assert glance.sent == []


def test_a_conflict_is_found_before_the_project_look_up(glance, run):
    result = run(["image", "set", IMAGE_ID, "--project", "demo", "--os-distro", "a",
                  "--property", "os_distro=b"])
    assert result.code == 2 and "give one" in result.err
    assert [r.url for r in glance.mock.request_history if "/projects" in r.url] == []


def test_glances_refusal_of_the_patch_is_one_line(glance, run):
    glance.mock.patch(f"{ROOT}images/{IMAGE_ID}", status_code=413,
                      text="<html><body><h1>413</h1>Attempted to add 1 properties: over the "
                           "limit of 128</body></html>")
    result = run(["image", "set", IMAGE_ID, "--property", "one=more"])
    assert result.code == 1
    assert result.err.count("\n") == 1 and "over the limit of 128" in result.err


# ------------------------------------------------------------------ unset

def test_unset_is_one_read_and_one_patch(glance, run):
    image(glance).update(tags=["a", "b", "c"], extra="1", other="2")
    result = run(["image", "unset", IMAGE_ID, "--property", "extra", "--tag", "b",
                  "--property", "other", "--tag", "a", "--property", "extra"])
    assert (result.code, result.out, result.err) == (0, "", "")
    assert glance.sent == [f"GET /v2/images/{IMAGE_ID}", f"PATCH /v2/images/{IMAGE_ID}"]
    assert glance.bodies("PATCH") == [[{"op": "remove", "path": "/extra"},
                                       {"op": "remove", "path": "/other"},
                                       {"op": "replace", "path": "/tags", "value": ["c"]}]]
    assert "extra" not in image(glance) and image(glance)["tags"] == ["c"]


def test_unset_what_the_image_lacks_names_it_and_changes_nothing(glance, run):
    image(glance).update(tags=["a"], extra="1")
    result = run(["image", "unset", "cirros-0.5.2-x86_64-disk", "--property", "extra",
                  "--property", "nope", "--tag", "a", "--tag", "gone"])
    assert result.code == 1
    assert result.err == ("image 'cirros-0.5.2-x86_64-disk' has no property 'nope' and no tag "
                          "'gone': nothing changed\n")
    assert glance.bodies("PATCH") == []
    assert image(glance)["extra"] == "1"


@pytest.mark.parametrize(("args", "message"), [
    (["--property", "name"], "'name' is an image attribute, not a property: use imgcli "
                             "image set --name"),
    (["--property", "os_glance_import_task"], "Glance reserves property names"),
    (["--property", "size"], "'size' is a read-only image attribute"),
])
def test_unset_of_an_attribute_is_refused_before_any_request(glance, run, args, message):
    result = run(["image", "unset", IMAGE_ID, *args])
    assert result.code == 2 and message in result.err
    assert glance.sent == []


def test_unset_nothing_reads_the_image_only(glance, run):
    assert run(["image", "unset", IMAGE_ID]).code == 0
    assert glance.sent == [f"GET /v2/images/{IMAGE_ID}"]


def test_unset_patch_removes_each_property_once():
    record = {"id": "x", "a": "1", "tags": ["t", "u"]}
    assert unset_patch(record, "x", ["a", "a"], ["t"]) == [
        {"op": "remove", "path": "/a"}, {"op": "replace", "path": "/tags", "value": ["u"]}]
    with pytest.raises(ApiError, match="has no tag 'v'"):
        unset_patch(record, "x", [], ["v"])
