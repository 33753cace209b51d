"""`cached image list/queue/delete/clear`: openstackclient's output for the same reply, one
request per image (an ID costs no look-up), one line per failure, and a member's 403 or a
cloud without the cache as one line that stops the run."""

from __future__ import annotations

import json

import pytest

from tests.unit.commands.oracle_cache_tasks import (
    EXPECTED,
    REPLIES,
    ROOT,
    cases,
    forbidden_page,
    glance_sent,
)
from tests.unit.fake_glance import page

CIRROS_1 = "a3f1a9d6-0c54-47f7-96ca-641786ea5d68"  # cirros-0.5.1-x86_64-disk in the seed
CIRROS_2 = "9c31f2c6-f22c-440e-b670-d8d5a5cc0405"
GONE = "0ddba11d-0000-4000-8000-000000000000"
ADMIN_LINE = ("`imgcli cached image {verb}` needs the admin role: Glance's policy refused it "
              "for this user (403 Forbidden; by default only admin may do this)")
NO_CACHE = page(404, "Caching via API is not supported at this site.")


def not_found(request, context):
    """Glance's 404 for an image it does not have (queue_image_from_api)."""
    context.status_code = 404
    return page(404, f"Image {request.path.rsplit('/', 1)[1]} not found.")


@pytest.fixture
def cache_api(seed_cloud):
    """/v2/cache/{id} for the seed's images answers 202 (PUT) or 204 (DELETE); others 404."""
    mock = seed_cloud.mock
    for image_id in (CIRROS_1, CIRROS_2):
        mock.put(ROOT + f"cache/{image_id}", status_code=202)
        mock.delete(ROOT + f"cache/{image_id}", status_code=204)
    mock.put(ROOT + f"cache/{GONE}", text=not_found)
    mock.delete(ROOT + f"cache/{GONE}", text=not_found)
    mock.delete(ROOT + "cache", status_code=204)
    return seed_cloud


# ------------------------------------------------------------------ list


@pytest.mark.parametrize(("case", "args"), cases("cache", "cache_empty"))
def test_list_is_openstackclients(seed_cloud, run, case, args):
    seed_cloud.mock.get(ROOT + "cache", json=REPLIES[case])
    result = run(["cached", "image", "list", *args.split()])
    assert (result.code, result.out) == (0, EXPECTED[case][args]["out"])
    assert glance_sent(seed_cloud.mock) == ["GET /v2/cache"]


def test_list_as_a_member_says_it_needs_admin(seed_cloud, run):
    seed_cloud.mock.get(ROOT + "cache", status_code=403, text=forbidden_page())
    result = run(["cached", "image", "list"])
    assert (result.code, result.out, result.err) == (1, "", ADMIN_LINE.format(verb="list")
                                                     + "\n")


def test_list_without_the_cache_is_one_line(seed_cloud, run):
    seed_cloud.mock.get(ROOT + "cache", status_code=404, text=NO_CACHE)
    result = run(["cached", "image", "list"])
    assert (result.code, result.out) == (1, "")
    assert result.err.startswith("Glance's image cache is not enabled on this cloud")
    assert len(result.err.splitlines()) == 1


@pytest.mark.parametrize("reply", [
    {"cached_images": "x", "queued_images": []},
    {"queued_images": []},
    {"cached_images": [], "queued_images": [1]},
    {"cached_images": []},
    {"cached_images": [{"image_id": CIRROS_1, "hits": 0, "size": 1, "last_accessed": "today",
                        "last_modified": 0}], "queued_images": []},
])
def test_a_malformed_list_is_one_line(seed_cloud, run, reply):
    seed_cloud.mock.get(ROOT + "cache", text=json.dumps(reply))
    result = run(["cached", "image", "list"])
    assert (result.code, result.out) == (1, "")
    assert len(result.err.splitlines()) == 1 and "cache" in result.err


# ------------------------------------------------------------------ queue and delete


@pytest.mark.parametrize(("verb", "method"), [("queue", "PUT"), ("delete", "DELETE")])
def test_an_id_is_its_one_request(cache_api, run, verb, method):
    result = run(["cached", "image", verb, CIRROS_1])
    assert (result.code, result.out, result.err) == (0, "", "")
    assert glance_sent(cache_api.mock) == [f"{method} /v2/cache/{CIRROS_1}"]


@pytest.mark.parametrize(("verb", "method"), [("queue", "PUT"), ("delete", "DELETE")])
def test_a_name_is_looked_up_once(cache_api, run, verb, method):
    assert run(["cached", "image", verb, "cirros-0.5.1-x86_64-disk"]).code == 0
    assert [line.split("?")[0] for line in glance_sent(cache_api.mock)] == [
        "GET /v2/images", f"{method} /v2/cache/{CIRROS_1}"]


@pytest.mark.parametrize("verb", ["queue", "delete"])
def test_several_go_on_past_a_failure_and_end_with_the_count(cache_api, run, verb):
    result = run(["cached", "image", verb, CIRROS_1, GONE, "no-such-name", CIRROS_2])
    assert result.code == 1 and result.out == ""
    assert result.err.splitlines() == [
        f"no image with ID '{GONE}'",
        "no image named or with ID 'no-such-name'",
        f"2 of 4 images failed to {verb}."]
    assert f"{'PUT' if verb == 'queue' else 'DELETE'} /v2/cache/{CIRROS_2}" in \
        glance_sent(cache_api.mock)


@pytest.mark.parametrize("verb", ["queue", "delete"])
def test_a_single_failure_is_one_line(cache_api, run, verb):
    result = run(["cached", "image", verb, GONE])
    assert (result.code, result.err) == (1, f"no image with ID '{GONE}'\n")


def test_queueing_an_image_that_is_not_active_says_glances_reason(cache_api, run):
    cache_api.mock.put(ROOT + f"cache/{CIRROS_2}", status_code=400,
                       text=page(400, "Only images with status active can be targeted for "
                                      "queueing"))
    result = run(["cached", "image", "queue", CIRROS_2])
    assert result.err == (f"image '{CIRROS_2}' was not queued: PUT {ROOT}cache/{CIRROS_2} "
                          "failed: 400 Bad Request: Only images with status active can be "
                          "targeted for queueing\n")


@pytest.mark.parametrize(("verb", "method"), [("queue", "put"), ("delete", "delete")])
def test_a_member_is_told_once_and_nothing_more_is_sent(cache_api, run, verb, method):
    getattr(cache_api.mock, method)(ROOT + f"cache/{CIRROS_1}", status_code=403,
                                    text=forbidden_page())
    result = run(["cached", "image", verb, CIRROS_1, CIRROS_2])
    assert (result.code, result.err) == (1, ADMIN_LINE.format(verb=verb) + "\n")
    assert len(glance_sent(cache_api.mock)) == 1


@pytest.mark.parametrize(("verb", "method"), [("queue", "put"), ("delete", "delete")])
def test_a_cloud_without_the_cache_is_told_once(cache_api, run, verb, method):
    getattr(cache_api.mock, method)(ROOT + f"cache/{CIRROS_1}", status_code=404,
                                    text=NO_CACHE)
    result = run(["cached", "image", verb, CIRROS_1, CIRROS_2])
    assert result.code == 1 and len(result.err.splitlines()) == 1
    assert result.err.startswith("Glance's image cache is not enabled on this cloud")
    assert len(glance_sent(cache_api.mock)) == 1


def test_refused_credentials_stop_at_once(cache_api, run):
    cache_api.mock.delete(ROOT + f"cache/{CIRROS_1}", status_code=401, text="no")
    result = run(["cached", "image", "delete", CIRROS_1, CIRROS_2])
    assert result.code == 3 and "failed to delete" not in result.err
    # keystoneauth logs in again once after a 401; the second image is never tried
    assert set(glance_sent(cache_api.mock)) == {f"DELETE /v2/cache/{CIRROS_1}"}


@pytest.mark.parametrize("verb", ["queue", "delete"])
def test_no_image_is_a_usage_error(cache_api, run, verb):
    result = run(["cached", "image", verb])
    assert result.code == 2 and glance_sent(cache_api.mock) == []


# ------------------------------------------------------------------ clear


@pytest.mark.parametrize(("options", "target"), [
    ([], None), (["--cache"], "cache"), (["--queue"], "queue"),
    (["--cache", "--queue"], None), (["--queue", "--cache"], None)])
def test_clear_is_one_delete_with_its_target(cache_api, run, options, target):
    result = run(["cached", "image", "clear", *options])
    assert (result.code, result.out, result.err) == (0, "", "")
    [request] = [r for r in cache_api.mock.request_history if r.url.startswith(ROOT)]
    assert (request.method, request.url) == ("DELETE", ROOT + "cache")
    assert request.headers.get("x-image-cache-clear-target") == target


def test_clear_as_a_member_says_it_needs_admin(cache_api, run):
    cache_api.mock.delete(ROOT + "cache", status_code=403, text=forbidden_page())
    result = run(["cached", "image", "clear", "--queue"])
    assert (result.code, result.err) == (1, ADMIN_LINE.format(verb="clear") + "\n")


def test_clear_without_the_cache_is_one_line(cache_api, run):
    cache_api.mock.delete(ROOT + "cache", status_code=404, text=NO_CACHE)
    result = run(["cached", "image", "clear"])
    assert result.code == 1 and len(result.err.splitlines()) == 1
    assert "image cache is not enabled" in result.err


def test_the_token_cache_command_is_still_there(run, tmp_path):
    """`imgcli cache clear` (the token cache) is another command, untouched."""
    result = run(["cache", "clear"])
    assert result.code == 0 and result.out.startswith("removed 0 cached login(s)")
