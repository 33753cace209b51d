"""The request functions of imgcli/api/metadefs.py against requests-mock: the URL and body
each sends, the statuses each accepts, and the replies each refuses."""

from __future__ import annotations

from typing import Any

import pytest

from imgcli.api import metadefs
from imgcli.errors import ApiError, NotFound

ROOT = "http://glance.test/image/v2/"
NS = ROOT + "metadefs/namespaces/"


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


def test_names_keep_their_colons_and_quote_the_rest():
    assert metadefs.namespace_path("OS::Compute::Libvirt", "objects", "a/b c") == (
        "metadefs/namespaces/OS::Compute::Libvirt/objects/a%2Fb%20c")


def test_namespace_pages_follow_next_links_without_the_prefix(conn, requests_mock):
    first = NS.removesuffix("/") + "?limit=1000"
    requests_mock.get(first, complete_qs=True,
                      json={"namespaces": [{"namespace": "a"}],
                            "next": "/v2/metadefs/namespaces?limit=1000&marker=a"})
    requests_mock.get(first + "&marker=a", complete_qs=True,
                      json={"namespaces": [{"namespace": "b"}]})
    assert [ns["namespace"] for ns in metadefs.list_namespaces(conn)] == ["a", "b"]
    assert sent(requests_mock) == [
        "GET /image/v2/metadefs/namespaces?limit=1000",
        "GET /image/v2/metadefs/namespaces?limit=1000&marker=a"]


def test_a_next_link_that_repeats_a_page_stops_the_listing(conn, requests_mock):
    requests_mock.get(NS.removesuffix("/"),
                      json={"namespaces": [{"namespace": "a"}],
                            "next": "/v2/metadefs/namespaces?limit=1000&marker=a"})
    with pytest.raises(ApiError) as caught:
        metadefs.list_namespaces(conn)
    assert "repeats a page" in str(caught.value)
    assert len(requests_mock.request_history) == 2


def test_a_next_link_to_another_host_is_refused(conn, requests_mock):
    requests_mock.get(NS.removesuffix("/"),
                      json={"namespaces": [{"namespace": "a"}],
                            "next": "http://elsewhere.test/v2/metadefs/namespaces?marker=a"})
    with pytest.raises(ApiError):
        metadefs.list_namespaces(conn)
    assert len(requests_mock.request_history) == 1


@pytest.mark.parametrize("reply", [{"namespaces": "a"}, {"namespaces": ["a"]}])
def test_a_malformed_namespace_list_is_one_error(conn, requests_mock, reply):
    requests_mock.get(NS.removesuffix("/"), json=reply)
    with pytest.raises(ApiError) as caught:
        metadefs.list_namespaces(conn)
    assert caught.value.status is None


def test_lists_without_their_key_are_empty(conn, requests_mock):
    requests_mock.get(NS + "ns/objects", json={"schema": "v2/schemas/metadefs/objects"})
    requests_mock.get(NS + "ns/properties", json={})
    assert metadefs.list_objects(conn, "ns") == []
    assert metadefs.list_properties(conn, "ns") == {}


@pytest.mark.parametrize(("call", "path", "reply"), [
    (metadefs.list_objects, "ns/objects", {"objects": {"a": 1}}),
    (metadefs.list_associations, "ns/resource_types", {"resource_type_associations": [1]}),
    (metadefs.list_properties, "ns/properties", {"properties": ["a"]}),
    (metadefs.list_properties, "ns/properties", {"properties": {"a": 1}}),
])
def test_malformed_contents_are_one_error(conn, requests_mock, call, path, reply):
    requests_mock.get(NS + path, json=reply)
    with pytest.raises(ApiError):
        call(conn, "ns")


def test_creates_expect_201(conn, requests_mock):
    requests_mock.post(NS + "ns/objects", status_code=200, json={"name": "o"})
    with pytest.raises(ApiError) as caught:
        metadefs.create_object(conn, "ns", {"name": "o"})
    assert caught.value.status == 200


def test_add_tags_appends_them_in_one_request(conn, requests_mock):
    requests_mock.post(NS + "ns/tags", status_code=201, json={"tags": []})
    metadefs.add_tags(conn, "ns", ["a", "b"])
    request = requests_mock.request_history[0]
    assert request.headers["X-Openstack-Append"] == "True"
    assert request.json() == {"tags": [{"name": "a"}, {"name": "b"}]}


@pytest.mark.parametrize(("call", "args", "path"), [
    (metadefs.delete_namespace, (), "ns"),
    (metadefs.delete_objects, (), "ns/objects"),
    (metadefs.delete_object, ("o",), "ns/objects/o"),
    (metadefs.delete_properties, (), "ns/properties"),
    (metadefs.delete_property, ("p",), "ns/properties/p"),
    (metadefs.delete_tags, (), "ns/tags"),
    (metadefs.delete_tag, ("t",), "ns/tags/t"),
    (metadefs.delete_association, ("OS::Nova::Flavor",), "ns/resource_types/OS::Nova::Flavor"),
])
def test_deletes_expect_204_and_a_404_is_not_found(conn, requests_mock, call, args, path):
    requests_mock.delete(NS + path, status_code=204)
    call(conn, "ns", *args)
    requests_mock.delete(NS + path, status_code=404, text="gone")
    with pytest.raises(NotFound) as caught:
        call(conn, "ns", *args)
    assert caught.value.status == 404


def test_updates_are_puts_of_the_whole_body(conn, requests_mock):
    requests_mock.put(NS + "ns", json={"namespace": "ns"})
    requests_mock.put(NS + "ns/objects/o", json={"name": "o2"})
    requests_mock.put(NS + "ns/properties/p", json={"name": "p"})
    metadefs.update_namespace(conn, "ns", {"namespace": "ns", "protected": True})
    metadefs.update_object(conn, "ns", "o", {"name": "o2"})
    metadefs.update_property(conn, "ns", "p", {"name": "p", "title": "P", "type": "string"})
    assert [r.json() for r in requests_mock.request_history] == [
        {"namespace": "ns", "protected": True}, {"name": "o2"},
        {"name": "p", "title": "P", "type": "string"}]
