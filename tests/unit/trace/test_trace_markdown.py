"""The --trace Markdown document of the seed's run: the sequence diagram, the sections in
order, the steps, the tabs of each message, the output, and no secret in any of it."""

from __future__ import annotations

import hashlib
import json
import re
import textwrap

from tests.unit.trace.seedrun import (
    AUTH_URL,
    IMAGE_URL,
    IMAGES_BODY,
    IMAGES_URL,
    OUTPUT,
    PASSWORD,
    SEED_ARROWS,
    TOKEN,
    TOKEN_URL,
    arrows,
    assert_no_secrets,
    ks_digest,
    mermaid_block,
)


def test_markdown_sequence_diagram_matches_seed(seed_recorder):
    md = seed_recorder.render_markdown(OUTPUT)
    assert md.startswith("# imgcli image list --all\n")
    lines = mermaid_block(md)
    assert lines[:5] == [
        "sequenceDiagram",
        "autonumber",
        "participant client as imgcli",
        "participant keystone as keystone-api",
        "participant glance as glance-api",
    ]
    assert arrows(md) == SEED_ARROWS
    assert len(lines) == 5 + 8


def test_markdown_sections_in_order(seed_recorder):
    md = seed_recorder.render_markdown(OUTPUT)
    headings = re.findall(r"^### .*$", md, re.MULTILINE)
    assert headings == [
        f"### (1) GET {AUTH_URL}",
        "### (2) 300 MULTIPLE CHOICES",
        f"### (3) POST {TOKEN_URL}",
        "### (4) 201 CREATED",
        f"### (5) GET {IMAGE_URL}",
        "### (6) 300 Multiple Choices",
        f"### (7) GET {IMAGES_URL}",
        "### (8) 200 OK",
    ]
    top = re.findall(r"^## .*$", md, re.MULTILINE)
    assert top == ["## Sequence Diagram", "## Steps", "## Request/Response", "## Output"]


def test_markdown_steps_explain_the_run(seed_recorder):
    md = seed_recorder.render_markdown(OUTPUT)
    steps = md.split("## Steps\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert steps == [
        "- (1),(2): Identity's version endpoints (version discovery); "
        "keystone-api answered 300 MULTIPLE CHOICES.",
        "- (3),(4): a token and the service catalog; keystone-api answered 201 CREATED.",
        "- (5),(6): the Image service's versions (version discovery); "
        "glance-api answered 300 Multiple Choices.",
        "- (7),(8): the image list; glance-api answered 200 OK.",
    ]


def test_markdown_tabs_mirror_the_seed(seed_recorder):
    md = seed_recorder.render_markdown(OUTPUT)
    request_7 = md.split(f"### (7) GET {IMAGES_URL}\n", 1)[1].split("### (8)", 1)[0]
    assert request_7.startswith(f'\n=== "Header"\n    ``` http title=""\n    GET {IMAGES_URL}\n')
    assert f"    X-Auth-Token: {ks_digest(TOKEN)}\n    ```\n" in request_7
    assert request_7.endswith('=== "Body"\n    ``` http title=""\n    none\n    ```\n\n')
    response_8 = md.split("### (8) 200 OK\n", 1)[1].split("## Output", 1)[0]
    assert f"    200 OK {IMAGES_URL}\n" in response_8
    assert "    x-openstack-request-id: req-d0178a61-46a8-4b61-bd57-71013b1babd4\n" in response_8
    # The seed's body, pretty-printed with indent 4, inside the 4-space tab indentation.
    pretty = textwrap.indent(json.dumps(IMAGES_BODY, indent=4), "    ")
    assert f'=== "Body"\n    ``` json title=""\n{pretty}\n    ```\n' in response_8


def test_markdown_output_section(seed_recorder):
    md = seed_recorder.render_markdown(OUTPUT)
    assert md.endswith(f'## Output\n\n``` text title="table format"\n{OUTPUT}```\n')


def test_request_json_body_pretty_printed_and_password_redacted(seed_recorder):
    md = seed_recorder.render_markdown(OUTPUT)
    section = md.split(f"### (3) POST {TOKEN_URL}\n", 1)[1].split("### (4)", 1)[0]
    assert '            "password": {\n' in section  # the method object survives
    assert '                    "password": "***"\n' in section
    assert '"name": "admin"' in section
    assert_no_secrets(md, PASSWORD)


def test_no_token_or_password_anywhere(seed_recorder, tmp_path):
    md_path, har_path = tmp_path / "trace.md", tmp_path / "trace.har"
    seed_recorder.write(str(md_path), OUTPUT)
    seed_recorder.write(str(har_path), OUTPUT)
    for text in (md_path.read_text(), har_path.read_text()):
        assert_no_secrets(text, TOKEN, PASSWORD)
        # Both the request's X-Auth-Token and the response's X-Subject-Token are digested the
        # way keystoneauth logs them.
        assert ks_digest(TOKEN) in text
        assert ks_digest(TOKEN) == "{SHA256}" + hashlib.sha256(TOKEN.encode()).hexdigest()
    assert f"X-Subject-Token: {ks_digest(TOKEN)}" in md_path.read_text()


def test_token_response_object_is_not_treated_as_a_secret(seed_recorder):
    md = seed_recorder.render_markdown(OUTPUT)
    section = md.split("### (4) 201 CREATED\n", 1)[1].split("### (5)", 1)[0]
    assert '    "token": {\n' in section
    assert '"password_expires_at": null' in section
    assert '"url": "http://182.161.114.101/image"' in section
