"""The Image API functions (imgcli/images.py) and name-or-ID resolution (imgcli/resolve.py),
against requests-mock: the request each one sends, and what each costs in requests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from imgcli import resolve
from imgcli.api import images
from imgcli.errors import ApiError, AuthError, ImgcliError, NotFound

ROOT = "http://glance.test/image/v2/"
IMAGE_ID = "9c31f2c6-f22c-440e-b670-d8d5a5cc0405"
OTHER_ID = "53713cd4-241d-4b87-8dee-7619615f05e3"
NOT_FOUND_PAGE = ("<html><head><title>404 Not Found</title></head><body><h1>404 Not Found"
                  "</h1>No image found with ID x<br /><br /></body></html>")


@pytest.fixture
def conn() -> Any:
    from keystoneauth1 import session as ks_session
    from keystoneauth1 import token_endpoint

    from imgcli.config import resolve_settings
    from imgcli.connection import Connection, image_adapter

    settings = resolve_settings(None, {"OS_TOKEN": "t0ken", "OS_ENDPOINT": ROOT})
    session = ks_session.Session(auth=token_endpoint.Token(ROOT, "t0ken"))
    return Connection(session, image_adapter(settings, session), ROOT)


def image(name: str = "cirros", image_id: str = IMAGE_ID, **extra: Any) -> dict[str, Any]:
    return {"id": image_id, "name": name, "status": "active", **extra}


def queries(requests_mock: Any) -> list[str]:
    return [f"{r.method} {r.path_url}" for r in requests_mock.request_history]


def test_get_image_is_one_get(conn: Any, requests_mock: Any) -> None:
    requests_mock.get(ROOT + f"images/{IMAGE_ID}", json=image())
    assert images.get_image(conn, IMAGE_ID)["name"] == "cirros"
    assert queries(requests_mock) == [f"GET /image/v2/images/{IMAGE_ID}"]


def test_a_404_is_not_found_with_glances_words(conn: Any, requests_mock: Any) -> None:
    requests_mock.get(ROOT + f"images/{IMAGE_ID}", status_code=404, text=NOT_FOUND_PAGE,
                      headers={"Content-Type": "text/html"})
    with pytest.raises(NotFound) as caught:
        images.get_image(conn, IMAGE_ID)
    assert str(caught.value) == (f"GET {ROOT}images/{IMAGE_ID} failed: 404 Not Found: "
                                 "No image found with ID x")


@pytest.mark.parametrize(("status", "kind"), [(401, AuthError), (403, ApiError),
                                              (409, ApiError), (500, ApiError)])
def test_other_refusals_name_method_and_status(conn: Any, requests_mock: Any, status: int,
                                               kind: type) -> None:
    requests_mock.delete(ROOT + f"images/{IMAGE_ID}", status_code=status,
                         json={"error": {"message": "said no"}})
    with pytest.raises(kind) as caught:
        images.delete_image(conn, IMAGE_ID)
    assert not isinstance(caught.value, NotFound)
    assert str(caught.value).startswith(f"DELETE {ROOT}images/{IMAGE_ID} failed: {status} ")
    assert "said no" in str(caught.value)


def test_an_id_with_a_slash_stays_one_path_segment(conn: Any, requests_mock: Any) -> None:
    requests_mock.get(ROOT + "images/a%2Fb", json=image())
    images.get_image(conn, "a/b")
    assert queries(requests_mock) == ["GET /image/v2/images/a%2Fb"]


def test_update_is_one_json_patch(conn: Any, requests_mock: Any) -> None:
    requests_mock.patch(ROOT + f"images/{IMAGE_ID}", json=image(name="new"))
    patch = [{"op": "replace", "path": "/name", "value": "new"},
             {"op": "add", "path": "/tags", "value": ["a"]}]
    assert images.update_image(conn, IMAGE_ID, patch)["name"] == "new"
    sent = requests_mock.last_request
    assert sent.headers["Content-Type"] == "application/openstack-images-v2.1-json-patch"
    assert json.loads(sent.body) == patch


def test_create_is_sent_once_even_on_503(conn: Any, requests_mock: Any) -> None:
    """A retried POST could make a second image: only idempotent requests are retried."""
    requests_mock.post(ROOT + "images", status_code=503, text="busy")
    with pytest.raises(ApiError, match="POST .* failed: 503"):
        images.create_image(conn, {"name": "x"})
    assert requests_mock.call_count == 1


def test_create_expects_201(conn: Any, requests_mock: Any) -> None:
    requests_mock.post(ROOT + "images", status_code=201, json=image(status="queued"))
    assert images.create_image(conn, {"name": "cirros"})["status"] == "queued"
    assert requests_mock.last_request.json() == {"name": "cirros"}


def test_member_calls(conn: Any, requests_mock: Any) -> None:
    base = ROOT + f"images/{IMAGE_ID}/members"
    member = {"image_id": IMAGE_ID, "member_id": "p1", "status": "pending"}
    requests_mock.post(base, json=member)
    requests_mock.get(base, json={"members": [member]})
    requests_mock.get(base + "/p1", json=member)
    requests_mock.put(base + "/p1", json={**member, "status": "accepted"})
    requests_mock.delete(base + "/p1", status_code=204)
    assert images.add_member(conn, IMAGE_ID, "p1") == member
    assert images.list_members(conn, IMAGE_ID) == [member]
    assert images.get_member(conn, IMAGE_ID, "p1") == member
    assert images.update_member(conn, IMAGE_ID, "p1", "accepted")["status"] == "accepted"
    images.remove_member(conn, IMAGE_ID, "p1")
    bodies = [r.json() if r.body else None for r in requests_mock.request_history]
    assert bodies == [{"member": "p1"}, None, None, {"status": "accepted"}, None]


def test_a_members_reply_without_a_list_is_an_error(conn: Any, requests_mock: Any) -> None:
    requests_mock.get(ROOT + f"images/{IMAGE_ID}/members", json={"members": "p1"})
    with pytest.raises(ApiError, match="no list of members"):
        images.list_members(conn, IMAGE_ID)


def test_a_reply_that_is_not_json_is_one_error(conn: Any, requests_mock: Any) -> None:
    requests_mock.get(ROOT + f"images/{IMAGE_ID}", text="<html>",
                      headers={"Content-Type": "text/html"})
    with pytest.raises(ApiError, match=r"the reply is not JSON \(text/html\)"):
        images.get_image(conn, IMAGE_ID)


def test_download_asks_for_a_range_only_when_resuming(conn: Any, requests_mock: Any) -> None:
    requests_mock.get(ROOT + f"images/{IMAGE_ID}/file", content=b"data")
    images.download(conn, IMAGE_ID)
    assert "Range" not in requests_mock.last_request.headers
    images.download(conn, IMAGE_ID, offset=1024)
    assert requests_mock.last_request.headers["Range"] == "bytes=1024-"


# --- resolve: what each form of argument costs -------------------------------------------

def by_name(requests_mock: Any, found: list[dict[str, Any]],
            hidden: list[dict[str, Any]] | None = None) -> None:
    def reply(request: Any, context: Any) -> dict[str, Any]:
        return {"images": hidden or [] if "os_hidden=true" in request.url else found}

    requests_mock.get(ROOT + "images", json=reply)


def test_record_by_id_costs_one_request(conn: Any, requests_mock: Any) -> None:
    requests_mock.get(ROOT + f"images/{IMAGE_ID}", json=image())
    assert resolve.image_record(conn, IMAGE_ID)["id"] == IMAGE_ID
    assert requests_mock.call_count == 1


def test_record_by_name_costs_one_filtered_request(conn: Any, requests_mock: Any) -> None:
    by_name(requests_mock, [image()])
    assert resolve.image_record(conn, "cirros")["id"] == IMAGE_ID
    # Glance's default listing: no visibility or member_status widens it (README).
    assert queries(requests_mock) == ["GET /image/v2/images?name=cirros"]


def test_a_share_command_also_finds_shares_not_accepted(conn: Any, requests_mock: Any) -> None:
    by_name(requests_mock, [image()])
    assert resolve.image_record(conn, "cirros", shares=True)["id"] == IMAGE_ID
    assert queries(requests_mock) == ["GET /image/v2/images?name=cirros&member_status=all"]


def test_a_hidden_image_is_asked_for_only_when_nothing_else_matches(
        conn: Any, requests_mock: Any) -> None:
    by_name(requests_mock, [], hidden=[image()])
    assert resolve.image_record(conn, "cirros")["id"] == IMAGE_ID
    assert queries(requests_mock)[-1].endswith("&os_hidden=true")
    assert requests_mock.call_count == 2


def test_an_id_that_is_not_found_is_not_tried_as_a_name(conn: Any,
                                                        requests_mock: Any) -> None:
    """Another project may name an image like an ID the caller cannot see."""
    requests_mock.get(ROOT + f"images/{OTHER_ID}", status_code=404)
    by_name(requests_mock, [image(name=OTHER_ID)])
    with pytest.raises(NotFound, match=f"^no image with ID '{OTHER_ID}'$"):
        resolve.image_record(conn, OTHER_ID)
    assert queries(requests_mock) == [f"GET /image/v2/images/{OTHER_ID}"]


def test_no_match_names_the_argument(conn: Any, requests_mock: Any) -> None:
    by_name(requests_mock, [])
    with pytest.raises(NotFound) as caught:
        resolve.image_record(conn, "nope")
    assert str(caught.value) == "no image named or with ID 'nope'"


def test_two_matches_list_their_ids(conn: Any, requests_mock: Any) -> None:
    by_name(requests_mock, [image(), image(image_id=OTHER_ID)])
    with pytest.raises(ApiError) as caught:
        resolve.image_record(conn, "cirros")
    assert str(caught.value) == (f"2 images are named 'cirros' ({OTHER_ID}, {IMAGE_ID}): "
                                 "give the ID instead")


def test_on_image_with_an_id_sends_only_the_call(conn: Any, requests_mock: Any) -> None:
    requests_mock.delete(ROOT + f"images/{IMAGE_ID}", status_code=204)
    resolve.on_image(conn, IMAGE_ID, lambda i: images.delete_image(conn, i))
    assert queries(requests_mock) == [f"DELETE /image/v2/images/{IMAGE_ID}"]


def test_on_image_with_a_name_looks_it_up_once(conn: Any, requests_mock: Any) -> None:
    by_name(requests_mock, [image()])
    requests_mock.delete(ROOT + f"images/{IMAGE_ID}", status_code=204)
    resolve.on_image(conn, "cirros", lambda i: images.delete_image(conn, i))
    assert [q.split("?")[0] for q in queries(requests_mock)] == [
        "GET /image/v2/images", f"DELETE /image/v2/images/{IMAGE_ID}"]


def test_on_image_keeps_the_calls_own_404(conn: Any, requests_mock: Any) -> None:
    """The image exists but the member does not: that 404 is the one to report."""
    requests_mock.delete(ROOT + f"images/{IMAGE_ID}/members/p1", status_code=404,
                         text="Member p1 not found")
    by_name(requests_mock, [])
    requests_mock.get(ROOT + f"images/{IMAGE_ID}", json=image())
    with pytest.raises(NotFound, match="members/p1 failed: 404 Not Found: Member p1"):
        resolve.on_image(conn, IMAGE_ID, lambda i: images.remove_member(conn, i, "p1"),
                         own_404=True)
    assert [q.split("?")[0] for q in queries(requests_mock)] == [
        f"DELETE /image/v2/images/{IMAGE_ID}/members/p1", f"GET /image/v2/images/{IMAGE_ID}"]


def test_on_image_with_an_unknown_id_sends_only_the_call(conn: Any,
                                                        requests_mock: Any) -> None:
    requests_mock.delete(ROOT + f"images/{IMAGE_ID}", status_code=404)
    by_name(requests_mock, [image(name=IMAGE_ID, image_id=OTHER_ID)])
    with pytest.raises(NotFound, match=f"^no image with ID '{IMAGE_ID}'$"):
        resolve.on_image(conn, IMAGE_ID, lambda i: images.delete_image(conn, i))
    assert queries(requests_mock) == [f"DELETE /image/v2/images/{IMAGE_ID}"]


def test_on_image_with_an_unknown_id_and_a_call_that_may_404(conn: Any,
                                                            requests_mock: Any) -> None:
    requests_mock.delete(ROOT + f"images/{IMAGE_ID}/members/p1", status_code=404)
    requests_mock.get(ROOT + f"images/{IMAGE_ID}", status_code=404)
    by_name(requests_mock, [image(name=IMAGE_ID, image_id=OTHER_ID)])
    with pytest.raises(NotFound, match=f"^no image with ID '{IMAGE_ID}'$"):
        resolve.on_image(conn, IMAGE_ID, lambda i: images.remove_member(conn, i, "p1"),
                         shares=True, own_404=True)
    assert "GET /image/v2/images" not in [q.split("?")[0] for q in queries(requests_mock)]


# --- image data: sent once, whatever the answer ------------------------------------------

@pytest.mark.parametrize("status, headers", [
    (503, {}),  # the adapter retries a 503 for other requests
    (401, {}),  # keystoneauth would fetch a new token and send again
    (307, {"Location": ROOT + "elsewhere"}),  # and follow a redirect with the same body
])
def test_upload_is_sent_once(conn: Any, requests_mock: Any, status: int,
                             headers: dict[str, str]) -> None:
    sends: list[bytes] = []

    def body() -> Any:
        sends.append(b"")
        yield b"image data"

    requests_mock.put(ROOT + f"images/{IMAGE_ID}/file", status_code=status, headers=headers,
                      text="no")
    requests_mock.put(ROOT + "elsewhere", status_code=204)
    with pytest.raises(ImgcliError, match=f"PUT .*/file failed: {status}"):
        images.upload(conn, IMAGE_ID, body())
    assert queries(requests_mock) == [f"PUT /image/v2/images/{IMAGE_ID}/file"]


def test_upload_headers_and_stage(conn: Any, requests_mock: Any) -> None:
    requests_mock.put(ROOT + f"images/{IMAGE_ID}/stage", status_code=204)
    images.upload(conn, IMAGE_ID, b"data", stage=True, size=4)
    sent = requests_mock.last_request
    assert sent.headers["Content-Type"] == "application/octet-stream"
    assert sent.headers["X-OpenStack-Image-Size"] == "4"
    requests_mock.put(ROOT + f"images/{IMAGE_ID}/file", status_code=204)
    images.upload(conn, IMAGE_ID, b"data")
    assert "X-OpenStack-Image-Size" not in requests_mock.last_request.headers


def test_download_prefers_stores_with_glances_prefer_query(conn: Any,
                                                           requests_mock: Any) -> None:
    requests_mock.get(ROOT + f"images/{IMAGE_ID}/file", content=b"data")
    images.download(conn, IMAGE_ID, prefer=["fs2", "fs"])
    assert queries(requests_mock) == [f"GET /image/v2/images/{IMAGE_ID}/file?prefer=fs2%2Cfs"]
