"""`image usage`: glanceclient's Quota/Limit/Usage rows from one GET /v2/info/usage."""

from __future__ import annotations

import json

import pytest

from tests.unit.commands.oracle_cache_tasks import ROOT, glance_sent

# What Glance answers with use_keystone_limits on (glance/api/v2/discovery.py: get_usage).
USAGE = {"usage": {"image_size_total": {"limit": 1000, "usage": 17},
                   "image_stage_total": {"limit": 500, "usage": 0},
                   "image_count_total": {"limit": 100, "usage": 32},
                   "image_count_uploading": {"limit": -1, "usage": 0}}}
TABLE = """\
+-----------------------+-------+-------+
| Quota                 | Limit | Usage |
+-----------------------+-------+-------+
| image_size_total      |  1000 |    17 |
| image_stage_total     |   500 |     0 |
| image_count_total     |   100 |    32 |
| image_count_uploading |    -1 |     0 |
+-----------------------+-------+-------+
"""


def test_table_in_glances_order_from_one_request(seed_cloud, run):
    seed_cloud.mock.get(ROOT + "info/usage", json=USAGE)
    result = run(["image", "usage"])
    assert (result.code, result.out, result.err) == (0, TABLE, "")
    assert glance_sent(seed_cloud.mock) == ["GET /v2/info/usage"]


def test_json_keys_are_the_column_names(seed_cloud, run):
    seed_cloud.mock.get(ROOT + "info/usage", json=USAGE)
    result = run(["image", "usage", "-f", "json"])
    assert json.loads(result.out)[0] == {"Quota": "image_size_total", "Limit": 1000,
                                         "Usage": 17}
    assert run(["image", "usage", "-f", "value", "-c", "Usage"]).out == "17\n0\n32\n0\n"


def test_no_quotas_is_an_empty_list_and_a_line_saying_why(seed_cloud, run):
    seed_cloud.mock.get(ROOT + "info/usage", json={"usage": {}})
    result = run(["image", "usage", "-f", "json"])
    assert (result.code, result.out) == (0, "[]\n")
    assert result.err.splitlines() == [
        "Glance reports no image quotas: it enforces none on this cloud (its "
        "use_keystone_limits option is off)"]


@pytest.mark.parametrize("reply", [{}, {"usage": []}, {"usage": {"image_size_total": 5}}])
def test_a_malformed_reply_is_one_line(seed_cloud, run, reply):
    seed_cloud.mock.get(ROOT + "info/usage", text=json.dumps(reply))
    result = run(["image", "usage"])
    assert (result.code, result.out) == (1, "")
    assert len(result.err.splitlines()) == 1 and "info/usage" in result.err


def test_an_old_glance_without_usage_is_one_line(seed_cloud, run):
    seed_cloud.mock.get(ROOT + "info/usage", status_code=404, text="Not Found")
    result = run(["image", "usage"])
    assert result.code == 1 and len(result.err.splitlines()) == 1
    assert "404" in result.err


def test_an_unknown_column_fails_before_any_request(seed_cloud, run):
    assert run(["image", "usage", "-c", "Used"]).code == 2
    assert glance_sent(seed_cloud.mock) == []
