"""`image sync --to-cloud CLOUD [image list's filters] [--dry-run] [--parallel N]` against two
mocked clouds: one row per selected image (copy, skip, conflict, failed) in every format,
--dry-run changing nothing, a failure not stopping the rest (exit 1), and the plan itself
table-driven."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import imgcli.transfer.importing as importing
from imgcli.commands.image.sync import plan
from tests.unit.fake_clouds import Clouds, hashes

A, B, C = b"a" * 3000, b"b" * 2000, b"c" * 1000


@pytest.fixture
def clouds(requests_mock: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Clouds:
    monkeypatch.setattr(importing.time, "sleep", lambda seconds: None)
    clouds = Clouds(requests_mock, tmp_path)
    source, target = clouds.glance("one"), clouds.glance("two")
    source.add(A, name="alpha", id="a0000000-0000-0000-0000-000000000000", tags=["gold"])
    source.add(B, name="beta", id="b0000000-0000-0000-0000-000000000000", tags=["gold"])
    source.add(C, name="gamma", id="c0000000-0000-0000-0000-000000000000", tags=["gold"])
    source.add(A, name="delta", id="d0000000-0000-0000-0000-000000000000")  # not gold
    target.add(B, name="beta", id="bbbbbbbb-0000-0000-0000-000000000000")  # same data
    target.add(b"other", name="gamma", id="cccccccc-0000-0000-0000-000000000000")
    return clouds


def sync(run: Any, clouds: Clouds, *args: str) -> Any:
    return run(["--os-cloud", "one", "image", "sync", "--to-cloud", "two", *args],
               env=clouds.env)


def writes(clouds: Clouds) -> list[str]:
    return [s for s in clouds.glance("two").sent if not s.startswith("GET")]


def test_sync_copies_skips_and_reports_conflicts(run, clouds):
    result = sync(run, clouds, "--tag", "gold", "-f", "json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    copied = clouds.glance("two").named("alpha")[0]
    assert rows == [
        {"Name": "alpha", "ID": "a0000000-0000-0000-0000-000000000000", "Action": "copy",
         "Target ID": copied["id"], "Reason": ""},
        {"Name": "beta", "ID": "b0000000-0000-0000-0000-000000000000", "Action": "skip",
         "Target ID": "bbbbbbbb-0000-0000-0000-000000000000", "Reason": ""},
        {"Name": "gamma", "ID": "c0000000-0000-0000-0000-000000000000", "Action": "conflict",
         "Target ID": "cccccccc-0000-0000-0000-000000000000",
         "Reason": "two has 1 image(s) of that name with other data; not overwritten"}]
    assert clouds.glance("two").data[copied["id"]] == A
    assert writes(clouds) == ["POST /v2/images", f"PUT /v2/images/{copied['id']}/file"]
    assert clouds.glance("two").named("gamma")[0]["size"] == 5  # never overwritten


def test_dry_run_changes_nothing_and_sends_only_the_listings(run, clouds):
    result = sync(run, clouds, "--tag", "gold", "--dry-run", "-f", "value", "-c", "Name",
                  "-c", "Action")
    assert (result.code, result.out) == (0, "alpha copy\nbeta skip\ngamma conflict\n")
    assert writes(clouds) == []
    assert clouds.glance("two").sent == ["GET /v2/images?limit=1000",
                                         "GET /v2/images?limit=1000&os_hidden=true"]
    assert [s.split("?")[0] for s in clouds.glance("one").sent] == ["GET /v2/images"]


def test_a_hidden_image_on_the_target_counts(run, clouds):
    clouds.glance("two").add(A, name="alpha", os_hidden=True)
    result = sync(run, clouds, "--name", "alpha", "-f", "value", "-c", "Action")
    assert (result.code, result.out) == (0, "skip\n")


def test_a_second_run_skips_what_the_first_copied(run, clouds):
    assert sync(run, clouds, "--tag", "gold").code == 0
    again = sync(run, clouds, "--tag", "gold", "-f", "csv", "-c", "Name", "-c", "Action")
    assert again.out == '"Name","Action"\n"alpha","skip"\n"beta","skip"\n"gamma","conflict"\n'
    assert len(clouds.glance("two").named("alpha")) == 1


def test_a_failed_copy_does_not_stop_the_rest_and_the_exit_status_is_1(run, clouds):
    clouds.glance("one").add(C, name="epsilon", tags=["gold"],
                             id="e0000000-0000-0000-0000-000000000000")
    put = re.compile(re.escape(clouds.glance("two").root) + r"images/[^/]+/file$")
    answers = iter([500, 204])

    def flaky(request: Any, context: Any) -> str:
        status = next(answers)
        if status == 204:
            return clouds.glance("two").put_file(request, context)
        context.status_code = 500
        return "Internal Server Error"

    clouds.mock.put(put, text=flaky)
    result = sync(run, clouds, "--tag", "gold", "-f", "value", "-c", "Name", "-c", "Action",
                  "-c", "Reason")
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith("alpha failed ") and lines[0].endswith("was deleted")
    assert "500" in lines[0]
    assert lines[1:] == ["beta skip ", "epsilon copy ",
                         "gamma conflict two has 1 image(s) of that name with other data; "
                         "not overwritten"]
    assert clouds.glance("two").named("alpha") == []


def test_parallel_copies_give_the_same_rows_in_the_same_order(run, clouds):
    for n in range(4):
        clouds.glance("one").add(bytes([n]) * 1500, name=f"p{n}", tags=["many"])
    result = sync(run, clouds, "--tag", "many", "--parallel", "3", "-f", "value", "-c", "Name",
                  "-c", "Action")
    assert (result.code, result.out) == (0, "p0 copy\np1 copy\np2 copy\np3 copy\n")
    target = clouds.glance("two")
    assert sorted(target.data[target.named(f"p{n}")[0]["id"]] for n in range(4)) == \
        [bytes([n]) * 1500 for n in range(4)]
    tokens = [r for r in clouds.mock.request_history if r.url.endswith("/auth/tokens")]
    assert len(tokens) == 2  # one per cloud: the threads start from the run's tokens


def test_sync_between_regions_uses_glance_download(run, clouds):
    result = run(["--os-cloud", "one", "image", "sync", "--to-region", "RegionTwo", "--name",
                  "alpha", "-f", "value", "-c", "Action"], env=clouds.env)
    assert (result.code, result.out) == (0, "copy\n"), result.err
    target = clouds.glance("one", "RegionTwo")
    assert [s for s in target.sent if s.endswith("/import")] != []
    assert target.data[target.named("alpha")[0]["id"]] == A


def test_a_target_that_refuses_the_token_stops_the_sync(run, clouds):
    clouds.glance("two").refuse_token = True
    result = sync(run, clouds, "--tag", "gold")
    assert result.code == 3 and result.err.startswith("two: GET http://two-glance/")
    assert clouds.glance("two").sent[0].startswith("GET /v2/images?")


@pytest.mark.parametrize("args, message", [
    (["--long"], "--long: image sync prints its own columns"),
    (["--parallel", "0"], "argument --parallel: give 1 or more copies at a time"),
    (["--sort", "colour"], "'colour' is not a sort key Glance knows"),
    (["-c", "Size"], "-c 'Size': no such column here; the columns are Name, ID, Action, "
                     "Target ID, Reason"),
])
def test_bad_input_is_refused_before_any_request(run, clouds, args, message):
    result = sync(run, clouds, *args)
    assert result.code == 2 and message in result.err, result.err
    assert clouds.mock.request_history == []


# -------------------------------------------------------------- the plan, table-driven


def image(name: str | None, data: bytes | None, image_id: str, **more: Any) -> dict[str, Any]:
    record = {"id": image_id, "name": name, "status": "active" if data is not None else
              "queued", "size": None}
    if data is not None:
        record.update(hashes(data))
    return {**record, **more}


@pytest.mark.parametrize("source, target, expected", [
    ([image("a", A, "s1")], [], [("copy", "", "")]),
    ([image("a", A, "s1")], [image("a", A, "t1")], [("skip", "t1", "")]),
    ([image("a", A, "s1")], [image("a", B, "t1"), image("a", C, "t2")],
     [("conflict", "t1, t2", "T has 2 image(s) of that name with other data; not "
                             "overwritten")]),
    ([image("a", A, "s1")], [image("a", None, "t1"), image("a", A, "t2")], [("skip", "t2", "")]),
    ([image("a", A, "s1")], [image("a", A, "t1", status="deactivated")],
     [("conflict", "t1", "T has 1 image(s) of that name with other data; not overwritten")]),
    ([image("a", None, "s1")], [], [("skip", "", "image s1 has no data yet (status queued): "
                                                  "nothing to copy")]),
    ([image(None, A, "s1")], [], [("skip", "", "it has no name to find it by on the target")]),
    ([image("a", A, "s1"), image("a", A, "s2")], [],
     [("copy", "", ""), ("skip", "", "same data as source image s1")]),
    ([image("a", A, "s1"), image("a", B, "s2")], [],
     [("copy", "", ""), ("conflict", "", "source image s1 of that name holds other data")]),
])
def test_the_plan(source, target, expected):
    assert [(row.action, row.target_id, row.reason) for row in plan(source, target, "T")] == \
        expected


def test_an_interrupt_during_parallel_copies_leaves_no_half_made_image(run, clouds):
    import _thread

    for n in range(6):
        clouds.glance("one").add(bytes([n]) * (3 << 20), name=f"p{n}", tags=["many"])
    target = clouds.glance("two")
    put = re.compile(re.escape(target.root) + r"images/[^/]+/file$")
    first = []

    def interrupting(request: Any, context: Any) -> str:
        if not first:
            first.append(True)
            _thread.interrupt_main()  # Ctrl-C, while this copy and another are under way
        return target.put_file(request, context)

    clouds.mock.put(put, text=interrupting)
    result = sync(run, clouds, "--tag", "many", "--parallel", "2")
    assert result.code == 130
    assert len(target.images) < 6  # it stopped
    assert all(image["status"] == "active" and target.data.get(image["id"])
               for image in target.images), "a half-made image was left on the target"
    for line in result.err.splitlines():
        assert re.fullmatch(r"interrupted after \d+ of \d+ bytes of .* were sent; the "
                            r"half-made image \S+ was deleted", line), line
