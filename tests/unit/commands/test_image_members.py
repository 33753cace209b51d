"""`image add project`, `image remove project`, `image member list`, `image member get`
against the seed cloud with a small model of Glance's members API: each command's requests
(with a warm token cache), its output as openstackclient prints it, and each refusal as one
line with nothing changed."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.conftest import AUTH_URL, IMAGE_URL

SHARED_ID = "53713cd4-241d-4b87-8dee-7619615f05e3"  # trove-guest-ubuntu-focal, shared
PUBLIC_ID = "a3f1a9d6-0c54-47f7-96ca-641786ea5d68"  # cirros-0.5.1-x86_64-disk, public
ADMIN_ID = "a5362cbd04fd4783a038d5a342d58e87"  # the token's own project
DEMO_ID = "dba368b46ea14ab3ad85e572224e761a"
UNKNOWN_ID = "0b9f0a34-5b7e-4a73-a9c2-3f4b1a2c9d00"
MEMBERS = IMAGE_URL + f"/v2/images/{SHARED_ID}/members"
PROJECTS = AUTH_URL + "/v3/projects"
RECORD_KEYS = ["created_at", "image_id", "member_id", "schema", "status", "updated_at"]


class Glance:
    """Glance's members API as the real one answers (glance/api/v2/image_members.py)."""

    def __init__(self, images: list[dict[str, Any]]) -> None:
        self.images = {image["id"]: image for image in images}
        self.members: dict[str, dict[str, dict[str, Any]]] = {}
        self.mock: Any = None  # requests-mock, for the request history

    def member(self, image_id: str, project: str) -> dict[str, Any]:
        return {"created_at": "2026-11-30T09:26:14Z", "image_id": image_id,
                "member_id": project, "schema": "/v2/schemas/member", "status": "pending",
                "updated_at": "2026-11-30T09:26:14Z"}

    def __call__(self, request: Any, context: Any) -> Any:
        parts = request.path.split("/images/", 1)[1].split("/")
        image = self.images.get(parts[0])
        if image is None:
            context.status_code = 404
            return {"message": f"Image {parts[0]} not found."}
        members = self.members.setdefault(image["id"], {})
        if image.get("visibility") != "shared":
            context.status_code = 403 if request.method in ("POST", "DELETE") else 404
            return {"message": "Not allowed to create members for image "
                               f"{image['id']}." if request.method == "POST"
                    else "Only shared images have members."}
        if request.method == "POST":
            project = request.json()["member"]
            if project in members:
                context.status_code = 409
                return {"message": f"Member {project} is duplicated for image {image['id']}"}
            members[project] = self.member(image["id"], project)
            return members[project]
        if len(parts) == 2:
            return {"members": list(members.values()), "schema": "/v2/schemas/members"}
        if parts[2] not in members:
            context.status_code = 404
            return {"message": f"{parts[2]} not found in the member list of the image "
                               f"{image['id']}."}
        if request.method == "DELETE":
            del members[parts[2]]
            context.status_code = 204
            return None
        return members[parts[2]]


@pytest.fixture
def glance(seed_cloud: Any, run: Any) -> Glance:
    """The seed cloud with members, a Keystone that knows `demo`, and a warm token cache."""
    model = Glance(seed_cloud.images)
    members_url = re.compile(re.escape(IMAGE_URL) + r"/v2/images/[^/?]+/members.*")
    for method in ("GET", "POST", "DELETE"):
        seed_cloud.mock.register_uri(method, members_url, json=model)
    seed_cloud.mock.get(re.compile(re.escape(IMAGE_URL) + r"/v2/images/[^/?]+$"),
                        json=lambda request, context: image_or_404(model, request, context))

    def projects(request: Any, context: Any) -> dict[str, Any]:
        known = {"demo": DEMO_ID, "admin": ADMIN_ID}
        name = request.qs.get("name", [""])[0]
        return {"projects": [{"id": known[name], "name": name}] if name in known else []}

    seed_cloud.mock.get(PROJECTS, json=projects)
    assert run(["image", "list"]).code == 0  # token and image endpoint now cached
    seed_cloud.mock.reset_mock()
    model.mock = seed_cloud.mock
    return model


def image_or_404(model: Glance, request: Any, context: Any) -> Any:
    image = model.images.get(request.path.rsplit("/", 1)[1])
    if image is None:
        context.status_code = 404
        return {"message": "No image found"}
    return image


def made(glance: Glance) -> list[str]:
    return [f"{r.method} {r.url.split('?')[0]}" for r in glance.mock.request_history]


def one_line(result: Any) -> str:
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    return lines[0]


# --- add project -----------------------------------------------------------------------

def test_add_by_ids_is_one_post(glance, run):
    result = run(["image", "add", "project", SHARED_ID, DEMO_ID, "-f", "json"])
    assert result.code == 0, result.err
    assert made(glance) == [f"POST {MEMBERS}"]
    assert glance.mock.request_history[0].json() == {"member": DEMO_ID}
    assert json.loads(result.out) == glance.member(SHARED_ID, DEMO_ID)
    assert list(json.loads(result.out)) == RECORD_KEYS


def test_add_prints_openstackclients_field_value_table(glance, run):
    result = run(["image", "add", "project", SHARED_ID, DEMO_ID])
    assert result.out == (
        "+------------+--------------------------------------+\n"
        "| Field      | Value                                |\n"
        "+------------+--------------------------------------+\n"
        "| created_at | 2026-11-30T09:26:14Z                 |\n"
        f"| image_id   | {SHARED_ID} |\n"
        f"| member_id  | {DEMO_ID}     |\n"
        "| schema     | /v2/schemas/member                   |\n"
        "| status     | pending                              |\n"
        "| updated_at | 2026-11-30T09:26:14Z                 |\n"
        "+------------+--------------------------------------+\n")


def test_add_by_names_is_one_lookup_each_then_the_post(glance, run):
    result = run(["image", "add", "project", "trove-guest-ubuntu-focal", "demo"])
    assert result.code == 0, result.err
    assert made(glance) == [f"GET {PROJECTS}", f"GET {IMAGE_URL}/v2/images",
                            f"POST {MEMBERS}"]
    assert glance.mock.request_history[0].qs == {"name": ["demo"]}
    assert glance.members[SHARED_ID].keys() == {DEMO_ID}


def test_the_tokens_own_project_costs_nothing(glance, run):
    assert run(["image", "add", "project", SHARED_ID, "admin"]).code == 0
    assert made(glance) == [f"POST {MEMBERS}"]
    assert glance.members[SHARED_ID].keys() == {ADMIN_ID}


def test_project_domain_narrows_the_lookup(glance, run):
    glance.mock.get(AUTH_URL + "/v3/domains", json={"domains": [{"id": "dom1"}]})
    result = run(["image", "add", "project", SHARED_ID, "demo", "--project-domain", "Other"])
    assert result.code == 0, result.err
    lookup = [r for r in glance.mock.request_history if r.path.endswith("/projects")][0]
    assert lookup.qs == {"name": ["demo"], "domain_id": ["dom1"]}


def test_an_image_named_like_an_id_is_not_found_by_that_name(glance, run, seed_cloud):
    """An ID that answers 404 is not tried as a name: another project may choose names."""
    seed_cloud.images.append({"id": "11111111-2222-3333-4444-555555555555", "name": UNKNOWN_ID,
                              "visibility": "shared", "status": "active"})
    glance.images = {image["id"]: image for image in seed_cloud.images}
    result = run(["image", "add", "project", UNKNOWN_ID, DEMO_ID])
    assert (result.code, one_line(result)) == (1, f"no image with ID '{UNKNOWN_ID}'")
    assert made(glance) == [f"POST {IMAGE_URL}/v2/images/{UNKNOWN_ID}/members"]


def test_a_private_or_public_image_says_to_share_it_first(glance, run):
    result = run(["image", "add", "project", "cirros-0.5.1-x86_64-disk", DEMO_ID])
    assert result.code == 1
    assert one_line(result) == (
        "image 'cirros-0.5.1-x86_64-disk' is public, and Glance adds members only to shared "
        "images: run `imgcli image set --shared cirros-0.5.1-x86_64-disk` first")
    assert glance.members.get(PUBLIC_ID, {}) == {}
    assert result.out == ""


def test_the_share_hint_quotes_a_name_for_the_shell(glance, run, seed_cloud):
    seed_cloud.images[0]["name"] = "my image"
    result = run(["image", "add", "project", "my image", DEMO_ID])
    assert one_line(result).endswith("run `imgcli image set --shared 'my image'` first")


def test_a_member_added_twice_is_glances_409_in_one_line(glance, run):
    run(["image", "add", "project", SHARED_ID, DEMO_ID])
    result = run(["image", "add", "project", SHARED_ID, DEMO_ID])
    assert result.code == 1
    assert one_line(result) == (f"POST {MEMBERS} failed: 409 Conflict: Member {DEMO_ID} is "
                                f"duplicated for image {SHARED_ID}")
    assert len(glance.members[SHARED_ID]) == 1


def test_an_unknown_image_changes_nothing(glance, run):
    result = run(["image", "add", "project", "no-such-image", DEMO_ID])
    assert (result.code, one_line(result)) == (1, "no image named or with ID 'no-such-image'")
    assert not any(m.startswith("POST") for m in made(glance))


def test_an_unknown_image_id_is_reported_after_its_one_request(glance, run):
    result = run(["image", "add", "project", UNKNOWN_ID, DEMO_ID])
    assert (result.code, one_line(result)) == (1, f"no image with ID '{UNKNOWN_ID}'")
    assert made(glance).count(f"POST {IMAGE_URL}/v2/images/{UNKNOWN_ID}/members") == 1


def test_an_ambiguous_image_name_lists_the_ids_and_changes_nothing(glance, run, seed_cloud):
    twin = {**seed_cloud.images[1], "id": "99999999-8888-7777-6666-555555555555"}
    seed_cloud.images.append(twin)
    result = run(["image", "add", "project", "trove-guest-ubuntu-focal", DEMO_ID])
    assert result.code == 1
    assert one_line(result) == (
        "2 images are named 'trove-guest-ubuntu-focal' (53713cd4-241d-4b87-8dee-7619615f05e3, "
        "99999999-8888-7777-6666-555555555555): give the ID instead")
    assert not any(m.startswith("POST") for m in made(glance))


def test_an_unknown_project_changes_nothing_and_asks_glance_nothing(glance, run):
    result = run(["image", "add", "project", SHARED_ID, "ghost"])
    assert (result.code, one_line(result)) == (2, "no project named 'ghost' (<project>)")
    assert made(glance) == [f"GET {PROJECTS}"]


def test_an_ambiguous_project_changes_nothing(glance, run):
    glance.mock.get(PROJECTS, json={"projects": [{"id": "a" * 32}, {"id": "b" * 32}]})
    result = run(["image", "add", "project", SHARED_ID, "twin"])
    assert result.code == 2 and "add --project-domain" in one_line(result)
    assert made(glance) == [f"GET {PROJECTS}"]


def test_a_user_who_may_not_list_projects_never_sends_a_name_as_a_member(glance, run):
    glance.mock.get(PROJECTS, status_code=403, json={"error": {"code": 403}})
    result = run(["image", "add", "project", SHARED_ID, "other"])
    assert result.code == 2
    assert one_line(result) == ("Keystone does not let this user look up projects by name, "
                                "so 'other' cannot be checked: give the project ID (<project>)")
    assert made(glance) == [f"GET {PROJECTS}"]
    assert glance.members.get(SHARED_ID, {}) == {}


def test_with_an_endpoint_a_project_name_cannot_be_looked_up(glance, run):
    result = run(["--os-token", "t0ken", "--os-endpoint", IMAGE_URL,
                  "image", "add", "project", SHARED_ID, "demo"])
    assert result.code == 2
    assert one_line(result).startswith(
        "looking up project 'demo' by name (<project>) needs Keystone")
    assert made(glance) == []


# --- remove project ----------------------------------------------------------------------

def test_remove_by_ids_is_one_delete_and_prints_nothing(glance, run):
    run(["image", "add", "project", SHARED_ID, DEMO_ID])
    glance.mock.reset_mock()
    result = run(["image", "remove", "project", SHARED_ID, DEMO_ID])
    assert (result.code, result.out, result.err) == (0, "", "")
    assert made(glance) == [f"DELETE {MEMBERS}/{DEMO_ID}"]
    assert glance.members[SHARED_ID] == {}


def test_remove_by_names(glance, run):
    run(["image", "add", "project", SHARED_ID, DEMO_ID])
    glance.mock.reset_mock()
    assert run(["image", "remove", "project", "trove-guest-ubuntu-focal", "demo"]).code == 0
    assert made(glance) == [f"GET {PROJECTS}", f"GET {IMAGE_URL}/v2/images",
                            f"DELETE {MEMBERS}/{DEMO_ID}"]


def test_removing_a_project_that_is_not_a_member_is_an_error(glance, run):
    result = run(["image", "remove", "project", SHARED_ID, DEMO_ID])
    assert result.code == 1
    assert one_line(result) == (
        f"DELETE {MEMBERS}/{DEMO_ID} failed: 404 Not Found: {DEMO_ID} not found in the member "
        f"list of the image {SHARED_ID}.")


def test_remove_from_an_unknown_image(glance, run):
    result = run(["image", "remove", "project", "no-such-image", DEMO_ID])
    assert (result.code, one_line(result)) == (1, "no image named or with ID 'no-such-image'")
    assert not any(m.startswith("DELETE") for m in made(glance))


# --- member list -------------------------------------------------------------------------

def test_member_list_by_id_is_one_get(glance, run):
    run(["image", "add", "project", SHARED_ID, DEMO_ID])
    run(["image", "add", "project", SHARED_ID, ADMIN_ID])
    glance.mock.reset_mock()
    result = run(["image", "member", "list", SHARED_ID])
    assert result.code == 0, result.err
    assert made(glance) == [f"GET {MEMBERS}"]
    assert result.out == (
        "+--------------------------------------+----------------------------------+---------+\n"
        "| Image ID                             | Member ID                        | Status  |\n"
        "+--------------------------------------+----------------------------------+---------+\n"
        f"| {SHARED_ID} | {DEMO_ID} | pending |\n"
        f"| {SHARED_ID} | {ADMIN_ID} | pending |\n"
        "+--------------------------------------+----------------------------------+---------+\n")


def test_member_list_json_keys_and_name_lookup(glance, run):
    run(["image", "add", "project", SHARED_ID, DEMO_ID])
    glance.mock.reset_mock()
    result = run(["image", "member", "list", "trove-guest-ubuntu-focal", "-f", "json"])
    assert json.loads(result.out) == [
        {"Image ID": SHARED_ID, "Member ID": DEMO_ID, "Status": "pending"}]
    assert made(glance) == [f"GET {IMAGE_URL}/v2/images", f"GET {MEMBERS}"]


def test_member_list_of_an_image_without_members(glance, run):
    result = run(["image", "member", "list", SHARED_ID, "-f", "csv"])
    assert (result.code, result.out) == (0, '"Image ID","Member ID","Status"\n')


def test_member_list_accepts_project_domain_as_openstackclient_does(glance, run):
    result = run(["image", "member", "list", SHARED_ID, "--project-domain", "Default"])
    assert result.code == 0 and made(glance) == [f"GET {MEMBERS}"]


# --- member get --------------------------------------------------------------------------

def test_member_get_by_ids_is_one_get(glance, run):
    run(["image", "add", "project", SHARED_ID, DEMO_ID])
    glance.mock.reset_mock()
    result = run(["image", "member", "get", SHARED_ID, DEMO_ID, "-f", "json"])
    assert result.code == 0, result.err
    assert made(glance) == [f"GET {MEMBERS}/{DEMO_ID}"]
    assert json.loads(result.out) == glance.member(SHARED_ID, DEMO_ID)


def test_member_get_resolves_a_project_name(glance, run):
    run(["image", "add", "project", SHARED_ID, DEMO_ID])
    glance.mock.reset_mock()
    result = run(["image", "member", "get", SHARED_ID, "demo", "-f", "value", "-c", "status"])
    assert (result.code, result.out) == (0, "pending\n")
    assert made(glance) == [f"GET {PROJECTS}", f"GET {MEMBERS}/{DEMO_ID}"]


def test_member_get_of_a_project_that_is_not_a_member(glance, run):
    result = run(["image", "member", "get", SHARED_ID, DEMO_ID])
    assert result.code == 1
    assert one_line(result).endswith(f"{DEMO_ID} not found in the member list of the image "
                                     f"{SHARED_ID}.")

