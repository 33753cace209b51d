"""The --trace HAR document (HTTP Archive 1.2) of the seed's run: its required fields, and
the password redacted in the request it records."""

from __future__ import annotations

import json

from tests.unit.trace.seedrun import (
    AUTH_URL,
    IMAGE_URL,
    IMAGES_BODY,
    IMAGES_URL,
    OUTPUT,
    TOKEN_URL,
    check_har,
)


def test_har_structure(seed_recorder, tmp_path):
    path = tmp_path / "trace.har"
    seed_recorder.write(str(path), OUTPUT)
    doc = json.loads(path.read_text())
    check_har(doc)
    entries = doc["log"]["entries"]
    assert doc["log"]["creator"]["name"] == "imgcli"
    assert doc["log"]["pages"][0]["title"] == "imgcli image list --all"
    assert [
        (e["request"]["method"], e["request"]["url"], e["response"]["status"]) for e in entries
    ] == [
        ("GET", AUTH_URL, 300),
        ("POST", TOKEN_URL, 201),
        ("GET", IMAGE_URL, 300),
        ("GET", IMAGES_URL, 200),
    ]
    assert entries[3]["request"]["queryString"] == [{"name": "visibility", "value": "all"}]
    assert json.loads(entries[3]["response"]["content"]["text"]) == IMAGES_BODY
    assert entries[3]["response"]["content"]["mimeType"] == "application/json"
    post = entries[1]["request"]["postData"]
    assert json.loads(post["text"])["auth"]["identity"]["password"]["user"]["password"] == "***"
    assert entries[0]["response"]["statusText"] == "MULTIPLE CHOICES"
