"""A --trace document builds with mkdocs --strict (Material, tabs, mermaid fences): the seed's
run and a failed one, as the docs site would publish them."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap

import pytest
import requests

from imgcli.trace.recorder import Recorder
from tests.unit.trace.seedrun import ARGV, IMAGES_URL, OUTPUT, TOKEN, recorded, run_seed


@pytest.fixture
def seed_recorder():
    return recorded(run_seed)


def _mkdocs() -> str | None:
    return os.environ.get("IMGCLI_MKDOCS") or shutil.which("mkdocs")


@pytest.mark.skipif(_mkdocs() is None, reason="mkdocs-material not installed")
def test_mkdocs_build_strict(seed_recorder, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# traces\n\n- [seed](seed.md)\n- [failed](failed.md)\n")
    seed_recorder.write(str(docs / "seed.md"), OUTPUT)
    failed = Recorder(ARGV)
    request = requests.Request("GET", IMAGES_URL, headers={"X-Auth-Token": TOKEN}).prepare()
    failed.record_failure(request, requests.exceptions.ConnectionError("refused; #1"))
    failed.write(str(docs / "failed.md"), error="boom ``` <b>")
    (tmp_path / "mkdocs.yml").write_text(
        textwrap.dedent(
            """\
            site_name: traces
            theme:
              name: material
            nav:
              - index.md
              - seed.md
              - failed.md
            markdown_extensions:
              - admonition
              - pymdownx.tabbed:
                  alternate_style: true
              - pymdownx.superfences:
                  custom_fences:
                    - name: mermaid
                      class: mermaid
                      format: !!python/name:pymdownx.superfences.fence_code_format
            """
        )
    )
    result = subprocess.run(
        [_mkdocs(), "build", "--strict", "-q", "-f", str(tmp_path / "mkdocs.yml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "site" / "seed" / "index.html").read_text()
    assert 'class="mermaid"' in html
    assert html.count('class="tabbed-set') == 8  # one tab set per message
    assert "<b>" not in (tmp_path / "site" / "failed" / "index.html").read_text()
