"""`image delete --store STORE`: Glance's DELETE /v2/stores/{store}/{id}, modelled as Glance 33
answers it (glance/api/v2/images.py, delete_from_store): the data leaves one store, the image
stays; each refusal is one line, and the ones every image would meet end the run."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.unit.fake_glance import ROOT, FakeGlance, install, page

CIRROS_1 = "a3f1a9d6-0c54-47f7-96ca-641786ea5d68"
CIRROS_2 = "9c31f2c6-f22c-440e-b670-d8d5a5cc0405"
STORES = ("fs", "fs2", "fs3")


class StoreGlance:
    """Glance's delete_from_store over the fake images' `stores` ("fs,fs2")."""

    def __init__(self, glance: FakeGlance) -> None:
        self.glance = glance
        self.admin = True
        self.multi_store = True

    def delete(self, request: Any, context: Any) -> str:
        store, image_id = request.path_url.split("/")[-2:]
        context.status_code = 204
        if not self.multi_store:
            return refuse(context, 404, "The resource could not be found.")
        if store not in STORES:
            return refuse(context, 409, f"The selected store {store} is not available on "
                                        "this node.")
        image = self.glance.by_id(image_id)
        if image is None:
            return refuse(context, 404, f"Failed to find image {image_id}")
        if not self.admin:
            return refuse(context, 403, "You are not authorized to complete "
                                        "delete_image_location action.")
        if image["status"] != "active":
            return refuse(context, 409, "It's not allowed to remove image data from store "
                                        "if image status is not 'active'")
        stores = [s for s in str(image.get("stores", "")).split(",") if s]
        if len(stores) == 1:
            return refuse(context, 403, "Cannot delete image data from the only store "
                                        "containing it. Consider deleting the image instead.")
        if store not in stores:
            return refuse(context, 404, f"Image {image_id} is not stored in store {store}.")
        image["stores"] = ",".join(s for s in stores if s != store)
        return ""


def refuse(context: Any, status: int, text: str) -> str:
    context.status_code = status
    return page(status, text)


@pytest.fixture
def glance(seed_cloud) -> FakeGlance:
    glance = install(seed_cloud.mock, seed_cloud.images)
    for image in glance.images:
        image["stores"] = "fs,fs2"
    return glance


@pytest.fixture
def stores(glance) -> StoreGlance:
    model = StoreGlance(glance)
    glance.mock.delete(re.compile(re.escape(ROOT) + r"stores/[^/]+/[^/]+$"), text=model.delete)
    return model


def test_by_id_it_is_one_delete_and_the_image_keeps_its_other_store(glance, stores, run):
    result = run(["image", "delete", "--store", "fs2", CIRROS_1])
    assert (result.code, result.out, result.err) == (0, "", "")
    assert glance.sent == [f"DELETE /v2/stores/fs2/{CIRROS_1}"]
    assert glance.by_id(CIRROS_1)["stores"] == "fs"


def test_by_name_it_looks_the_image_up_once(glance, stores, run):
    assert run(["image", "delete", "cirros-0.5.1-x86_64-disk", "--store", "fs"]).code == 0
    assert [line.split("?")[0] for line in glance.sent] == [
        "GET /v2/images", f"DELETE /v2/stores/fs/{CIRROS_1}"]
    assert glance.by_id(CIRROS_1)["stores"] == "fs2"


def test_several_images_each_failure_one_line_and_the_count_names_the_store(glance, stores,
                                                                               run):
    glance.by_id(CIRROS_2)["stores"] = "fs"
    result = run(["image", "delete", "--store", "fs2", CIRROS_1, "nope", CIRROS_2])
    assert result.code == 1 and result.out == ""
    assert result.err.splitlines() == [
        "no image named or with ID 'nope'",
        f"image '{CIRROS_2}' has its data in one store only, and Glance does not delete the "
        f"last copy: delete the image instead (`imgcli image delete {CIRROS_2}`)",
        "2 of 3 images failed to delete from store fs2.",
    ]
    assert glance.by_id(CIRROS_1)["stores"] == "fs"


def test_data_not_in_that_store_costs_one_get_to_tell_it_from_a_missing_image(glance, stores,
                                                                               run):
    result = run(["image", "delete", "--store", "fs3", CIRROS_1])
    assert (result.code, result.err) == (1, f"image '{CIRROS_1}' has no data in store 'fs3'\n")
    assert glance.sent == [f"DELETE /v2/stores/fs3/{CIRROS_1}", f"GET /v2/images/{CIRROS_1}"]


def test_a_missing_id_is_one_line_without_a_count(glance, stores, run):
    gone = "0ddba11d-0000-4000-8000-000000000000"
    result = run(["image", "delete", "--store", "fs", gone])
    assert (result.code, result.err) == (1, f"no image with ID '{gone}'\n")


def test_a_member_gets_one_line_saying_it_needs_the_admin_role_and_the_run_ends(
        glance, stores, run):
    stores.admin = False
    result = run(["image", "delete", "--store", "fs2", CIRROS_1, CIRROS_2])
    assert result.code == 1
    assert result.err.count("\n") == 1
    assert result.err.startswith("`imgcli image delete --store` needs the admin role")
    assert glance.sent == [f"DELETE /v2/stores/fs2/{CIRROS_1}"]  # CIRROS_2 not tried


def test_an_unknown_store_is_one_line_and_ends_the_run(glance, stores, run):
    result = run(["image", "delete", "--store", "fs9", CIRROS_1, CIRROS_2])
    assert result.code == 1
    assert result.err == ("--store fs9: this cloud's Glance has no store of that name "
                          "(`imgcli image stores list` lists them)\n")
    assert len(glance.sent) == 1


def test_a_glance_without_multiple_stores_says_so_once(glance, stores, run):
    stores.multi_store = False
    result = run(["image", "delete", "--store", "fs", CIRROS_1, CIRROS_2])
    assert result.code == 1 and result.err.count("\n") == 1
    assert result.err.startswith("Multi Backend support not enabled")
    # The image exists: the GET after the 404 told the missing route from a missing image.
    assert glance.sent == [f"DELETE /v2/stores/fs/{CIRROS_1}", f"GET /v2/images/{CIRROS_1}"]


def test_an_image_not_active_keeps_glances_words(glance, stores, run):
    glance.by_id(CIRROS_1)["status"] = "deactivated"
    result = run(["image", "delete", "--store", "fs", CIRROS_1])
    assert result.code == 1
    assert result.err == (f"image '{CIRROS_1}' was not deleted from store 'fs': DELETE "
                          f"{ROOT}stores/fs/{CIRROS_1} failed: 409 Conflict: It's not allowed "
                          "to remove image data from store if image status is not 'active'\n")


def test_a_store_name_is_quoted_in_the_path(glance, stores, run):
    run(["image", "delete", "--store", "a/b", CIRROS_1])
    assert glance.sent[0] == f"DELETE /v2/stores/a%2Fb/{CIRROS_1}"


def test_refused_credentials_are_exit_3(glance, stores, run):
    glance.mock.delete(f"{ROOT}stores/fs/{CIRROS_1}", status_code=401, text="no")
    result = run(["image", "delete", "--store", "fs", CIRROS_1, CIRROS_2])
    assert result.code == 3 and "failed to delete" not in result.err
    assert glance.by_id(CIRROS_2)["stores"] == "fs,fs2"
