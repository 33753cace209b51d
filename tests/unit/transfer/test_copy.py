"""imgcli.transfer.copy against two mocked clouds: what the new image keeps, the source's data
checked as it passes (a cut or damaged body never completes the PUT), and the half-made
target image deleted, and said so, whatever stops the copy."""

from __future__ import annotations

import argparse
import hashlib
import re
from typing import Any

import pytest

import imgcli.transfer.importing as importing
from imgcli.config import OPTIONS, resolve_settings
from imgcli.connection import Connection, connect
from imgcli.errors import ApiError, AuthError
from imgcli.transfer import copy as copying
from tests.unit.fake_clouds import Clouds, hashes

DATA = bytes(range(251)) * 9000  # 2.2 MiB: three blocks, the last one short
NAMES = ("one", "two")


@pytest.fixture
def clouds(requests_mock: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Clouds:
    monkeypatch.setattr(importing.time, "sleep", lambda seconds: None)
    return Clouds(requests_mock, tmp_path)


def connection(clouds: Clouds, name: str, region: str | None = None) -> Connection:
    args = argparse.Namespace(**{opt.name: None for opt in OPTIONS})
    args.cloud, args.region_name = name, region
    return connect(resolve_settings(args, clouds.env))


def source_image(clouds: Clouds, data: bytes = DATA, **body: Any) -> dict[str, Any]:
    return clouds.glance("one").add(data, name="golden", **body)


def stream(clouds: Clouds, image: dict[str, Any], **body: Any) -> tuple[dict[str, Any], Any]:
    return copying.stream(connection(clouds, "one"), connection(clouds, "two"), image,
                          copying.copy_body(image, **body), NAMES)


# -------------------------------------------------------------- what the new image keeps


def test_the_body_keeps_what_describes_the_image_and_drops_what_belongs_to_the_source():
    image = {"id": "src", "name": "golden", "disk_format": "qcow2", "container_format": "bare",
             "min_disk": 2, "min_ram": 512, "tags": ["a", "b"], "visibility": "public",
             "protected": True, "os_hidden": False, "hw_disk_bus": "scsi",
             "owner_specified.openstack.object": "images/golden", "owner": "p1",
             "status": "active", "size": 7, "virtual_size": 7, "checksum": "c",
             "os_hash_algo": "sha512", "os_hash_value": "h", "created_at": "t",
             "updated_at": "t", "self": "/v2/images/src", "file": "/v2/images/src/file",
             "schema": "/v2/schemas/image", "locations": [], "direct_url": "file:///x",
             "stores": "fs", "os_glance_import_task": "t1", "os_glance_failed_import": "",
             "kernel_id": None}
    body = copying.copy_body(image)
    new_id = body.pop("id")
    assert body == {"name": "golden", "disk_format": "qcow2", "container_format": "bare",
                    "min_disk": 2, "min_ram": 512, "tags": ["a", "b"], "visibility": "public",
                    "protected": True, "os_hidden": False, "hw_disk_bus": "scsi",
                    "owner_specified.openstack.object": "images/golden"}
    assert new_id != "src" and len(new_id) == 36
    assert copying.copy_body(image, "other")["name"] == "other"


@pytest.mark.parametrize("record, reason", [
    ({"id": "i", "status": "queued", "size": None}, "has no data yet (status queued)"),
    ({"id": "i", "status": "killed", "size": None}, "has no data (status killed)"),
    ({"id": "i", "status": "deactivated", "size": 5}, "is deactivated, not active"),
    ({"id": "i", "status": "active", "size": None}, "has no data (no size)"),
    ({"id": "i", "status": "active", "size": 0}, None),
])
def test_only_an_active_image_with_data_can_be_copied(record, reason):
    found = copying.why_no_data(record)
    assert (found if found is None else found.removeprefix("image i ")) == reason


# -------------------------------------------------------------- the stream copy


def test_a_stream_copy_reads_the_source_first_and_sends_its_bytes_once(clouds):
    image = source_image(clouds, tags=["gold"], hw_disk_bus="scsi")
    final, warning = stream(clouds, image)
    source, target = clouds.glance("one"), clouds.glance("two")
    assert warning is None
    assert source.sent == [f"GET /v2/images/{image['id']}/file"]
    assert target.sent == ["POST /v2/images", f"PUT /v2/images/{final['id']}/file",
                           f"GET /v2/images/{final['id']}"]
    first_target = next(i for i, r in enumerate(clouds.mock.request_history)
                        if r.url.startswith(target.root))
    last_source = max(i for i, r in enumerate(clouds.mock.request_history)
                      if r.url.startswith(source.root))
    assert last_source < first_target  # the source's GET went first
    assert target.data[final["id"]] == DATA
    assert (final["status"], final["os_hash_value"]) == ("active", image["os_hash_value"])
    put = clouds.mock.request_history[-2]
    assert put.headers["Content-Length"] == str(len(DATA))


def test_an_empty_image_is_copied_too(clouds):
    final, _ = stream(clouds, source_image(clouds, b""))
    assert (final["status"], final["size"]) == ("active", 0)


def assert_deleted(clouds: Clouds, error: BaseException) -> None:
    """The target holds nothing, its DELETE was sent, and the message says so."""
    target = clouds.glance("two")
    assert target.images == [] and target.data == {}
    assert [s for s in target.sent if s.startswith("DELETE")] != []
    assert "the half-made image" in str(error) and str(error).endswith("was deleted")


def test_a_cut_body_never_completes_the_upload_and_the_target_image_is_deleted(clouds):
    clouds.glance("one").cut_after = 1000
    with pytest.raises(ApiError) as caught:
        stream(clouds, source_image(clouds))
    assert f"broke off after 1000 of {len(DATA)} bytes" in str(caught.value)
    assert_deleted(clouds, caught.value)


def test_a_flipped_byte_is_found_before_the_last_block_leaves(clouds):
    clouds.glance("one").flip_byte = len(DATA) - 3  # in the last block
    with pytest.raises(ApiError) as caught:
        stream(clouds, source_image(clouds))
    assert "does not match its hash (sha512" in str(caught.value)
    assert_deleted(clouds, caught.value)


def test_more_bytes_than_the_record_says_stop_the_copy(clouds):
    image = source_image(clouds)
    clouds.glance("one").data[image["id"]] = DATA + b"x"
    image = {**image, "size": len(DATA)}
    with pytest.raises(ApiError) as caught:
        stream(clouds, image)
    assert "offers" in str(caught.value) and "nothing" not in str(caught.value)
    assert clouds.glance("two").sent == []  # the Content-Length told before the POST


@pytest.mark.parametrize("status", [500, 503, 413])
def test_a_target_that_fails_the_put_keeps_its_status_and_loses_the_image(clouds, status):
    clouds.glance("two").put_status = status
    with pytest.raises(ApiError) as caught:
        stream(clouds, source_image(clouds))
    assert caught.value.status == status
    assert_deleted(clouds, caught.value)


def test_a_put_that_breaks_off_midway_says_how_far_it_got(clouds):
    clouds.glance("two").break_put_after = 1 << 20
    with pytest.raises(ApiError) as caught:
        stream(clouds, source_image(clouds))
    assert "the upload broke off after" in str(caught.value)
    assert_deleted(clouds, caught.value)


def test_a_target_that_refuses_the_token_creates_nothing(clouds):
    clouds.glance("two").refuse_token = True
    with pytest.raises(AuthError) as caught:
        stream(clouds, source_image(clouds))
    assert caught.value.status == 401 and str(caught.value).startswith("two: POST ")
    assert clouds.glance("two").images == []


def test_an_attribute_the_target_refuses_is_named_and_nothing_is_copied(clouds):
    clouds.glance("two").create_refusal = (
        403, "You are not authorized to complete publicize_image action.")
    with pytest.raises(ApiError) as caught:
        stream(clouds, source_image(clouds, visibility="public"))
    assert caught.value.status == 403
    assert str(caught.value).startswith("two refuses the new image (visibility public): ")
    assert str(caught.value).endswith("; nothing was copied")
    assert clouds.glance("two").sent == ["POST /v2/images"]


def test_a_failed_delete_names_the_image_left_behind(clouds):
    clouds.glance("one").cut_after = 10
    clouds.glance("two").delete_fails = True
    with pytest.raises(ApiError) as caught:
        stream(clouds, source_image(clouds))
    left = clouds.glance("two").images[0]["id"]
    assert f"deleting the half-made image {left} failed too" in str(caught.value)
    assert f"imgcli image delete {left}" in str(caught.value)


def test_an_interrupt_mid_upload_deletes_the_target_image_and_says_so(clouds):
    from imgcli.signals import Interrupted

    def interrupted(request: Any, context: Any) -> str:
        next(iter(request.body))  # the first block went out
        raise Interrupted(15)

    target = clouds.glance("two")
    # The last matcher registered answers first (requests-mock).
    clouds.mock.put(re.compile(re.escape(target.root) + r"images/[^/]+/file$"), text=interrupted)
    with pytest.raises(KeyboardInterrupt) as caught:
        stream(clouds, source_image(clouds))
    assert str(caught.value).startswith("interrupted by SIGTERM after ")
    assert str(caught.value).endswith("was deleted")
    assert target.images == []


# -------------------------------------------------------------- glance-download


def test_glance_download_imports_from_the_source_region_and_checks_the_hash(clouds):
    image = source_image(clouds)
    target = connection(clouds, "one", "RegionTwo")
    final, warning = copying.glance_download(target, image, copying.copy_body(image), "one",
                                             region="RegionOne", interface="public",
                                             timeout=30)
    glance = clouds.glance("one", "RegionTwo")
    assert warning is None and final["os_hash_value"] == image["os_hash_value"]
    assert glance.data[final["id"]] == DATA
    start = next(r for r in clouds.mock.request_history if r.url.endswith("/import"))
    assert start.json() == {"method": {
        "name": "glance-download", "glance_region": "RegionOne",
        "glance_image_id": image["id"], "glance_service_interface": "public"}}


def test_a_failed_glance_download_deletes_the_target_image(clouds):
    image = source_image(clouds)
    clouds.glance("one").data.clear()  # the remote side has no data to give
    target = connection(clouds, "one", "RegionTwo")
    with pytest.raises(ApiError) as caught:
        copying.glance_download(target, image, copying.copy_body(image), "one",
                                region="RegionOne", interface="public", timeout=30)
    assert "failed" in str(caught.value) and str(caught.value).endswith("was deleted")
    assert clouds.glance("one", "RegionTwo").images == []


# -------------------------------------------------------------- comparing records


def record(data: bytes, **more: Any) -> dict[str, Any]:
    return {"status": "active", **hashes(data), **more}


def test_records_compare_by_size_and_hash():
    assert copying.compare_records(record(DATA), record(DATA)) is None
    with pytest.raises(ApiError):
        copying.compare_records(record(DATA), record(DATA[:-1] + b"x"))
    with pytest.raises(ApiError):
        copying.compare_records(record(DATA), record(DATA[:-1]))
    other = record(DATA, os_hash_algo="sha256", os_hash_value=hashlib.sha256(DATA).hexdigest())
    assert "sha512, the target with sha256" in (copying.compare_records(record(DATA), other)
                                                or "")


def test_same_data_needs_an_active_image_with_the_same_hash():
    assert copying.same_data(record(DATA), record(DATA))
    assert not copying.same_data(record(DATA), record(DATA, status="queued"))
    assert not copying.same_data(record(DATA), record(DATA + b"x"))
    assert not copying.same_data({"status": "active"}, {"status": "active"})
