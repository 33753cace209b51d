"""The request functions of imgcli/api/info.py, tasks.py and cache.py against requests-mock:
the request each sends and the shapes of reply each refuses."""

from __future__ import annotations

from typing import Any

import pytest

from imgcli.api import cache, info, tasks
from imgcli.errors import ApiError, NotFound

ROOT = "http://glance.test/image/v2/"
TASK = {"id": "1c4d1f5a-9a0f-4a7e-8c1e-2f6b7d9e0a01", "type": "import", "status": "success"}


@pytest.fixture
def conn() -> Any:
    from keystoneauth1 import session as ks_session
    from keystoneauth1 import token_endpoint

    from imgcli.config import resolve_settings
    from imgcli.connection import Connection, image_adapter

    settings = resolve_settings(None, {"OS_TOKEN": "t0ken", "OS_ENDPOINT": ROOT})
    session = ks_session.Session(auth=token_endpoint.Token(ROOT, "t0ken"))
    return Connection(session, image_adapter(settings, session), ROOT)


def sent(requests_mock: Any) -> list[str]:
    return [f"{r.method} {r.path_url}" for r in requests_mock.request_history]


@pytest.mark.parametrize(("detail", "path"), [(False, "info/stores"),
                                              (True, "info/stores/detail")])
def test_list_stores(conn, requests_mock, detail, path):
    requests_mock.get(ROOT + path, json={"stores": [{"id": "fs"}]})
    assert info.list_stores(conn, detail) == [{"id": "fs"}]
    assert sent(requests_mock) == [f"GET /image/v2/{path}"]


def test_list_stores_404_is_not_found(conn, requests_mock):
    requests_mock.get(ROOT + "info/stores", status_code=404, text="no")
    with pytest.raises(NotFound) as caught:
        info.list_stores(conn)
    assert caught.value.status == 404


def test_usage_is_the_mapping(conn, requests_mock):
    usage = {"image_count_total": {"limit": 10, "usage": 2}}
    requests_mock.get(ROOT + "info/usage", json={"usage": usage})
    assert info.usage(conn) == usage


def test_task_pages_follow_glances_prefixless_next_links(conn, requests_mock):
    second = {**TASK, "id": "2d5e2a6b-0b1a-4b8f-9d2f-3a7c8e0f1b02"}
    requests_mock.get(ROOT + "tasks?limit=1", complete_qs=True,
                      json={"tasks": [TASK], "next": f"/v2/tasks?limit=1&marker={TASK['id']}"})
    requests_mock.get(ROOT + f"tasks?limit=1&marker={TASK['id']}", complete_qs=True,
                      json={"tasks": [second]})
    assert list(tasks.task_pages(conn, [("limit", "1")])) == [[TASK], [second]]
    assert sent(requests_mock) == ["GET /image/v2/tasks?limit=1",
                                   f"GET /image/v2/tasks?limit=1&marker={TASK['id']}"]


def test_task_pages_stop_at_max_items(conn, requests_mock):
    requests_mock.get(ROOT + "tasks", json={"tasks": [TASK, TASK], "next": "/v2/tasks?m=1"})
    assert list(tasks.task_pages(conn, [], max_items=1)) == [[TASK]]
    assert len(requests_mock.request_history) == 1


def test_task_pages_refuse_a_next_link_to_another_host(conn, requests_mock):
    requests_mock.get(ROOT + "tasks", json={"tasks": [], "next": "http://evil.test/v2/tasks"})
    with pytest.raises(ApiError):
        list(tasks.task_pages(conn, []))
    assert len(requests_mock.request_history) == 1


def test_get_task_and_image_tasks_quote_their_ids(conn, requests_mock):
    requests_mock.get(ROOT + "tasks/a%2Fb", json=TASK)
    requests_mock.get(ROOT + "images/c%2Fd/tasks", json={"tasks": [TASK]})
    assert tasks.get_task(conn, "a/b") == TASK
    assert tasks.image_tasks(conn, "c/d") == [TASK]
    assert sent(requests_mock) == ["GET /image/v2/tasks/a%2Fb",
                                   "GET /image/v2/images/c%2Fd/tasks"]


def test_cache_state(conn, requests_mock):
    cached = [{"image_id": "i1", "hits": 0, "size": 1, "last_accessed": 0,
               "last_modified": 0}]
    requests_mock.get(ROOT + "cache", json={"cached_images": cached, "queued_images": ["q"]})
    assert cache.cache_state(conn) == (cached, ["q"])


def test_queue_and_uncache_accept_glances_statuses(conn, requests_mock):
    requests_mock.put(ROOT + "cache/i1", status_code=202)
    requests_mock.delete(ROOT + "cache/i1", status_code=204)
    cache.queue_image(conn, "i1")
    cache.uncache_image(conn, "i1")
    assert sent(requests_mock) == ["PUT /image/v2/cache/i1", "DELETE /image/v2/cache/i1"]


@pytest.mark.parametrize("target", [None, "cache", "queue"])
def test_clear_cache_names_its_target_in_the_header(conn, requests_mock, target):
    requests_mock.delete(ROOT + "cache", status_code=204)
    cache.clear_cache(conn, target)
    assert requests_mock.last_request.headers.get(cache.CLEAR_TARGET) == target


def test_clear_cache_refuses_another_target_before_sending(conn, requests_mock):
    with pytest.raises(ValueError):
        cache.clear_cache(conn, "both")
    assert requests_mock.request_history == []
