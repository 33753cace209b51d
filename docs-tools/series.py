"""`make series`: record every image command of the series against the local cloud.

Each row of ROWS is one page, docs/series/<page>.md: the command is run as
`imgcli --no-cache --trace docs/series/<page>.md ...`, its trace is rewrapped into the page
(seriespage.py), and the same command is run with openstackclient (`--debug`) to count what it
sends. Setup makes scratch images through Glance's API (named SCRATCH, so that a rerun after a
crash removes what the last one left, and hidden, so that listings other work compares meanwhile
on the shared cloud skip them); cleanup deletes them. A page whose trace shows image data other
than as its length, type and hash is not published, and `image list` waits (--wait-for-seed)
until the listing holds only the seed's images.

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
import time
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
        # Hidden: listings that other work on the shared cloud compares meanwhile skip it.
        body = {"name": SCRATCH, "disk_format": "raw", "container_format": "bare",
                "tags": list(tags), "os_hidden": True}
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

    def foreign(self) -> list[str]:
        """The images `image list --all` shows that the seed did not make: other work's
        scratch images on the shared cloud, which must not be recorded in the list page."""
        sys.path.insert(0, str(REPO))
        from devcloud.seed import seed_images

        seeded = {image.name for image in seed_images()}
        listing = self.session.get("/v2/images?visibility=all&limit=1000",
                                   endpoint_filter=GLANCE).json()
        return sorted(str(i["name"]) for i in listing["images"] if i["name"] not in seeded)

    def wait_for_seed_only(self, seconds: float) -> list[str]:
        """Wait until the listing holds only the seed's images; what is left after `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := self.foreign()) and time.monotonic() < deadline:
            print(f"waiting for images the seed did not make to go: {', '.join(left)}",
                  flush=True)
            time.sleep(10)
        return left

    def clean(self, *names: str) -> None:
        for name in (SCRATCH, *names):
            for hidden in ("false", "true"):  # a listing holds one or the other
                listing = self.session.get(f"/v2/images?name={name}&os_hidden={hidden}",
                                           endpoint_filter=GLANCE).json()
                for image in listing["images"]:
                    self.session.delete(f"/v2/images/{image['id']}", endpoint_filter=GLANCE,
                                        raise_exc=False)
        shutil.rmtree(WORK, ignore_errors=True)


def cloud_named(name: str, env: dict[str, str]) -> Cloud:
    """Another cloud of the local clouds.yaml (image copy's target), to clean up there."""
    import yaml

    entry = yaml.safe_load(Path(env["OS_CLIENT_CONFIG_FILE"]).read_text())["clouds"][name]
    auth = entry["auth"]
    return Cloud({"OS_AUTH_URL": auth["auth_url"], "OS_USERNAME": auth["username"],
                  "OS_PASSWORD": auth["password"], "OS_PROJECT_NAME": auth["project_name"],
                  "OS_USER_DOMAIN_NAME": auth["user_domain_name"],
                  "OS_PROJECT_DOMAIN_NAME": auth["project_domain_name"]})


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
    (WORK / "disk.img").write_bytes(b"imgcli series\n" * 292)  # 4,088 bytes of raw data
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
    seed_only: bool = False  # its output lists images: record it with only the seed's there
    # openstackclient has no such command: the commands that do the same work, run one after
    # the other (their requests counted together); one with `--os-cloud` runs from clouds.yaml
    # alone, without the OS_* variables (they would beat clouds.yaml).
    openstack: tuple[tuple[str, ...], ...] = ()
    target: str | None = None  # another cloud of clouds.yaml where it makes images: cleaned too


# From the series (shared/seed/series.md): what openstackclient sent in 2022, after the seed's
# GET {auth_url} -> 300 and POST /v3/auth/tokens -> 201.
ROWS = [
    Row("image-create", "image create",
        ("image", "create", "--disk-format", "raw", "--file", "{file}", "--private",
         "--format", "json", "imgcli-series-create"),
        "Creates an image record and uploads its data: a 4,088-byte raw file, into a private "
        "image that `make series` deletes again. The trace shows the data as its length, type "
        "and sha512, never its bytes.",
        auth_then("POST /v2/images 201", "PUT /v2/images/{id}/file 204"),
        "The same three requests as openstackclient 10.5.0: the `POST /v2/images` that makes "
        "the record (`queued`), the `PUT .../file` that streams the data into it, and a `GET` "
        "of the image. None can be saved: the record must exist before its data, and Glance's "
        "hash of the data is known only after the upload. The series' client stopped after the "
        "`PUT` and printed the record from before it (`status: queued`); today's "
        "openstackclient reads the image again to print it, and so does imgcli, which also "
        "makes that `GET` its check: the sha512 it computed while sending must equal Glance's "
        "`os_hash_value`, and the bytes sent its `size`, or the image is deleted and the "
        "command fails. openstackclient checks nothing there (the "
        "`owner_specified.openstack.md5` and `.sha256` properties it sends in its `POST` are "
        "empty strings, so openstacksdk skips its check), and imgcli does not send those "
        "properties. With a cached token, imgcli's three requests are the whole run.",
        upload_file, ("imgcli-series-create",)),
    Row("image-list", "image list", ("image", "list", "--all"),
        "Lists the images the project can see, of every visibility (`--all`).",
        auth_then("GET /image 300", "GET /v2/images?visibility=all 200"),
        "imgcli asks for 1,000 images a page and Glance sorts them, so one `GET /v2/images` "
        "holds the whole list; openstackclient takes Glance's default page of 25 images and "
        "asks again with a `marker` until a page has no `next` link, so on a cloud with more "
        "than 25 images it sends one request per 25. Both authenticate and discover the Image "
        "API version the same way; imgcli keeps the token and the endpoint in its cache, so a "
        "later run sends the `GET /v2/images` alone.",
        seed_only=True),
    Row("image-show", "image show", ("image", "show", "{id}", "--format", "json"),
        "Shows one image's record.",
        auth_then("GET /v2/images/{id} 200"),
        "Given an ID, both clients ask Glance for the image once: the same four requests on a "
        "cold run. The difference is on the next run: imgcli keeps the token and the Image "
        "endpoint in its cache and sends the `GET /v2/images/{id}` alone, where openstackclient "
        "authenticates and discovers the API version again every time.",
        scratch()),
    Row("image-save", "image save", ("image", "save", "--file", "{out}", "{id}"),
        "Downloads an image's data (896 bytes) to a file. The trace shows the data as its "
        "length, type and sha512, never its bytes.",
        auth_then("GET /v2/images/{id} 200", "GET /v2/images/{id}/file 200"),
        "openstackclient looks the image up (`GET /v2/images/{id}`), and then openstacksdk's "
        "download fetches the same record again for its hash before the `GET .../file`: the "
        "same `GET` twice. imgcli reads the record once and keeps it: it holds the hash to "
        "check (`os_hash_algo` and `os_hash_value`, else the md5 `checksum`) and the status, "
        "so an image with no data yet is refused before any byte is asked for. Given a name, "
        "the look-up `GET /v2/images?name=...` returns that same record, so a save by name is "
        "two requests too. The data goes into a partial file beside the destination, renamed "
        "over it only once the hash matched; openstacksdk 4.22 (under openstackclient 10.5.0) "
        "writes into the destination as the data arrives and compares the hash only at the "
        "end, so a mismatch leaves the wrong bytes in the file. The series' client "
        "(openstacksdk of 2022) sent the same two requests as imgcli: it took the md5 to "
        "check from the data's `Content-MD5` header instead of reading the record again.",
        save_to(scratch())),
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
        ("image", "import", "--method", "glance-direct", "--wait", "--format", "json", "{id}"),
        "Asks Glance to import image data already staged (interoperable image import, "
        "`glance-direct`), and waits until the import has ended. `make series` staged 896 bytes "
        "beforehand with Glance's `PUT /v2/images/{id}/stage`, the one request of "
        "`imgcli image stage --file F ID`, so the page shows the import alone; "
        "`imgcli image create --import --file F NAME` does both, and waits too.",
        None,
        "openstackclient first reads `GET /v2/info/import` to check that the cloud enables "
        "the method, then the image (`GET /v2/images/{id}`) to check its status (`uploading`, "
        "for `glance-direct`), then sends the `POST .../import`; it prints the record it read "
        "before the import (status `uploading`), and its `--wait` is accepted and does "
        "nothing. imgcli sends the `POST .../import` first, with the ID as given, and lets "
        "Glance refuse what openstackclient checks beforehand: a method the cloud does not "
        "enable (400: only then does imgcli read `/v2/info/import`, to list those it does), "
        "an image with nothing staged (409, with the hint to stage first), an unknown ID "
        "(404: only then is the argument looked up as a name). Then it reads the image for "
        "the record it prints: without `--wait` that one `GET` ends the command (2 requests "
        "with a cached token, where openstackclient sends 3). With `--wait` that `GET` is the "
        "first poll: imgcli reads the image again, after 0.25 s and then 1.5 times longer "
        "each time (at most 5 s), until Glance has dropped the import's lock "
        "(`os_glance_import_task`), and prints the final record (`active`). So its count "
        "grows with the import's length: the table above counts the polls of this run. A "
        "failed import is exit 1 with the import task's message.",
        scratch(staged=True)),
    Row("image-copy", "image copy",
        ("--os-cloud", "devcloud", "image", "copy", "{id}", "--to-cloud", "devcloud2",
         "--format", "json"),
        "Copies an image (896 bytes of raw data) from the local cloud to the second one, "
        "`devcloud2` (its own Keystone and Glance, named in the clouds.yaml that `make demo` "
        "writes), with its data checked on the way. The trace holds both clouds' exchanges, "
        "each marked with its cloud, and shows the data as its length, type and sha512, never "
        "its bytes.",
        None,
        "openstackclient has no command that copies an image between clouds: its way is "
        "`openstack image save --file F ID` on one cloud, then `openstack --os-cloud devcloud2 "
        "image create --file F` on the other, two processes that each authenticate and "
        "discover Glance, with the whole image written to a local file between them. The save "
        "reads the record twice (openstackclient's look-up, then openstacksdk's again for "
        "the hash) before the `GET .../file`; the create sends `POST /v2/images`, `PUT "
        ".../file` and a `GET`, and checks nothing. imgcli's copy is one process and the same "
        "kind of requests, one fewer: the source's record (which holds the hash to check, so "
        "it is read once), the source's `GET .../file`, then on the target the `POST`, the "
        "`PUT .../file` whose body is the source's body as it arrives (no file, a few MiB of "
        "memory whatever the size), and the `GET` of the new record. The bytes are hashed "
        "once on the way and checked against the source's `os_hash_value` before the last "
        "block is sent, so a damaged body never completes the upload; the new record must then "
        "show the source's size and hash, or the new image is deleted and the command fails. "
        "The source's `GET .../file` is sent before anything is made on the target: a source "
        "that refuses or has no data leaves the target untouched. With cached tokens (the "
        "default) a later copy sends these five requests alone.",
        save_to(scratch()), (SCRATCH,),
        openstack=(("image", "save", "--file", "{out}", "{id}"),
                   ("--os-cloud", "devcloud2", "image", "create", "--file", "{out}",
                    "--disk-format", "raw", "--container-format", "bare", SCRATCH)),
        target="devcloud2"),
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
           why: str, wait: float = 0) -> None:
    cloud.clean(*row.cleanup_names)
    if row.seed_only and (left := cloud.wait_for_seed_only(wait)):
        raise Failed(f"the listing still holds images the seed did not make after {wait:.0f} "
                     f"s: {', '.join(left)}; the page is left as it was")
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
    if row.target:
        cloud_named(row.target, env).clean(*row.cleanup_names)
    trace = Trace.parse(page.read_text(encoding="utf-8"))
    shown = seriespage.unsummarised_data(trace)
    if shown:  # image data must appear as its length, type and hash: never publish its bytes
        if before is None:
            page.unlink(missing_ok=True)
        else:
            page.write_text(before, encoding="utf-8")
        cloud.clean(*row.cleanup_names)
        raise Failed("image data in the trace not summarised as length, type and hash: "
                     + "; ".join(shown))
    cloud.clean(*row.cleanup_names)
    values = row.setup(cloud)  # openstackclient gets scratch images of its own
    theirs = []
    for words in row.openstack or (row.argv,):
        argv = [word.format_map(values) for word in words]
        alone = {k: v for k, v in env.items() if not k.startswith("OS_")
                 or k == "OS_CLIENT_CONFIG_FILE"}
        log = run([str(openstack), "--debug", *argv], alone if "--os-cloud" in argv else env)
        theirs += seriespage.requests_in_debug_log(log.stderr)
    cloud.clean(*row.cleanup_names)
    if row.target:
        cloud_named(row.target, env).clean(*row.cleanup_names)
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
    parser.add_argument("--wait-for-seed", type=float, default=600, metavar="SECONDS",
                        help="how long to wait for other work's images to leave the listing "
                             "before recording `image list` (default 600)")
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
                record(row, cloud, env, openstack, version, why, args.wait_for_seed)
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
