"""`make series`: record every image command of the series against the local cloud.

Each row of ROWS is one page, docs/series/<page>.md: the command is run as
`imgcli --no-cache --trace docs/series/<page>.md ...`, its trace is rewrapped into the page
(seriespage.py), and the same command is run with openstackclient (`--debug`) to count what it
sends. Setup makes scratch images through Glance's API (named SCRATCH, so that a rerun after a
crash removes what the last one left); cleanup deletes them.

A row whose command imgcli does not have yet is listed as waiting; so is one whose `why` (why
imgcli sends what it sends, compared with openstackclient) is not written yet: that needs a look
at the first recording. Adding a command to the series is adding its row.

    .venv/bin/python docs-tools/series.py [PAGE ...]   # the local cloud must be up and seeded
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import seriespage
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from seriespage import Comparison, Request, Trace

REPO = Path(__file__).resolve().parents[1]
PAGES = REPO / "docs" / "series"
WORK = REPO / "build" / "series"  # files the commands read and write (git-ignored)
SCRATCH = "imgcli-series-scratch"
BIN = Path(sys.executable).parent
GLANCE = {"service_type": "image", "interface": "public"}
KEYSTONE = {"service_type": "identity", "interface": "public"}


class Cloud:
    """Scratch images on the local cloud, made and removed with Glance's API directly."""

    def __init__(self, env: dict[str, str]) -> None:
        auth = v3.Password(
            auth_url=env["OS_AUTH_URL"],
            username=env["OS_USERNAME"],
            password=env["OS_PASSWORD"],
            project_name=env["OS_PROJECT_NAME"],
            user_domain_name=env["OS_USER_DOMAIN_NAME"],
            project_domain_name=env["OS_PROJECT_DOMAIN_NAME"],
        )
        self.session = ks_session.Session(auth=auth)

    def project_id(self, name: str) -> str:
        found = self.session.get(f"/v3/projects?name={name}", endpoint_filter=KEYSTONE).json()
        return str(found["projects"][0]["id"])

    def image(self, *, data: bytes | None = b"imgcli series\n" * 64, tags: tuple[str, ...] = (),
              members: tuple[str, ...] = (), staged: bool = False) -> str:
        body = {"name": SCRATCH, "disk_format": "raw", "container_format": "bare",
                "tags": list(tags)}
        image = self.session.post("/v2/images", json=body, endpoint_filter=GLANCE).json()
        url = f"/v2/images/{image['id']}"
        octets = {"Content-Type": "application/octet-stream"}
        if data is not None:
            where = "stage" if staged else "file"
            self.session.put(f"{url}/{where}", data=data, headers=octets, endpoint_filter=GLANCE)
        for project in members:
            member = {"member": self.project_id(project)}
            self.session.post(f"{url}/members", json=member, endpoint_filter=GLANCE)
        return str(image["id"])

    def clean(self, *names: str) -> None:
        for name in (SCRATCH, *names):
            listing = self.session.get(f"/v2/images?name={name}", endpoint_filter=GLANCE).json()
            for image in listing["images"]:
                self.session.delete(f"/v2/images/{image['id']}", endpoint_filter=GLANCE,
                                    raise_exc=False)
        shutil.rmtree(WORK, ignore_errors=True)


Setup = Callable[[Cloud], dict[str, str]]


def no_setup(cloud: Cloud) -> dict[str, str]:
    return {}


def scratch(*, tags: tuple[str, ...] = (), members: tuple[str, ...] = (),
            staged: bool = False) -> Setup:
    """An image of its own for each run: {id}, and the demo project's ID as {pid}."""

    def setup(cloud: Cloud) -> dict[str, str]:
        image = cloud.image(tags=tags, members=members, staged=staged)
        return {"id": image, "pid": cloud.project_id("demo")}

    return setup


def upload_file(cloud: Cloud) -> dict[str, str]:
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "disk.img").write_bytes(b"imgcli series\n" * 4096)
    return {"file": "build/series/disk.img"}


def save_to(setup: Setup) -> Setup:
    def both(cloud: Cloud) -> dict[str, str]:
        WORK.mkdir(parents=True, exist_ok=True)
        return {**setup(cloud), "out": "build/series/saved.img"}

    return both


def auth_then(*after: str) -> list[Request]:
    """The series' requests: the seed's authentication, then what the series.md table lists."""
    out = [Request("GET", "/identity", 300), Request("POST", "/identity/v3/auth/tokens", 201)]
    for item in after:
        method, target, status = item.split()
        out.append(Request(method, target, int(status)))
    return out


@dataclass(frozen=True)
class Row:
    page: str  # docs/series/<page>.md
    title: str  # the command, as `imgcli help` lists it
    argv: tuple[str, ...]  # imgcli's and openstack's; {id} {pid} {file} {out} come from setup
    summary: str
    series: list[Request] | None  # what the 2022 series recorded (None: not in the series)
    why: str | None  # None: not written yet, the page waits
    setup: Setup = no_setup
    cleanup_names: tuple[str, ...] = field(default=())  # images the command itself creates


# From the series (shared/seed/series.md): what openstackclient sent in 2022, after the seed's
# GET {auth_url} -> 300 and POST /v3/auth/tokens -> 201.
ROWS = [
    Row("image-create", "image create",
        ("image", "create", "--disk-format", "raw", "--file", "{file}", "--public",
         "--format", "json", "imgcli-series-create"),
        "Creates an image record and uploads its data.",
        auth_then("POST /v2/images 201", "PUT /v2/images/{id}/file 204"),
        None, upload_file, ("imgcli-series-create",)),
    Row("image-list", "image list", ("image", "list", "--all"),
        "Lists the images the project can see, of every visibility (`--all`).",
        auth_then("GET /image 300", "GET /v2/images?visibility=all 200"),
        "imgcli asks for 1,000 images a page and Glance sorts them, so one `GET /v2/images` "
        "holds the whole list; openstackclient takes Glance's default page of 25 images and "
        "asks again with a `marker` until a page has no `next` link, so on a cloud with more "
        "than 25 images it sends one request per 25. Both authenticate and discover the Image "
        "API version the same way; imgcli keeps the token and the endpoint in its cache, so a "
        "later run sends the `GET /v2/images` alone."),
    Row("image-show", "image show", ("image", "show", "{id}", "--format", "json"),
        "Shows one image's record.",
        auth_then("GET /v2/images/{id} 200"),
        "Given an ID, both clients ask Glance for the image once: the same four requests on a "
        "cold run. The difference is on the next run: imgcli keeps the token and the Image "
        "endpoint in its cache and sends the `GET /v2/images/{id}` alone, where openstackclient "
        "authenticates and discovers the API version again every time.",
        scratch()),
    Row("image-save", "image save", ("image", "save", "--file", "{out}", "{id}"),
        "Downloads an image's data to a file.",
        auth_then("GET /v2/images/{id} 200", "GET /v2/images/{id}/file 200"),
        None, save_to(scratch())),
    Row("image-set", "image set", ("image", "set", "--tag", "cirros", "{id}"),
        "Adds a tag to an image.",
        auth_then("GET /v2/images/{id} 200", "PATCH /v2/images/{id} 200"),
        "The same two requests as openstackclient: a tag is added to the image's current "
        "list, so imgcli reads the image before its JSON-Patch too. imgcli reads first only "
        "when a change depends on the image (tags, membership, activation): a new name, "
        "attribute or property given with an ID is one `PATCH` with no `GET`, and every "
        "attribute change of one command goes out in that one `PATCH`.",
        scratch()),
    Row("image-unset", "image unset", ("image", "unset", "--tag", "cirros", "{id}"),
        "Removes a tag from an image.",
        auth_then("GET /v2/images/{id} 200", "DELETE /v2/images/{id}/tags/cirros 204"),
        "For one tag, the same two requests as openstackclient. imgcli reads the image once "
        "so that removing a tag or property the image does not have is refused, naming it, "
        "before anything changes; then every removal goes out as one JSON-Patch. "
        "openstackclient sends one `DELETE .../tags/TAG` per tag and a `PATCH` for "
        "properties, so `--tag a --tag b --property k` costs it three requests after the "
        "`GET` (two `DELETE`s and a `PATCH`), and imgcli one.",
        scratch(tags=("cirros",))),
    Row("image-delete", "image delete", ("image", "delete", "{id}"),
        "Deletes an image.",
        auth_then("GET /v2/images/{id} 200", "DELETE /v2/images/{id} 204"),
        "openstackclient fetches the image before deleting it; imgcli sends the `DELETE` with "
        "the ID as given. Only if Glance answers 404 does imgcli look the argument up as a "
        "name, so a delete by ID is one request (with a cached token, the only one).",
        scratch()),
    Row("image-add-project", "image add project", ("image", "add", "project", "{id}", "demo"),
        "Shares an image with a project (named here, as in the series).",
        auth_then("GET /identity/v3/projects/demo 404", "GET /identity/v3/projects?name=demo 200",
                  "GET /v2/images/{id} 200", "POST /v2/images/{id}/members 200"),
        "openstackclient first tries the project name as an ID (`GET /projects/demo`, bound to "
        "answer 404) and then fetches the image before sharing it. imgcli looks a name up once "
        "(`?name=demo`; a Keystone ID, 32 hex digits, or the token's own project costs no "
        "request at all) and sends the `POST .../members` with the image ID as given: Glance's "
        "404 to that request is what says the image does not exist, and only then would imgcli "
        "take the argument for a name.",
        scratch()),
    Row("image-remove-project", "image remove project",
        ("image", "remove", "project", "{id}", "{pid}"),
        "Stops sharing an image with a project (given by ID, as in the series).",
        auth_then("GET /identity/v3/projects/{pid} 200", "GET /v2/images/{id} 200",
                  "DELETE /v2/images/{id}/members/{pid} 204"),
        "Both arguments are IDs. openstackclient still asks Keystone for the project and Glance "
        "for the image before the `DELETE`; imgcli sends the `DELETE` straight away, since a "
        "Keystone ID needs no look-up and Glance's answer to the `DELETE` says whether the image "
        "and the membership exist.",
        scratch(members=("demo",))),
    Row("image-member-list", "image member list", ("image", "member", "list", "{id}"),
        "Lists the projects an image is shared with.",
        auth_then("GET /v2/images/{id} 200", "GET /v2/images/{id}/members 200"),
        "openstackclient fetches the image before asking for its members; imgcli asks for the "
        "members with the ID as given, and Glance's 404 to that request is what says the image "
        "does not exist (only then is the argument looked up as a name).",
        scratch(members=("demo",))),
    Row("image-import", "image import",
        ("image", "import", "--method", "glance-direct", "{id}"),
        "Asks Glance to import image data already staged (interoperable image import).",
        None, None, scratch(staged=True)),
]


def available_commands() -> set[str]:
    out = subprocess.run([str(BIN / "imgcli"), "help"], capture_output=True, text=True,
                         check=True).stdout
    listing = out.split("\nCommands:\n", 1)[-1]
    return {re.split(r"\s{2,}", line.strip())[0] for line in listing.splitlines() if line.strip()}


class Failed(Exception):
    pass


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=600, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise Failed(f"{' '.join(argv)}: exit {result.returncode}\n{result.stderr[-3000:]}")
    return result


def record(row: Row, cloud: Cloud, env: dict[str, str], openstack: Path, version: str,
           why: str) -> None:
    cloud.clean(*row.cleanup_names)
    values = row.setup(cloud)
    page = PAGES / f"{row.page}.md"
    before = page.read_text(encoding="utf-8") if page.exists() else None
    argv = [word.format_map(values) for word in row.argv]
    try:
        run([str(BIN / "imgcli"), "--no-cache", "--trace", str(page.relative_to(REPO)), *argv],
            env)
    except Failed:
        # The trace of a failed run would replace the published page: put that back.
        if before is None:
            page.unlink(missing_ok=True)
        else:
            page.write_text(before, encoding="utf-8")
        cloud.clean(*row.cleanup_names)
        raise
    trace = Trace.parse(page.read_text(encoding="utf-8"))
    cloud.clean(*row.cleanup_names)
    values = row.setup(cloud)  # openstackclient gets scratch images of its own
    argv = [word.format_map(values) for word in row.argv]
    theirs = seriespage.requests_in_debug_log(run([str(openstack), "--debug", *argv], env).stderr)
    cloud.clean(*row.cleanup_names)
    cmp = Comparison(trace.requests(), theirs, version, row.series)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")
    text = seriespage.render(title=row.title, summary=row.summary, when=when, trace=trace,
                             cmp=cmp, why=why)
    page.write_text(text, encoding="utf-8")


def index(waiting: dict[str, str]) -> None:
    """docs/series/index.md: every recorded page with its request counts, and what waits."""
    lines = [
        "# The series: every image command from the wire",
        "",
        "One page per command: the command and its output, the sequence diagram of every "
        "request it made, what each request is for, the requests and responses, and what "
        "openstackclient sends for the same command. Each page is a real run against the local "
        "cloud (Keystone and Glance on 127.0.0.1), recorded with `imgcli --no-cache --trace`; "
        "`make series` starts the cloud if needed and records them all again.",
        "",
        "| command | imgcli | imgcli, token cached | openstackclient today | "
        "openstackclient, series (2022) |",
        "|---|---|---|---|---|",
    ]
    for row in ROWS:
        page = PAGES / f"{row.page}.md"
        if row.title in waiting or not page.exists():
            continue
        c = seriespage.front_matter(page.read_text(encoding="utf-8"))["series"]
        series = "not in the series" if c["series"] is None else c["series"]
        lines.append(f"| [{row.title}]({row.page}.md) | {c['imgcli']} | {c['imgcli_cached']} "
                     f"| {c['openstack']} | {series} |")
    lines += [
        "",
        "Requests in total, authentication included. imgcli's pages run with `--no-cache`, so "
        "that both clients start from nothing; \"token cached\" counts the same run less the "
        "authentication and version discovery that imgcli's cache saves on later runs.",
        "",
    ]
    if waiting:  # the reasons are for whoever runs `make series`: it prints them
        names = ", ".join(f"`{title}`" for title in waiting)
        lines += [f"Not recorded yet: {names}.", ""]
    (PAGES / "index.md").write_text("\n".join(lines), encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", help="only these pages (default: every row)")
    parser.add_argument("--draft", action="store_true",
                        help="also record rows with no `why` yet, to write it (do not commit)")
    args = parser.parse_args()
    cloud_py = [sys.executable, str(REPO / "devcloud" / "cloud.py")]
    cloud_env = json.loads(run([*cloud_py, "env", "--json"], dict(os.environ)).stdout)
    openstack = Path(run([*cloud_py, "clients"], dict(os.environ)).stdout.strip()) / "openstack"
    shown = run([str(openstack), "--version"], dict(os.environ))
    version = (shown.stdout or shown.stderr).split()[-1]
    # Only the cloud's settings: an OS_CLOUD or OS_TOKEN of the caller's would change the run.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")} | cloud_env
    cloud = Cloud(cloud_env)
    have = available_commands()
    PAGES.mkdir(parents=True, exist_ok=True)
    waiting: dict[str, str] = {}
    failed: dict[str, str] = {}
    for row in ROWS:
        why = row.why or ("*Why: not written yet (a draft).*" if args.draft else None)
        if row.title not in have:
            waiting[row.title] = "imgcli has no such command yet"
        elif why is None:
            waiting[row.title] = "its row in `docs-tools/series.py` needs its `why`"
        if row.title in have and why and (not args.pages or row.page in args.pages):
            print(f"recording {row.title}", flush=True)
            try:
                record(row, cloud, env, openstack, version, why)
            except Failed as failure:
                failed[row.title] = str(failure)
    unrecorded = {row.title: "its recording failed" for row in ROWS
                  if row.title in failed and not (PAGES / f"{row.page}.md").exists()}
    index(waiting | unrecorded)
    for title, reason in waiting.items():
        print(f"waiting: {title}: {reason}")
    for title, failure in failed.items():
        print(f"FAILED: {title}: {failure}", file=sys.stderr)
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    for row in ROWS:
        if (PAGES / f"{row.page}.md").exists() and f"series/{row.page}.md" not in nav:
            print(f"mkdocs.yml: add `- {row.title}: series/{row.page}.md` to The series")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
