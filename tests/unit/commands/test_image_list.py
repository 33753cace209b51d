"""`image list` options → the exact Glance query; paging; bad input."""

from __future__ import annotations

import io
from urllib.parse import unquote

import pytest

from imgcli.api.images import next_page_url
from tests.conftest import IMAGE_URL, PASSWORD, TOKEN, glance_page

TAIL = "sort=name:asc,created_at:desc,id:desc&limit=1000"


def list_query_of(seed_cloud, run, *args: str) -> str:
    result = run(["image", "list", *args])
    assert result.code == 0, result.err
    listing = [r for r in seed_cloud.mock.request_history if "/v2/images" in r.url][-1]
    return unquote(listing.url.split("?", 1)[1])


@pytest.mark.parametrize("args, query", [
    ([], TAIL),
    (["--public"], "visibility=public&" + TAIL),
    (["--private"], "visibility=private&" + TAIL),
    (["--community"], "visibility=community&" + TAIL),
    (["--shared"], "visibility=shared&" + TAIL),
    (["--all"], "visibility=all&" + TAIL),
    (["--name", "cirros"], "name=cirros&" + TAIL),
    (["--status", "active"], "status=active&" + TAIL),
    (["--member-status", "Pending"], "member_status=pending&" + TAIL),
    (["--project", "3a16cadd069e4a70b95f71316ec6f3e8"],
     "owner=3a16cadd069e4a70b95f71316ec6f3e8&" + TAIL),
    (["--tag", "a", "--tag", "b"], "tag=a&tag=b&" + TAIL),
    (["--hidden"], "os_hidden=true&" + TAIL),
    (["--property", "os_distro=ubuntu", "--property", "hw_rng_model=virtio"],
     "os_distro=ubuntu&hw_rng_model=virtio&" + TAIL),
    (["--property", "empty="], "empty=&" + TAIL),
    (["--sort", "size:desc"], "sort=size:desc,created_at:desc,id:desc&limit=1000"),
    (["--sort", "name,size:desc,id"], "sort=name:asc,size:desc,id:asc,created_at:desc&limit=1000"),
    (["--sort", "created_at:asc"], "sort=created_at:asc,id:desc&limit=1000"),
    (["--limit", "2"], "sort=name:asc,created_at:desc,id:desc&limit=2"),
    (["--max-items", "5", "--limit", "7"], "sort=name:asc,created_at:desc,id:desc&limit=5"),
    (["--page-size", "50"], "sort=name:asc,created_at:desc,id:desc&limit=50"),
    (["--marker", "9c31f2c6-f22c-440e-b670-d8d5a5cc0405"],
     TAIL + "&marker=9c31f2c6-f22c-440e-b670-d8d5a5cc0405"),
    (["--size-min", "10", "--size-max", "2000"], "size_min=10&size_max=2000&" + TAIL),
    (["--created-at", "gt:2022-12-06T00:00:00Z"], "created_at=gt:2022-12-06T00:00:00Z&" + TAIL),
    (["--updated-at", "lte:2022-12-07"], "updated_at=lte:2022-12-07&" + TAIL),
    (["--protected"], "protected=true&" + TAIL),
    (["--unprotected"], "protected=false&" + TAIL),
    (["--disk-format", "qcow2"], "disk_format=qcow2&" + TAIL),
    (["--disk-format", "qcow2", "--disk-format", "raw"], "disk_format=in:qcow2,raw&" + TAIL),
    (["--container-format", "bare"], "container_format=bare&" + TAIL),
    (["--checksum", "1d3062cd89af34e419f7100277f38b2b"],
     "checksum=1d3062cd89af34e419f7100277f38b2b&" + TAIL),
    (["--hash-value", "abc"], "os_hash_value=abc&" + TAIL),
    (["--id", "a", "--id", "b"], "id=in:a,b&" + TAIL),
])
def test_every_option_becomes_a_server_side_filter(seed_cloud, run, args, query):
    assert list_query_of(seed_cloud, run, *args) == query


def test_project_by_name_resolves_through_keystone(seed_cloud, run):
    seed_cloud.mock.get("http://devstack-debug/identity/v3/",
                        json={"version": {"id": "v3.14", "status": "stable", "links": [
                            {"rel": "self", "href": "http://devstack-debug/identity/v3/"}]}})
    seed_cloud.mock.get("http://devstack-debug/identity/v3/domains",
                        json={"domains": [{"id": "dom1", "name": "Other"}]})
    seed_cloud.mock.get("http://devstack-debug/identity/v3/projects",
                        json={"projects": [{"id": "p" * 32, "name": "demo"}]})
    query = list_query_of(seed_cloud, run, "--project", "demo", "--project-domain", "Other")
    assert query == f"owner={'p' * 32}&" + TAIL
    lookup = [r for r in seed_cloud.mock.request_history if r.url.split("?")[0].endswith(
        "/projects")][0]
    assert lookup.qs == {"name": ["demo"], "domain_id": ["dom1"]}


def test_the_tokens_own_project_needs_no_lookup(seed_cloud, run):
    query = list_query_of(seed_cloud, run, "--project", "admin")
    assert query == "owner=a5362cbd04fd4783a038d5a342d58e87&" + TAIL
    assert len(seed_cloud.mock.request_history) == 4


def test_marker_by_name_is_looked_up_once(seed_cloud, run):
    query = list_query_of(seed_cloud, run, "--all", "--marker", "cirros-0.5.1-x86_64-disk")
    assert query.endswith("&marker=a3f1a9d6-0c54-47f7-96ca-641786ea5d68")


def test_limit_means_the_first_n_in_sort_order(seed_cloud, run):
    result = run(["image", "list", "--all", "--limit", "2", "-f", "value", "-c", "Name"])
    assert result.out == "cirros-0.5.1-x86_64-disk\ncirros-0.5.2-x86_64-disk\n"


def test_sort_by_size_is_numeric(seed_cloud, run):
    seed_cloud.images[0]["size"] = 9  # as text, "9" > "16300544"; as a number it is smallest
    result = run(["image", "list", "--all", "--sort", "size", "-f", "value", "-c", "Name"])
    assert result.out.splitlines()[0] == "cirros-0.5.1-x86_64-disk"


def test_zero_limit_means_no_limit_as_in_openstack(seed_cloud, run):
    result = run(["image", "list", "--all", "--limit", "0", "-f", "value", "-c", "Name"])
    assert result.code == 0
    assert len(result.out.splitlines()) == len(seed_cloud.images) > 0
    assert "limit=1000" in seed_cloud.mock.request_history[-1].url


def test_zero_max_items_asks_nothing(seed_cloud, run):
    result = run(["image", "list", "--max-items", "0"])
    assert result.code == 0 and result.out == "\n"  # cliff's empty table, as openstack prints
    assert seed_cloud.mock.request_history == []


@pytest.mark.parametrize(("args", "column"), [
    (["-c", "Bogus"], "Bogus"),
    (["-c", "ID", "-c", "Bogus"], "Bogus"),  # cliff would drop it silently
    (["-c", "Size"], "Size"),  # printed only with --long
])
def test_a_column_never_printed_is_refused_before_any_request(seed_cloud, run, args, column):
    result = run(["image", "list", *args])
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert f"-c '{column}'" in result.err and "ID, Name, Status" in result.err
    assert seed_cloud.mock.request_history == []


def test_a_long_column_is_accepted_with_long(seed_cloud, run):
    result = run(["image", "list", "--all", "--long", "-c", "Size", "-f", "value"])
    assert result.code == 0 and result.out.strip()


# --- paging -----------------------------------------------------------------------------

def many_images(count: int) -> list[dict]:
    return [{"id": f"00000000-0000-0000-0000-{i:012d}", "name": f"img-{i:05d}",
             "status": "active", "visibility": "public", "created_at": "2023-01-01T00:00:00Z"}
            for i in range(count)]


@pytest.mark.parametrize("count, page, requests", [(7, 3, 3), (6, 3, 3), (2, 3, 1)])
def test_paging_follows_prefixless_next_links(seed_cloud, run, count, page, requests):
    seed_cloud.images[:] = many_images(count)
    result = run(["image", "list", "--page-size", str(page), "-f", "value", "-c", "Name"])
    assert result.out.splitlines() == [f"img-{i:05d}" for i in range(count)]
    pages = [r.url for r in seed_cloud.mock.request_history if "/v2/images" in r.url]
    assert len(pages) == requests
    assert all(url.startswith(IMAGE_URL + "/v2/images?") for url in pages)


def test_max_items_stops_without_fetching_more(seed_cloud, run):
    seed_cloud.images[:] = many_images(10)
    result = run(["image", "list", "--page-size", "3", "--max-items", "4", "-f", "value",
                  "-c", "Name"])
    assert result.out.splitlines() == [f"img-{i:05d}" for i in range(4)]
    pages = [r for r in seed_cloud.mock.request_history if "/v2/images" in r.url]
    assert [r.qs["limit"] for r in pages] == [["3"], ["3"]]


@pytest.mark.parametrize("root, link, expected", [
    ("http://h/image/v2/", "/v2/images?marker=x", "http://h/image/v2/images?marker=x"),
    ("http://h/image/v2", "/v2/images?marker=x", "http://h/image/v2/images?marker=x"),
    ("http://h:9292/v2/", "/v2/images?marker=x", "http://h:9292/v2/images?marker=x"),
    ("http://h/a/b/image/v2.16/", "/v2/images?m=1", "http://h/a/b/image/v2/images?m=1"),
    ("http://h/image/v2/", "images?marker=x", "http://h/image/v2/images?marker=x"),
    ("https://h/image/v2/", "https://h/image/v2/images?m=1", "https://h/image/v2/images?m=1"),
])
def test_next_page_url_joins_to_the_endpoint_not_the_host(root, link, expected):
    assert next_page_url(root, link) == expected


def test_next_link_to_another_host_is_refused():
    from imgcli.errors import ApiError

    with pytest.raises(ApiError, match="off the image endpoint"):
        next_page_url("http://h/image/v2/", "http://evil/v2/images?marker=x")


def test_glance_model_pages_like_glance():
    images = many_images(4)
    doc = glance_page(images, "http://x/image/v2/images?limit=2")
    assert doc["next"] == f"/v2/images?limit=2&marker={images[1]['id']}"


# --- bad input --------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--property", "novalue"], "expected KEY=VALUE"),
    (["--sort", "name:up"], "'up' is not a valid sort direction for sort key name"),
    (["--sort", "owner"], "'owner' is not a sort key Glance knows"),
    (["--sort", ":asc"], "not a valid sort key"),
    (["--created-at", "after:2020-01-01"], "expected OP:TIME"),
    (["--created-at", "gt:yesterday"], "is not an ISO 8601 time"),
    (["--limit", "-1"], "is negative"),
    (["--member-status", "maybe"], "invalid choice"),
    (["--public", "--private"], "not allowed with argument"),
])
def test_bad_options_fail_with_one_line_and_no_request(seed_cloud, run, args, message):
    result = run(["image", "list", *args])
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err
    assert seed_cloud.mock.request_history == []


@pytest.mark.parametrize("missing, hint", [
    ("OS_AUTH_URL", "--os-auth-url (OS_AUTH_URL)"),
    ("OS_USERNAME", "--os-username (OS_USERNAME)"),
    ("OS_PASSWORD", "set OS_PASSWORD, or auth.password in secure.yaml"),
])
def test_missing_settings_say_what_to_set(seed_cloud, run, missing, hint):
    from tests.conftest import SEED_ENV

    env = {k: v for k, v in SEED_ENV.items() if k != missing}
    result = run(["image", "list"], env)
    assert result.code == 2
    assert hint in result.err and len(result.err.strip().splitlines()) == 1
    assert seed_cloud.mock.request_history == []


def test_wrong_password_is_an_auth_error(seed_cloud, run):
    seed_cloud.mock.post("http://devstack-debug/identity/v3/auth/tokens", status_code=401,
                         json={"error": {"code": 401, "title": "Unauthorized",
                                         "message": "The request you have made requires "
                                                    "authentication."}})
    result = run(["image", "list"])
    assert result.code == 3
    assert "authentication failed" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert PASSWORD not in result.err + result.out


def test_unreachable_host(run):
    env = {"OS_AUTH_URL": "http://127.0.0.1:9/identity", "OS_USERNAME": "u",
           "OS_PASSWORD": PASSWORD, "OS_PROJECT_NAME": "p"}
    result = run(["--no-cache", "image", "list"], env)
    assert result.code == 1
    assert "cannot connect" in result.err and "OS_AUTH_URL" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_no_image_endpoint_for_the_region_lists_what_there_is(seed_cloud, run):
    result = run(["--os-region-name", "Mars", "image", "list"])
    assert result.code == 2
    assert "no image endpoint for interface 'public' in region 'Mars'" in result.err
    assert "public in RegionOne" in result.err and "internal in RegionOne" in result.err


@pytest.mark.parametrize("status, body, headers, shown", [
    (500, "<html><body><h1>500 Internal Server Error</h1>Boom happened.</body></html>",
     {"Content-Type": "text/html"}, "500 Internal Server Error: Boom happened."),
    (400, '{"message": "Invalid sort key"}', {"Content-Type": "application/json"},
     "400 Bad Request: Invalid sort key"),
    (403, "Forbidden thing", {"Content-Type": "text/plain"}, "403 Forbidden: Forbidden thing"),
])
def test_glance_errors_are_one_plain_line(seed_cloud, run, status, body, headers, shown):
    seed_cloud.mock.get(IMAGE_URL + "/v2/images", status_code=status, text=body,
                        headers=headers, reason=None)
    result = run(["image", "list"])
    assert result.code == 1
    assert shown in result.err
    assert "<" not in result.err and len(result.err.strip().splitlines()) == 1


def test_debug_shows_the_traceback_and_still_no_secret(seed_cloud, run):
    seed_cloud.mock.get(IMAGE_URL + "/v2/images", status_code=500, text="boom")
    result = run(["--debug", "image", "list"])
    assert result.code == 1
    assert "Traceback" in result.err
    assert "REQ: curl" in result.err  # keystoneauth's request log
    assert TOKEN not in result.err and PASSWORD not in result.err
    assert "{SHA256}" in result.err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal_from_the_second_page_and_erased():
    from imgcli.commands.image.list import rows

    terminal = Terminal()
    pages = [many_images(3), many_images(3), many_images(1)]
    assert len(list(rows(pages, long=False, progress=terminal))) == 7
    assert terminal.getvalue() == "\r6 images, 2 pages\r7 images, 3 pages\r\x1b[K"


def test_no_progress_when_stderr_is_not_a_terminal(seed_cloud, run):
    seed_cloud.images[:] = many_images(7)
    result = run(["image", "list", "--page-size", "2"])
    assert result.code == 0 and result.err == ""


@pytest.mark.parametrize("endpoint, root", [
    ("http://h/image", "http://h/image/v2/"),
    ("http://h/image/", "http://h/image/v2/"),
    ("http://h/image/v2", "http://h/image/v2/"),
    ("http://h:9292/v2.16/", "http://h:9292/v2.16/"),
    ("http://h/v2images", "http://h/v2images/v2/"),
])
def test_os_endpoint_needs_no_discovery(endpoint, root):
    from imgcli.connection import versioned_root

    assert versioned_root(endpoint) == root


def test_retry_after_is_honoured_but_capped(seed_cloud, run, monkeypatch):
    from keystoneauth1 import session as ks_session

    slept: list[float] = []
    monkeypatch.setattr(ks_session.time, "sleep", slept.append)
    images = {"images": seed_cloud.images}
    seed_cloud.mock.get(IMAGE_URL + "/v2/images", [
        {"status_code": 429, "headers": {"Retry-After": "3600"}, "text": "slow down"},
        {"status_code": 503, "headers": {"Retry-After": "2"}, "text": "busy"},
        {"json": images}])
    result = run(["image", "list", "-f", "value", "-c", "Name"])
    assert result.code == 0, result.err
    assert len(result.out.splitlines()) == 3
    assert slept == [5, 2]


def test_the_token_request_is_not_retried_on_401(seed_cloud, run):
    seed_cloud.mock.post("http://devstack-debug/identity/v3/auth/tokens", status_code=401,
                         json={"error": {"code": 401, "message": "bad"}})
    assert run(["image", "list"]).code == 3
    assert [r.method for r in seed_cloud.mock.request_history].count("POST") == 1


KEYSTONE_V3 = {"version": {"id": "v3.14", "status": "stable", "links": [
    {"rel": "self", "href": "http://devstack-debug/identity/v3/"}]}}


@pytest.mark.parametrize("reply, code, shown", [
    ({"json": {"projects": []}}, 2, "no project named 'ghost' (--project)"),
    ({"json": {"projects": [{"id": "a"}, {"id": "b"}]}}, 2, "add --project-domain"),
    ({"text": "<html>oops</html>"}, 1, "Keystone's reply has no list of projects"),
    # Keystone's refusals take the same send path as Glance's: a refused token is exit 3,
    # a server error exit 1 with Keystone's own words.
    ({"status_code": 401, "json": {"error": {"code": 401, "message": "The request you have "
                                             "made requires authentication."}}},
     3, "requires authentication"),
    ({"status_code": 500, "json": {"error": {"code": 500, "message": "keystone broke"}}},
     1, "keystone broke"),
])
def test_project_lookup_failures(seed_cloud, run, reply, code, shown):
    seed_cloud.mock.get("http://devstack-debug/identity/v3/", json=KEYSTONE_V3)
    seed_cloud.mock.get("http://devstack-debug/identity/v3/projects", **reply)
    result = run(["image", "list", "--project", "ghost"])
    assert result.code == code and shown in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_a_user_who_may_not_list_projects_sends_the_name_as_given(seed_cloud, run):
    seed_cloud.mock.get("http://devstack-debug/identity/v3/", json=KEYSTONE_V3)
    seed_cloud.mock.get("http://devstack-debug/identity/v3/projects", status_code=403,
                        json={"error": {"code": 403}})
    assert list_query_of(seed_cloud, run, "--project", "ghost") == "owner=ghost&" + TAIL
