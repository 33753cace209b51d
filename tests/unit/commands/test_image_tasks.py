"""`image task list`, `image task show`, and imgcli's `image task list --image`: the query
sent, openstackclient's output for the same reply, paging, and one line for each error."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.unit.commands.oracle_cache_tasks import (
    EXPECTED,
    REPLIES,
    ROOT,
    at,
    cases,
    forbidden_page,
    glance_sent,
)
from tests.unit.fake_glance import page

TASK = "1c4d1f5a-9a0f-4a7e-8c1e-2f6b7d9e0a01"
FAILED = "2d5e2a6b-0b1a-4b8f-9d2f-3a7c8e0f1b02"
CIRROS_1 = "a3f1a9d6-0c54-47f7-96ca-641786ea5d68"  # a seed image, named cirros-0.5.1-x86_64-disk


def query_of(line: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(line.split(" ", 1)[1]).query)


@pytest.mark.parametrize(("case", "args"), cases("tasks"))
def test_list_is_openstackclients(seed_cloud, run, case, args):
    seed_cloud.mock.get(at("tasks"), json=REPLIES[case])
    result = run(["image", "task", "list", *args.split()])
    assert (result.code, result.out) == (0, EXPECTED[case][args]["out"])
    assert glance_sent(seed_cloud.mock) == ["GET /v2/tasks?limit=1000"]


@pytest.mark.parametrize(("case", "args"), cases("task", "task_failed"))
def test_show_is_openstackclients(seed_cloud, run, case, args):
    task_id = REPLIES[case]["id"]
    seed_cloud.mock.get(ROOT + f"tasks/{task_id}", json=REPLIES[case])
    result = run(["image", "task", "show", task_id, *args.split()])
    assert (result.code, result.out) == (0, EXPECTED[case][args]["out"])
    assert glance_sent(seed_cloud.mock) == [f"GET /v2/tasks/{task_id}"]


def test_every_option_goes_into_the_query(seed_cloud, run):
    seed_cloud.mock.get(at("tasks"), json=REPLIES["tasks"])
    result = run(["image", "task", "list", "--type", "import", "--status", "success",
                  "--sort-key", "updated_at", "--sort-dir", "asc", "--limit", "5",
                  "--marker", FAILED])
    assert result.code == 0
    [sent] = glance_sent(seed_cloud.mock)
    assert query_of(sent) == [("type", "import"), ("status", "success"),
                              ("sort_key", "updated_at"), ("sort_dir", "asc"),
                              ("limit", "5"), ("marker", FAILED)]


def stub(number: int) -> dict:
    return {**REPLIES["tasks"]["tasks"][0], "id": f"00000000-0000-4000-8000-{number:012d}"}


def paged(request, context):
    """Glance's paging: `limit` per page, `next` with the same query and the last marker."""
    query = dict(parse_qsl(urlsplit(request.url).query))
    everything = [stub(n) for n in range(7)]
    ids = [task["id"] for task in everything]
    start = ids.index(query["marker"]) + 1 if "marker" in query else 0
    limit = int(query["limit"])
    tasks = everything[start:start + limit]
    doc = {"tasks": tasks, "first": "/v2/tasks", "schema": "/v2/schemas/tasks"}
    if len(tasks) == limit:
        doc["next"] = f"/v2/tasks?limit={limit}&marker={tasks[-1]['id']}"
    return doc


def test_pages_are_followed_and_max_items_caps_the_rows(seed_cloud, run, monkeypatch):
    monkeypatch.setattr("imgcli.commands.image.tasks.PAGE_SIZE", 3)
    seed_cloud.mock.get(at("tasks"), json=paged)
    result = run(["image", "task", "list", "-f", "value", "-c", "ID"])
    assert result.out.split() == [stub(n)["id"] for n in range(7)]
    assert len(glance_sent(seed_cloud.mock)) == 3
    seed_cloud.mock.reset_mock()
    result = run(["image", "task", "list", "-f", "value", "-c", "ID", "--max-items", "4"])
    assert result.out.split() == [stub(n)["id"] for n in range(4)]
    assert [query_of(line) for line in glance_sent(seed_cloud.mock)] == [
        [("limit", "3")], [("limit", "3"), ("marker", stub(2)["id"])]]


def test_limit_caps_the_rows_and_the_page(seed_cloud, run):
    seed_cloud.mock.get(at("tasks"), json=paged)
    result = run(["image", "task", "list", "-f", "value", "-c", "ID", "--limit", "2"])
    assert result.out.split() == [stub(0)["id"], stub(1)["id"]]
    assert [query_of(line) for line in glance_sent(seed_cloud.mock)] == [[("limit", "2")]]


def test_max_items_zero_sends_nothing(seed_cloud, run):
    result = run(["image", "task", "list", "--max-items", "0", "-f", "json"])
    assert (result.code, result.out) == (0, "[]\n")
    assert glance_sent(seed_cloud.mock) == []


def test_a_next_link_that_repeats_is_one_line_not_a_loop(seed_cloud, run):
    seed_cloud.mock.get(at("tasks"), json={**REPLIES["tasks"], "next": "/v2/tasks?limit=1000"})
    result = run(["image", "task", "list"])
    assert result.code == 1 and "repeats a page" in result.err
    assert len(glance_sent(seed_cloud.mock)) == 1


@pytest.mark.parametrize(("argv", "names"), [
    (["--sort-key", "name"], "--sort-key"),
    (["--sort-key", "created_at:desc"], "--sort-key"),
    (["--sort-dir", "up"], "--sort-dir"),
    (["--type", "export"], "--type"),
    (["--status", "done"], "--status"),
    (["--limit", "-1"], "--limit"),
    (["--max-items", "x"], "--max-items"),
    (["--marker", "not-a-task"], "--marker"),
    (["--image", CIRROS_1, "--status", "success"], "--status"),
    (["--image", CIRROS_1, "--sort-key", "id"], "--sort-key"),
    (["-c", "Message"], "Message"),
])
def test_bad_options_are_one_line_before_any_request(seed_cloud, run, argv, names):
    result = run(["image", "task", "list", *argv])
    assert result.code == 2 and names in result.err
    assert len(result.err.splitlines()) == 1
    assert glance_sent(seed_cloud.mock) == []


def test_list_as_a_member_says_it_needs_admin(seed_cloud, run):
    seed_cloud.mock.get(at("tasks"), status_code=403, text=forbidden_page())
    result = run(["image", "task", "list"])
    assert (result.code, result.out) == (1, "")
    assert result.err.splitlines() == [
        "`imgcli image task list` needs the admin role: Glance's policy refused it for this "
        "user (403 Forbidden; by default only admin may do this)"]


def test_show_as_a_member_says_it_needs_admin(seed_cloud, run):
    seed_cloud.mock.get(ROOT + f"tasks/{TASK}", status_code=403, text=forbidden_page())
    result = run(["image", "task", "show", TASK])
    assert result.code == 1 and len(result.err.splitlines()) == 1
    assert "`imgcli image task show` needs the admin role" in result.err


def test_an_unknown_task_is_one_line(seed_cloud, run):
    seed_cloud.mock.get(ROOT + "tasks/nope", status_code=404,
                        text=page(404, "Task with the given id nope was not found"))
    result = run(["image", "task", "show", "nope"])
    assert (result.code, result.out, result.err) == (1, "", "no task with ID 'nope'\n")


def test_a_task_id_is_quoted_into_the_path(seed_cloud, run):
    seed_cloud.mock.get(ROOT + "tasks/a%2Fb", status_code=404, text=page(404, "no"))
    assert run(["image", "task", "show", "a/b"]).code == 1
    assert glance_sent(seed_cloud.mock) == ["GET /v2/tasks/a%2Fb"]


@pytest.mark.parametrize("reply", [{"tasks": {}}, {"tasks": ["x"]}, {}])
def test_a_malformed_list_is_one_line(seed_cloud, run, reply):
    seed_cloud.mock.get(at("tasks"), text=json.dumps(reply))
    result = run(["image", "task", "list"])
    assert (result.code, result.out) == (1, "")
    assert len(result.err.splitlines()) == 1 and "list of tasks" in result.err


def test_a_show_reply_that_is_not_an_object_is_one_line(seed_cloud, run):
    seed_cloud.mock.get(ROOT + f"tasks/{TASK}", text="[]")
    result = run(["image", "task", "show", TASK])
    assert result.code == 1 and "not a JSON object" in result.err


# ------------------------------------------------------------------ --image


IMAGE_TASKS = {"tasks": [
    {**REPLIES["task_failed"], "image_id": CIRROS_1, "request_id": "req-1", "user_id": "u1",
     "deleted": False, "deleted_at": None},
    {**REPLIES["task"], "image_id": CIRROS_1, "deleted": False, "deleted_at": None}]}


def test_image_tasks_by_id_are_one_request_with_the_messages(seed_cloud, run):
    seed_cloud.mock.get(ROOT + f"images/{CIRROS_1}/tasks", json=IMAGE_TASKS)
    result = run(["image", "task", "list", "--image", CIRROS_1, "-f", "json"])
    assert result.code == 0
    assert json.loads(result.out) == [
        {"ID": FAILED, "Type": "import", "Status": "failure",
         "Owner": "a5362cbd04fd4783a038d5a342d58e87",
         "Message": "Image import failed: 'ünïcode' said no",
         "Updated At": "2024-05-01T11:00:05Z"},
        {"ID": TASK, "Type": "import", "Status": "success",
         "Owner": "a5362cbd04fd4783a038d5a342d58e87", "Message": "",
         "Updated At": "2024-05-01T12:00:01Z"}]
    assert glance_sent(seed_cloud.mock) == [f"GET /v2/images/{CIRROS_1}/tasks"]


def test_image_tasks_by_name_look_the_image_up_once(seed_cloud, run):
    seed_cloud.mock.get(ROOT + f"images/{CIRROS_1}/tasks", json=IMAGE_TASKS)
    result = run(["image", "task", "list", "--image", "cirros-0.5.1-x86_64-disk",
                  "-c", "ID", "-c", "Status", "--max-items", "1", "-f", "csv"])
    assert (result.code, result.out) == (0, f'"ID","Status"\n"{FAILED}","failure"\n')
    assert [line.split("?")[0] for line in glance_sent(seed_cloud.mock)] == [
        "GET /v2/images", f"GET /v2/images/{CIRROS_1}/tasks"]


def test_image_tasks_of_an_image_not_there_is_one_line(seed_cloud, run):
    gone = "0ddba11d-0000-4000-8000-000000000000"
    seed_cloud.mock.get(ROOT + f"images/{gone}/tasks", status_code=404,
                        text=page(404, "The resource could not be found."))
    result = run(["image", "task", "list", "--image", gone])
    assert (result.code, result.err) == (1, f"no image with ID '{gone}'\n")
    assert run(["image", "task", "list", "--image", "no-such-name"]).err == (
        "no image named or with ID 'no-such-name'\n")


def test_image_tasks_table_has_the_two_more_columns(seed_cloud, run):
    seed_cloud.mock.get(ROOT + f"images/{CIRROS_1}/tasks", json={"tasks": []})
    result = run(["image", "task", "list", "--image", CIRROS_1, "-f", "csv"])
    assert result.out == '"ID","Type","Status","Owner","Message","Updated At"\n'
