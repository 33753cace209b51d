"""Finding 1, "another project can substitute the data of a save", against requests-mock: a
name is looked for only in Glance's default listing (own, public, accepted shares), the
share commands alone also find shares not accepted, and an ID that answers 404 is never
tried as a name. The same attacks on the real cloud:
tests/integration/test_name_spoofing_real.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.unit.fake_glance import OWN_PROJECT, ROOT
from tests.unit.fake_image_data import DataGlance, install_data

OTHER_PROJECT = "0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f"  # the project planting names
MEMBER = "dba368b46ea14ab3ad85e572224e761a"  # a project ID: costs no Keystone request
UNSEEN_ID = "0ddba11d-0000-4000-8000-000000000000"  # no image the caller can see
THEIRS = b"the other project's data" * 1000
OURS = b"the public image's data" * 1000
PUBLIC_OWNER = "a1a1a1a1a1a14a1a8a1a1a1a1a1a1a1a"  # the cloud's admin, who publishes


def listing(glance: DataGlance, request: Any, context: Any) -> dict[str, Any]:
    """GET /v2/images as Glance answers a member of OWN_PROJECT (db/sqlalchemy/api.py):
    without a visibility, community images only when owned; shares only in member_status
    (default accepted); hidden images only with os_hidden=true."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
    status = query.get("member_status", "accepted")
    hidden = query.get("os_hidden") == "true"

    def seen(image: dict[str, Any]) -> bool:
        own, visibility = image["owner"] == OWN_PROJECT, image["visibility"]
        member = glance.glance.members.get((image["id"], OWN_PROJECT))
        if visibility == "shared" and not own:
            shared_with_us = member is not None and status in ("all", member)
        else:
            shared_with_us = False
        allowed = own or visibility in ("public", "community") or shared_with_us
        if query.get("visibility") not in (None, "all"):
            allowed = allowed and visibility == query["visibility"]
        elif query.get("visibility") is None and visibility == "community":
            allowed = allowed and own
        return allowed and bool(image.get("os_hidden")) == hidden and \
            image.get("name") == query.get("name", image.get("name"))

    return {"images": [image for image in glance.glance.images if seen(image)]}


def members_404(glance: DataGlance, request: Any, context: Any) -> dict[str, Any]:
    """The members API for an image Glance does not show: its 404."""
    context.status_code = 404
    return {"message": f"No image found with ID {request.path.split('/')[4]}"}


@pytest.fixture
def glance(seed_cloud: Any) -> DataGlance:
    """Another project's pending share and community image, a public image, and an image
    of the other project's named like an ID the caller cannot see."""
    seed_cloud.images.clear()
    model = install_data(seed_cloud.mock, seed_cloud.images)
    seed_cloud.mock.get(ROOT + "images",
                        json=lambda request, context: listing(model, request, context))
    members = re.compile(re.escape(ROOT) + r"images/[^/]+/members(/[^/]+)?$")
    for method in ("GET", "POST", "DELETE"):
        seed_cloud.mock.register_uri(method, members,
                                     json=lambda request, context: members_404(model, request,
                                                                               context))
    share = model.add(THEIRS, name="aud-golden-base", visibility="shared", owner=OTHER_PROJECT)
    model.glance.members[(share["id"], OWN_PROJECT)] = "pending"
    model.add(THEIRS, name="community-base", visibility="community", owner=OTHER_PROJECT)
    model.add(THEIRS, name=UNSEEN_ID, visibility="community", owner=OTHER_PROJECT)
    model.add(OURS, name="cirros", visibility="public", owner=PUBLIC_OWNER)
    renamed = model.add(THEIRS, name="cirros", visibility="shared", owner=OTHER_PROJECT)
    model.glance.members[(renamed["id"], OWN_PROJECT)] = "pending"
    return model


def label(value: Any) -> str:
    """A test ID: the command and its options, without names, IDs and paths."""
    if not (isinstance(value, list) and value[:1] == ["image"]):
        return ""
    return " ".join(a for a in value[1:] if re.fullmatch(r"--[a-z-]+|[a-z]{3,}", a))


def named(glance: DataGlance, name: str) -> list[dict[str, Any]]:
    return [image for image in glance.glance.images if image["name"] == name]


def name_queries(glance: DataGlance) -> list[dict[str, list[str]]]:
    return [parse_qs(line.partition("?")[2]) for line in glance.sent
            if line.startswith("GET /v2/images?")]


# ------------------------------------------------------------------ the attacks

@pytest.mark.parametrize("name", ["aud-golden-base", "community-base"])
def test_save_of_a_planted_name_fails_and_writes_nothing(glance, run, tmp_path, name):
    dest = tmp_path / "g.img"
    result = run(["image", "save", name, "--file", str(dest)])
    assert (result.code, result.err) == (1, f"no image named or with ID '{name}'\n")
    assert not dest.exists() and list(tmp_path.glob("g.img*")) == []
    assert not any(line.endswith("/file") for line in glance.sent)


@pytest.mark.parametrize("name", ["aud-golden-base", "community-base"])
def test_show_of_a_planted_name_is_no_image(glance, run, name):
    result = run(["image", "show", name])
    assert (result.code, result.out) == (1, "")
    assert result.err == f"no image named or with ID '{name}'\n"


def test_an_image_named_like_an_unseen_id_is_not_that_id(glance, run):
    result = run(["image", "show", UNSEEN_ID])
    assert (result.code, result.out, result.err) == (1, "", f"no image with ID '{UNSEEN_ID}'\n")
    assert glance.sent == [f"GET /v2/images/{UNSEEN_ID}"]


def test_a_pending_share_renamed_like_a_public_image_does_not_hide_it(glance, run):
    public = next(i for i in named(glance, "cirros") if i["visibility"] == "public")
    result = run(["image", "show", "cirros", "-f", "value", "-c", "id"])
    assert (result.code, result.out, result.err) == (0, public["id"] + "\n", "")


def test_accept_finds_a_pending_share_by_name(glance, run):
    share = named(glance, "aud-golden-base")[0]
    result = run(["image", "set", "aud-golden-base", "--accept"])
    assert (result.code, result.err) == (0, "")
    assert glance.glance.members[(share["id"], OWN_PROJECT)] == "accepted"
    assert glance.sent[0] == "GET /v2/images?name=aud-golden-base&member_status=all"


def test_once_accepted_the_share_is_found_by_name_everywhere(glance, run, tmp_path):
    share = named(glance, "aud-golden-base")[0]
    glance.glance.members[(share["id"], OWN_PROJECT)] = "accepted"
    dest = tmp_path / "g.img"
    assert run(["image", "save", "aud-golden-base", "--file", str(dest)]).code == 0
    assert dest.read_bytes() == THEIRS


# ------------------------------------------------------------------ the queries sent

def test_list_marker_name_uses_the_default_listing(glance, run):
    result = run(["image", "list", "--marker", "community-base"])
    assert (result.code, result.err) == (1, "no image named or with ID 'community-base'\n")
    assert name_queries(glance)[0] == {"name": ["community-base"]}


@pytest.mark.parametrize("args", [
    ["image", "show", "nothing-named-this"],
    ["image", "save", "nothing-named-this", "--file", "{tmp}/out.img"],
    ["image", "delete", "nothing-named-this"],
    ["image", "set", "nothing-named-this", "--name", "x"],
    ["image", "set", "nothing-named-this", "--tag", "x"],
    ["image", "unset", "nothing-named-this", "--tag", "x"],
    ["image", "stage", "nothing-named-this", "--file", "{tmp}/in.img"],
    ["image", "import", "nothing-named-this"],
    ["image", "list", "--marker", "nothing-named-this"],
], ids=label)
def test_a_name_is_looked_for_in_the_default_listing_only(glance, run, tmp_path, args):
    (tmp_path / "in.img").write_bytes(b"data")
    result = run([arg.format(tmp=tmp_path) for arg in args])
    assert result.code == 1 and "no image named or with ID 'nothing-named-this'" in result.err
    queries = name_queries(glance)
    assert queries == [{"name": ["nothing-named-this"]},
                       {"name": ["nothing-named-this"], "os_hidden": ["true"]}]


@pytest.mark.parametrize("args", [
    ["image", "set", "nothing-named-this", "--accept"],
    ["image", "set", "nothing-named-this", "--reject"],
    ["image", "set", "nothing-named-this", "--pending", "--project", MEMBER],
    ["image", "add", "project", "nothing-named-this", MEMBER],
    ["image", "remove", "project", "nothing-named-this", MEMBER],
    ["image", "member", "list", "nothing-named-this"],
    ["image", "member", "get", "nothing-named-this", MEMBER],
], ids=label)
def test_the_share_commands_also_find_shares_not_accepted(glance, run, args):
    result = run(args)
    assert (result.code, result.err) == (1, "no image named or with ID 'nothing-named-this'\n")
    assert name_queries(glance) == [
        {"name": ["nothing-named-this"], "member_status": ["all"]},
        {"name": ["nothing-named-this"], "member_status": ["all"], "os_hidden": ["true"]}]


# ------------------------------------------------------------------ an ID is only an ID

@pytest.mark.parametrize("args, sent", [
    (["image", "show", UNSEEN_ID], [f"GET /v2/images/{UNSEEN_ID}"]),
    (["image", "save", UNSEEN_ID, "--file", "{tmp}/out.img"], [f"GET /v2/images/{UNSEEN_ID}"]),
    (["image", "delete", UNSEEN_ID], [f"DELETE /v2/images/{UNSEEN_ID}"]),
    (["image", "set", UNSEEN_ID, "--name", "x"], [f"PATCH /v2/images/{UNSEEN_ID}"]),
    (["image", "set", UNSEEN_ID, "--deactivate"], [f"POST /v2/images/{UNSEEN_ID}/actions/"
                                                   "deactivate"]),
    (["image", "set", UNSEEN_ID, "--accept"], [f"GET /v2/images/{UNSEEN_ID}"]),
    (["image", "unset", UNSEEN_ID, "--tag", "x"], [f"GET /v2/images/{UNSEEN_ID}"]),
    (["image", "stage", UNSEEN_ID, "--file", "{tmp}/in.img"],
     [f"PUT /v2/images/{UNSEEN_ID}/stage"]),
    (["image", "import", UNSEEN_ID], [f"POST /v2/images/{UNSEEN_ID}/import"]),
    (["image", "add", "project", UNSEEN_ID, MEMBER], [f"POST /v2/images/{UNSEEN_ID}/members"]),
    (["image", "member", "list", UNSEEN_ID], [f"GET /v2/images/{UNSEEN_ID}/members"]),
    # A member's 404 may be the member's own: one GET of the image tells which.
    (["image", "member", "get", UNSEEN_ID, MEMBER],
     [f"GET /v2/images/{UNSEEN_ID}/members/{MEMBER}", f"GET /v2/images/{UNSEEN_ID}"]),
    (["image", "remove", "project", UNSEEN_ID, MEMBER],
     [f"DELETE /v2/images/{UNSEEN_ID}/members/{MEMBER}", f"GET /v2/images/{UNSEEN_ID}"]),
], ids=label)
def test_an_id_that_answers_404_sends_no_name_query(glance, run, tmp_path: Path, args, sent):
    (tmp_path / "in.img").write_bytes(b"data")
    result = run([arg.format(tmp=tmp_path) for arg in args])
    assert result.code == 1
    assert result.err.splitlines()[0] == f"no image with ID '{UNSEEN_ID}'"
    assert glance.sent == sent
    assert not (tmp_path / "out.img").exists()
