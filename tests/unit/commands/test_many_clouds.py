"""`image list` and `image show` on several clouds and regions at once (mocked clouds `one`,
with RegionOne and RegionTwo behind one Keystone, and `two`): one table with Cloud and Region
first, the places run at the same time, a failing cloud one line on stderr while the others
are printed, and every other command refusing several clouds before any request."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests

from tests.unit.fake_clouds import Clouds


@pytest.fixture
def clouds(requests_mock: Any, tmp_path: Any) -> Clouds:
    clouds = Clouds(requests_mock, tmp_path)
    clouds.glance("one").add(b"abc", name="golden", id="11111111-1111-1111-1111-111111111111")
    clouds.glance("two").add(b"abcd", name="golden", id="22222222-2222-2222-2222-222222222222")
    clouds.glance("one", "RegionTwo").add(b"abcde", name="r2",
                                          id="33333333-3333-3333-3333-333333333333")
    return clouds


def many(run: Any, clouds: Clouds, *args: str) -> Any:
    return run(["--os-cloud", "one", "--os-cloud", "two", *args], env=clouds.env)


def test_two_clouds_list_as_one_table_with_cloud_and_region_first(run, clouds):
    result = many(run, clouds, "image", "list")
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines()[1:6] == [
        "| Cloud | Region    | ID                                   | Name   | Status |",
        "+-------+-----------+--------------------------------------+--------+--------+",
        "| one   | RegionOne | 11111111-1111-1111-1111-111111111111 | golden | active |",
        "| two   | RegionOne | 22222222-2222-2222-2222-222222222222 | golden | active |",
        "+-------+-----------+--------------------------------------+--------+--------+"]
    for name in ("one", "two"):
        assert [s for s in clouds.glance(name).sent if s.startswith("GET /v2/images?")] != []


def test_json_keys_are_cloud_and_region_then_the_list_columns(run, clouds):
    result = many(run, clouds, "image", "list", "--long", "-f", "json")
    rows = json.loads(result.out)
    assert [list(row)[:4] for row in rows] == [["Cloud", "Region", "ID", "Name"]] * 2
    assert [(row["Cloud"], row["Size"]) for row in rows] == [("one", 3), ("two", 4)]


def test_the_places_are_asked_at_the_same_time(run, tmp_path):
    # On loopback (requests-mock sends one request at a time, behind a lock): two fake
    # clouds that answer each request after 250 ms; a cold list is 4 requests each.
    import fakecloud

    with fakecloud.FakeCloud(images=3, latency_ms=250) as one, \
            fakecloud.FakeCloud(images=2, latency_ms=250) as two:
        entries = {name: {"auth": {"auth_url": cloud.auth_url, "username": "admin",
                                   "password": fakecloud.FAKE_PASSWORD, "project_name": "admin",
                                   "user_domain_name": "Default",
                                   "project_domain_name": "Default"}}
                   for name, cloud in (("one", one), ("two", two))}
        (tmp_path / "clouds.yaml").write_text(json.dumps({"clouds": entries}))
        env = {"OS_CLIENT_CONFIG_FILE": str(tmp_path / "clouds.yaml")}

        def timed(*clouds: str) -> tuple[float, Any]:
            started = time.monotonic()
            result = run(["--no-cache", *clouds, "image", "list", "-f", "value", "-c", "ID"],
                         env=env)
            return time.monotonic() - started, result

        timed("--os-cloud", "two")  # the libraries imported, outside the timing
        alone, _ = timed("--os-cloud", "one")
        both, result = timed("--os-cloud", "one", "--os-cloud", "two")
    assert result.code == 0 and len(result.out.splitlines()) == 5, result.err
    # One after the other would be twice one cloud's time (its 4 requests' 1 s of latency
    # each time); at once, about one cloud's.
    assert both < 1.5 * alone, f"both {both:.2f} s, one alone {alone:.2f} s"


def test_a_cloud_that_refuses_the_password_is_one_line_and_the_rest_is_printed(run, clouds):
    clouds.clouds["two"].refuse_password = True
    result = many(run, clouds, "image", "list", "-f", "value")
    assert result.code == 1
    assert result.out == "one RegionOne 11111111-1111-1111-1111-111111111111 golden active\n"
    assert result.err.count("\n") == 1
    assert result.err.startswith("two RegionOne: authentication failed")


def test_a_cloud_that_is_down_is_one_line_naming_it(run, clouds):
    clouds.entry("down", {"auth": {"auth_url": "http://down-keystone:1/identity",
                                   "username": "u", "password": "p", "project_name": "p"},
                          "region_name": "RegionOne"})
    clouds.mock.get("http://down-keystone:1/identity",
                    exc=requests.exceptions.ConnectionError("[Errno 111] Connection refused"))
    result = run(["--os-cloud", "one", "--os-cloud", "down", "image", "list", "-f", "value",
                  "-c", "Cloud"], env=clouds.env)
    assert (result.code, result.out) == (1, "one\n")
    assert result.err.startswith("down RegionOne: cannot connect to http://down-keystone:1/")
    assert result.err.count("\n") == 1


def test_one_cloud_prints_exactly_what_it_did_before(run, clouds):
    alone = run(["--os-cloud", "one", "image", "list"], env=clouds.env)
    twice = run(["--os-cloud", "one", "--os-cloud", "one", "image", "list"], env=clouds.env)
    assert alone.out == twice.out and alone.code == twice.code == 0
    assert alone.out == (
        "+--------------------------------------+--------+--------+\n"
        "| ID                                   | Name   | Status |\n"
        "+--------------------------------------+--------+--------+\n"
        "| 11111111-1111-1111-1111-111111111111 | golden | active |\n"
        "+--------------------------------------+--------+--------+\n")


def test_all_regions_lists_every_region_of_the_catalog_with_one_token(run, clouds):
    result = many(run, clouds, "--all-regions", "image", "list", "-f", "value", "-c", "Cloud",
                  "-c", "Region", "-c", "Name")
    assert result.code == 0, result.err
    assert result.out == "one RegionOne golden\none RegionTwo r2\ntwo RegionOne golden\n"
    tokens = [r for r in clouds.mock.request_history if r.url.endswith("/auth/tokens")]
    assert sorted(r.hostname for r in tokens) == ["one-keystone", "two-keystone"]


def test_regions_repeated_list_each_region(run, clouds):
    result = run(["--os-cloud", "one", "--os-region-name", "RegionTwo", "--os-region-name",
                  "RegionOne", "image", "list", "-f", "value", "-c", "Region", "-c", "Name"],
                 env=clouds.env)
    assert (result.code, result.out) == (0, "RegionTwo r2\nRegionOne golden\n")


def test_show_prints_a_row_per_cloud_and_a_line_for_the_one_without_the_image(run, clouds):
    clouds.glance("two").images.clear()
    result = many(run, clouds, "image", "show", "golden", "-f", "json")
    assert result.code == 1
    assert result.err == "two RegionOne: no image named or with ID 'golden'\n"
    rows = json.loads(result.out)
    assert [(row["Cloud"], row["Region"], row["id"]) for row in rows] == [
        ("one", "RegionOne", "11111111-1111-1111-1111-111111111111")]
    assert list(rows[0])[:3] == ["Cloud", "Region", "checksum"]


def test_show_on_two_clouds_has_every_field_of_either(run, clouds):
    clouds.glance("two").images[0]["hw_disk_bus"] = "scsi"
    result = many(run, clouds, "image", "show", "golden", "-c", "Cloud", "-c", "size",
                  "-c", "properties", "-f", "value")
    assert result.code == 0, result.err
    one, two = result.out.splitlines()  # the fields in show's order: properties, then size
    assert one.startswith("one {") and one.endswith("} 3") and "hw_disk_bus" not in one
    assert two.startswith("two {") and two.endswith("} 4") and "'hw_disk_bus': 'scsi'" in two


@pytest.mark.parametrize("args, message", [
    (["image", "show", "golden", "-f", "shell"], "-f shell prints one record"),
    (["image", "list", "-c", "Size"], "-c 'Size': no such column here; the columns are Cloud, "
                                      "Region, ID, Name, Status"),
    (["--all-regions", "--os-region-name", "RegionOne", "image", "list"],
     "--all-regions and --os-region-name: give one of them"),
    (["--os-cloud", "three", "image", "list"], "cloud three: cloud 'three' not found"),
])
def test_bad_input_for_several_clouds_is_refused_before_any_request(run, clouds, args,
                                                                      message):
    result = many(run, clouds, *args)
    assert result.code == 2 and result.err.count("\n") == 1
    assert message in result.err, result.err
    assert clouds.mock.request_history == []


@pytest.mark.parametrize("args", [
    ["image", "create", "x"], ["image", "delete", "golden"], ["image", "set", "--name", "y",
                                                              "golden"],
    ["image", "save", "golden"], ["token", "issue"], ["configuration", "show"],
    ["image", "sync", "--to-cloud", "two"],
])
def test_every_other_command_refuses_several_clouds_before_any_request(run, clouds, args):
    result = many(run, clouds, *args)
    assert result.code == 2
    assert result.err.startswith(f"imgcli {' '.join(args[:2] if args[0] == 'image' else args)}"
                                 " works on one cloud and region")
    assert result.err.endswith("only image list and image show take --os-cloud one "
                               "--os-cloud two\n")
    assert clouds.mock.request_history == []


def test_the_trace_of_two_clouds_marks_each_request_with_its_cloud(run, clouds, tmp_path):
    result = many(run, clouds, "--trace", str(tmp_path / "list.har"), "image", "list")
    assert result.code == 0
    entries = json.loads((tmp_path / "list.har").read_text())["log"]["entries"]
    marks = {(entry["request"]["url"].split("/")[2], entry["_cloud"]) for entry in entries}
    assert marks == {("one-keystone", "one RegionOne"), ("one-glance", "one RegionOne"),
                     ("two-keystone", "two RegionOne"), ("two-glance", "two RegionOne")}


def test_a_command_option_that_starts_like_all_regions_stays_the_commands(run, clouds):
    # cliff parses the global options out of the whole command line: with abbreviations on,
    # image list's --all would have been read as --all-regions.
    result = run(["--os-cloud", "one", "image", "list", "--all", "-f", "value"], env=clouds.env)
    assert (result.code, result.out) == (0, "11111111-1111-1111-1111-111111111111 golden "
                                            "active\n")
    assert "visibility=all" in clouds.glance("one").sent[-1]
