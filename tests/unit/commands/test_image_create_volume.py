"""`image create --volume`: one Cinder request (os-volume_upload_image) found through the
catalog's block-storage endpoint, mocked with requests-mock (the local cloud has no Cinder);
and the signing options, accepted and refused before any request."""

from __future__ import annotations

import json
from typing import Any

import pytest

from imgcli.api.volumes import v3_root
from tests.conftest import AUTH_URL, TOKEN, token_body
from tests.unit.fake_glance import install

PROJECT = "a5362cbd04fd4783a038d5a342d58e87"  # the seed token's project
CINDER = f"http://182.161.114.101/volume/v3/{PROJECT}/"
VOLUME = "3a81fdac-e8ae-4e61-b6a2-2e14ff316f19"
IMAGE = "de75b74e-7f0d-4b59-a263-bd87bfc313bd"
VOLUME_TYPE = {"id": "9b4f3d0e-5d57-4e2e-8b57-1b1c3b0a2f00", "name": "lvmdriver-1",
               "is_public": True, "extra_specs": {}, "description": None}


def cinder_reply(request: Any, context: Any, volume_type: Any = VOLUME_TYPE) -> dict[str, Any]:
    """Cinder's answer (cinder/volume/api.py copy_volume_to_image, API 3.1)."""
    asked = request.json()["os-volume_upload_image"]
    context.status_code = 202
    return {"os-volume_upload_image": {
        "id": VOLUME, "updated_at": "2024-01-01T00:00:00.000000", "status": "uploading",
        "display_description": None, "size": 1, "volume_type": volume_type,
        "image_id": IMAGE, "container_format": asked["container_format"],
        "disk_format": asked["disk_format"], "image_name": asked["image_name"],
        "protected": asked["protected"], "visibility": asked["visibility"]}}


def catalog_with(service_type: str, url: str) -> dict[str, Any]:
    body = token_body()
    body["token"]["catalog"].append({"type": service_type, "name": "cinder", "id": "s3",
                                     "endpoints": [{"id": "c1", "interface": "public",
                                                    "region": "RegionOne",
                                                    "region_id": "RegionOne", "url": url}]})
    return body


@pytest.fixture
def cinder(seed_cloud):
    seed_cloud.mock.post(AUTH_URL + "/v3/auth/tokens", status_code=201,
                         json=catalog_with("block-storage", CINDER.rstrip("/")),
                         headers={"X-Subject-Token": TOKEN})
    seed_cloud.mock.post(f"{CINDER}volumes/{VOLUME}/action", json=cinder_reply)
    return seed_cloud


def cinder_sent(cloud) -> list[str]:
    return [f"{r.method} {r.url}" for r in cloud.mock.request_history
            if r.url.startswith(CINDER)]


def test_a_volume_id_is_one_cinder_request_with_openstackclients_body(cinder, run):
    result = run(["image", "create", "from-vol", "--volume", VOLUME, "-f", "json"])
    assert result.code == 0, result.err
    assert cinder_sent(cinder) == [f"POST {CINDER}volumes/{VOLUME}/action"]
    request = cinder.mock.request_history[-1]
    assert request.json() == {"os-volume_upload_image": {
        "image_name": "from-vol", "force": False, "disk_format": "raw",
        "container_format": "bare", "visibility": "private", "protected": False}}
    assert request.headers["OpenStack-API-Version"] == "volume 3.1"
    assert not [r for r in cinder.mock.request_history if "/image" in r.url]  # no Glance


def test_the_output_is_cinders_reply_sorted_with_the_volume_types_name(cinder, run):
    result = run(["image", "create", "from-vol", "--volume", VOLUME, "-f", "json"])
    record = json.loads(result.out)
    assert list(record) == sorted(record)
    assert record == {
        "container_format": "bare", "disk_format": "raw", "display_description": None,
        "id": VOLUME, "image_id": IMAGE, "image_name": "from-vol", "protected": False,
        "size": 1, "status": "uploading", "updated_at": "2024-01-01T00:00:00.000000",
        "visibility": "private", "volume_type": "lvmdriver-1"}


def test_a_volume_without_a_type_shows_none(cinder, run):
    cinder.mock.post(f"{CINDER}volumes/{VOLUME}/action",
                     json=lambda request, context: cinder_reply(request, context, None))
    result = run(["image", "create", "x", "--volume", VOLUME, "-f", "value", "-c",
                  "volume_type"])
    assert (result.code, result.out) == (0, "None\n")


def test_options_that_cinder_takes_go_into_the_body(cinder, run):
    result = run(["image", "create", "v", "--volume", VOLUME, "--force", "--public",
                  "--protected", "--disk-format", "qcow2", "--container-format", "ovf"])
    assert result.code == 0, result.err
    assert cinder.mock.request_history[-1].json()["os-volume_upload_image"] == {
        "image_name": "v", "force": True, "disk_format": "qcow2", "container_format": "ovf",
        "visibility": "public", "protected": True}


def test_a_volume_name_is_looked_up_once(cinder, run):
    cinder.mock.get(f"{CINDER}volumes?name=data-vol", json={"volumes": [
        {"id": VOLUME, "name": "data-vol", "links": []}]})
    result = run(["image", "create", "x", "--volume", "data-vol"])
    assert result.code == 0, result.err
    assert cinder_sent(cinder) == [f"GET {CINDER}volumes?name=data-vol",
                                   f"POST {CINDER}volumes/{VOLUME}/action"]


@pytest.mark.parametrize(("volumes", "line"), [
    ([], "no volume named or with ID 'data-vol'"),
    ([{"id": "b"}, {"id": "a"}], "2 volumes are named 'data-vol' (a, b): give the ID instead"),
])
def test_a_name_that_finds_none_or_several_is_one_line(cinder, run, volumes, line):
    cinder.mock.get(f"{CINDER}volumes?name=data-vol", json={"volumes": volumes})
    result = run(["image", "create", "x", "--volume", "data-vol"])
    assert (result.code, result.err) == (1, line + "\n")
    assert [u.split()[0] for u in cinder_sent(cinder)] == ["GET"]


def test_a_volume_id_cinder_does_not_know_is_one_line(cinder, run):
    cinder.mock.post(f"{CINDER}volumes/{VOLUME}/action", status_code=404,
                     json={"itemNotFound": {"code": 404,
                                            "message": f"Volume {VOLUME} could not be found."}})
    result = run(["image", "create", "x", "--volume", VOLUME])
    assert (result.code, result.err) == (1, f"no volume with ID '{VOLUME}'\n")


def test_a_volume_in_use_says_to_give_force(cinder, run):
    message = ("Invalid volume: Volume status must be available to upload to an image, but "
               "current status is: in-use.")
    cinder.mock.post(f"{CINDER}volumes/{VOLUME}/action", status_code=400,
                     json={"badRequest": {"code": 400, "message": message}})
    result = run(["image", "create", "x", "--volume", VOLUME])
    assert result.code == 1 and result.err.count("\n") == 1
    assert result.err.rstrip().endswith("(give --force to upload a volume that is in use)")
    assert message in result.err


def test_a_refused_token_is_exit_3(cinder, run):
    cinder.mock.post(f"{CINDER}volumes/{VOLUME}/action", status_code=401, text="no")
    assert run(["image", "create", "x", "--volume", VOLUME]).code == 3


def test_a_catalog_without_cinder_is_one_line_exit_2(seed_cloud, run):
    result = run(["image", "create", "x", "--volume", VOLUME])
    assert result.code == 2 and result.err.count("\n") == 1
    assert result.err.startswith("the catalog has no block-storage (Cinder) endpoint")
    assert all("/auth/tokens" in r.url or r.url.rstrip("/") == AUTH_URL
               for r in seed_cloud.mock.request_history)


@pytest.mark.parametrize("service_type", ["volumev3", "volume"])
def test_older_catalog_types_are_found_too(seed_cloud, run, service_type):
    seed_cloud.mock.post(AUTH_URL + "/v3/auth/tokens", status_code=201,
                         json=catalog_with(service_type, CINDER),
                         headers={"X-Subject-Token": TOKEN})
    seed_cloud.mock.post(f"{CINDER}volumes/{VOLUME}/action", json=cinder_reply)
    assert run(["image", "create", "x", "--volume", VOLUME]).code == 0


@pytest.mark.parametrize(("url", "root"), [
    (f"http://h/volume/v3/{PROJECT}", f"http://h/volume/v3/{PROJECT}/"),
    (f"http://h:8776/v3/{PROJECT}/", f"http://h:8776/v3/{PROJECT}/"),
    ("http://h:8776/v3", f"http://h:8776/v3/{PROJECT}/"),
    ("http://h/volume", f"http://h/volume/v3/{PROJECT}/"),
    (f"http://h:8776/v2/{PROJECT}", f"http://h:8776/v3/{PROJECT}/"),
])
def test_the_v3_root_is_read_from_the_catalog_url_without_discovery(url, root):
    assert v3_root(url, PROJECT) == root


@pytest.mark.parametrize(("args", "flag"), [
    (["--file", "/etc/hostname"], "--file"),
    (["--url", "http://example.com/disk.img"], "--url"),
    (["--min-disk", "2"], "--min-disk"),
    (["--property", "a=b"], "--property"),
    (["--tag", "t"], "--tag"),
    (["--id", "5f2a9a3c-7d1e-4b8a-9c2d-0e1f2a3b4c5d"], "--id"),
    (["--import"], "--import"),
    (["--project", "demo"], "--project"),
    (["--progress"], "--progress"),
])
def test_options_a_volume_upload_cannot_carry_are_refused_before_any_request(
        requests_mock, run, args, flag):
    result = run(["image", "create", "x", "--volume", VOLUME, *args])
    assert result.code == 2
    assert result.err.startswith(f"--volume with {flag}: ") and result.err.count("\n") == 1
    assert requests_mock.request_history == []


@pytest.mark.parametrize("args", [["--sign-key-path", "key.pem"],
                                  ["--sign-cert-id", "5f2a9a3c-7d1e-4b8a-9c2d-0e1f2a3b4c5d"],
                                  ["--sign-key-path", "k", "--sign-cert-id", "c", "--file",
                                   "/etc/hostname"]])
def test_signing_is_refused_in_one_line_before_any_request(requests_mock, run, args):
    result = run(["image", "create", "x", *args])
    assert result.code == 2
    assert result.err.endswith("imgcli does not sign images yet; use openstackclient to "
                               "create a signed image\n") and result.err.count("\n") == 1
    assert requests_mock.request_history == []


@pytest.mark.parametrize(("command", "option"), [
    (["image", "create", "x"], "--location"), (["image", "create", "x"], "--copy-from"),
    (["image", "create", "x"], "--checksum"), (["image", "create", "x"], "--store"),
    (["image", "set", "x"], "--visibility")])
def test_image_v1_options_are_refused_as_openstackclient_refuses_them(requests_mock, run,
                                                                      command, option):
    result = run([*command, option, "v"])
    assert result.code == 2 and result.err.count("\n") == 1
    assert f"argument {option}: an Image v1 option, no longer supported in Image v2" \
        in result.err
    assert requests_mock.request_history == []


def test_force_without_volume_is_accepted_and_changes_nothing(seed_cloud, run):
    glance = install(seed_cloud.mock, seed_cloud.images)
    result = run(["image", "create", "plain", "--force"])
    assert result.code == 0, result.err
    assert glance.bodies("POST") == [{"name": "plain", "container_format": "bare",
                                      "disk_format": "raw"}]
