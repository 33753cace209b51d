"""benchmarks/decompress.py's own logic, without a cloud: a run counts only if the image it
made is the decompressed file, and the table's ratio is against the slower of the two bounds."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from benchmarks import decompress


def created(doc: dict[str, object], code: int = 0) -> subprocess.CompletedProcess[bytes]:
    return subprocess.CompletedProcess([], code, json.dumps(doc).encode(), b"failed")


def test_only_an_active_image_holding_the_file_counts() -> None:
    good = {"id": "i", "status": "active", "size": 10, "properties": {"os_hash_value": "h"}}
    assert decompress.check_image(created(good), 10, "h") == "i"
    for bad in ({**good, "status": "queued"}, {**good, "size": 9},
                {**good, "properties": {"os_hash_value": "other"}}):
        with pytest.raises(RuntimeError):
            decompress.check_image(created(bad), 10, "h")
    with pytest.raises(RuntimeError, match="exit 1"):
        decompress.check_image(created(good, 1), 10, "h")


def test_the_ratio_is_against_the_slower_bound() -> None:
    text = decompress.table({"xz -d": [2.0, 2.2, 2.1], "imgcli raw": [3.0, 3.1, 2.9],
                             "imgcli xz": [3.3, 3.6, 3.4]}, 256, 120)
    assert "| imgcli xz | 3.40 | 3.30–3.60 | 1.13× |  |" in text
    assert "1.13× — met" in text
    slow = decompress.table({"xz -d": [2.0], "imgcli raw": [3.0], "imgcli xz": [4.0]}, 256, 1)
    assert "1.33× — missed" in slow


def test_the_image_is_disk_like_and_deterministic(tmp_path: Path) -> None:
    one, two = tmp_path / "a", tmp_path / "b"
    digest = decompress.write_image(one, 4, seed=5)
    assert digest == decompress.write_image(two, 4, seed=5)
    assert hashlib.sha512(one.read_bytes()).hexdigest() == digest
    assert one.stat().st_size == 4 << 20
