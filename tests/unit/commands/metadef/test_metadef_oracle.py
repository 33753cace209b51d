"""Every metadef command that prints something, against openstackclient 10.5.0's own output
for the same Glance replies (tests/fixtures/osc_metadefs): the same bytes in every format,
from the requests listed (fewer than openstack's where it looks a namespace up first)."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from tests.unit.commands.metadef.fake_metadefs import (
    EXPECTED,
    REPLIES,
    ROOT,
    glance_sent,
    oracle_cases,
)

NS = "metadefs/namespaces/oracle::Sample"
NEW = "metadefs/namespaces/oracle::Created"
# What imgcli sends for each case, and the reply it is given: (method, path, reply, status).
ROUTES = {
    "namespace_show": [("GET", NS, "namespace", 200)],
    "namespace_show_catalogue": [("GET", "metadefs/namespaces/OS::Compute::Hypervisor",
                                  "namespace_catalogue", 200)],
    "namespace_show_plain": [("GET", "metadefs/namespaces/oracle::Plain", "namespace_plain",
                              200)],
    "namespace_list": [("GET", "metadefs/namespaces?limit=1000", "namespaces", 200)],
    "namespace_create": [("POST", "metadefs/namespaces", "namespace_created", 201)],
    "object_list": [("GET", NS + "/objects", "objects", 200)],
    "object_show": [("GET", NS + "/objects/Disk", "object", 200)],
    "object_show_bare": [("GET", NS + "/objects/Bare", "object_bare", 200)],
    # openstack reads the namespace first: imgcli needs no look-up for a name.
    "object_create": [("POST", NEW + "/objects", "object_created", 201)],
    "object_property_show": [("GET", NS + "/objects/Disk", "object", 200)],
    "property_list": [("GET", NS + "/properties", "properties", 200)],
    "property_show_enum": [("GET", NS + "/properties/cpu_mode", "property_enum", 200)],
    "property_show_range": [("GET", NS + "/properties/cpu_count", "property_range", 200)],
    "property_show_array": [("GET", NS + "/properties/boot_list", "property_array", 200)],
    "property_show_string": [("GET", NS + "/properties/label", "property_string", 200)],
    "property_create": [("POST", NEW + "/properties", "property_created", 201)],
    "resource_type_list": [("GET", "metadefs/resource_types", "resource_types", 200)],
    "association_list": [("GET", NS + "/resource_types", "associations", 200)],
    "association_create": [("POST", NEW + "/resource_types", "association_created", 201)],
}


def test_every_recorded_case_is_routed():
    assert set(ROUTES) == set(EXPECTED)


@pytest.mark.parametrize(("case", "args"), oracle_cases(*ROUTES))
def test_output_is_openstackclients(seed_cloud, run, case, args):
    for method, path, reply, status in ROUTES[case]:
        url = re.compile(re.escape(ROOT + path.split("?")[0]) + r"(\?.*)?$")
        seed_cloud.mock.register_uri(method, url, json=REPLIES[reply], status_code=status)
    expected = EXPECTED[case]["outputs"][args]
    result = run([*EXPECTED[case]["argv"], *args.split()])
    assert (result.code, result.err) == (expected["code"], "")
    assert result.out == expected["out"]
    assert glance_sent(seed_cloud.mock) == [f"{m} {p}" for m, p, _, _ in ROUTES[case]]


def test_imgcli_sends_what_openstack_sends_but_its_namespace_look_up():
    """openstack's recorded requests (after its discovery) against imgcli's: the same, but
    for the namespace GET before an object create, and namespace list's page size."""
    for case, routes in ROUTES.items():
        theirs = [unquote(sent).replace(" " + ROOT, " ")
                  for sent in EXPECTED[case]["outputs"]["-f json"]["sent"]]
        ours = [f"{method} {path}" for method, path, _, _ in routes]
        if case == "object_create":
            assert theirs == ["GET metadefs/namespaces/oracle::Created", *ours]
        elif case == "namespace_list":  # no limit: Glance pages by 25, imgcli asks for 1000
            assert theirs == ["GET metadefs/namespaces"]
        else:
            assert theirs == ours, case


def test_request_bodies_are_openstacks(seed_cloud, run):
    """The creates send what openstack sends (tests/fixtures/osc_metadefs: the same argv)."""
    bodies = {}
    for case in ("namespace_create", "object_create", "property_create",
                 "association_create"):
        seed_cloud.mock.reset_mock()
        method, path, reply, status = ROUTES[case][0]
        seed_cloud.mock.register_uri(method, ROOT + path, json=REPLIES[reply],
                                     status_code=status)
        assert run([*EXPECTED[case]["argv"], "-f", "json"]).code == 0
        bodies[case] = seed_cloud.mock.request_history[-1].json()
    assert bodies == {
        "namespace_create": {"namespace": "oracle::Created", "display_name": "Created",
                             "description": "Made by a test", "visibility": "public",
                             "protected": True},
        "object_create": {"name": "Thing"},
        "property_create": {"name": "speed", "title": "Speed", "type": "number"},
        "association_create": {"name": "OS::Cinder::Volume", "properties_target": "image"},
    }


def test_bad_column_fails_before_any_request(seed_cloud, run):
    result = run(["image", "metadef", "object", "show", "ns", "obj", "-c", "nope"])
    assert result.code == 2
    assert glance_sent(seed_cloud.mock) == []

