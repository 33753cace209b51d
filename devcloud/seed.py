"""Seed data: users, and images in every cloud and region.

devcloud RegionOne: the demo and alt_demo users and 32 images of every shape a listing can
meet (seed_images()); RegionTwo: one image (seed_images_regiontwo()); devcloud2: its demo
user and five images, some the same as devcloud's and one not (seed_images_devcloud2()).
Image ids are uuid5(namespace, name) with one namespace per Glance, identical on every fresh
cloud and different between Glances.
"""

from __future__ import annotations

import hashlib
import struct
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from devcloud.api import call, ensure_user, find_or_create, request, token
from devcloud.common import (
    CLOUD,
    CLOUD2,
    REGION,
    REGION2,
    DevcloudError,
    glance_url,
    home,
    log,
    users,
)

ID_NAMESPACE = uuid.UUID("6f1c1e9a-2b0e-4d3a-9a51-0d5e5c0de7c1")
ID_NAMESPACE_R2 = uuid.uuid5(ID_NAMESPACE, "devcloud RegionTwo")
ID_NAMESPACE_C2 = uuid.uuid5(ID_NAMESPACE, "devcloud2")
MIB = 1 << 20


def qcow2(virtual_size: int) -> bytes:
    """A minimal valid, empty qcow2 v3 image, laid out like `qemu-img create`.

    Clusters (64 KiB, cluster_bits 16): 0 header, 1 refcount table,
    2 refcount block (16-bit refcounts: clusters 0-3 in use), 3 L1 table.
    Glance 33 inspects uploads, so a fake header alone would be rejected.
    """
    cs = 1 << 16
    l1_size = -(-virtual_size // (cs * (cs // 8)))  # one L2 table maps 512 MiB
    header = struct.pack(
        ">4sIQIIQIIQQIIQQQQII",
        b"QFI\xfb", 3,  # magic, version
        0, 0,  # backing file offset, size
        16, virtual_size,  # cluster_bits, size
        0, l1_size, 3 * cs,  # crypt_method, l1_size, l1_table_offset
        cs, 1,  # refcount_table_offset, refcount_table_clusters
        0, 0,  # nb_snapshots, snapshots_offset
        0, 0, 0,  # incompatible, compatible, autoclear features
        4, 104,  # refcount_order (16 bit), header_length
    )  # fmt: skip
    header += struct.pack(">II", 0, 0)  # end of header extensions
    refcount_table = struct.pack(">Q", 2 * cs).ljust(cs, b"\0")
    refcount_block = struct.pack(">4H", 1, 1, 1, 1).ljust(cs, b"\0")
    return header.ljust(cs, b"\0") + refcount_table + refcount_block + b"\0" * (8 * l1_size)


def raw(name: str, size: int) -> bytes:
    """Deterministic raw bytes, so checksums are the same on every cloud."""
    return (f"devcloud:{name}:".encode() * (size // 10 + 1))[:size]


@dataclass
class SeedImage:
    name: str
    visibility: str = "public"
    disk_format: str | None = "raw"
    container_format: str | None = "bare"
    data: bytes | None = None  # None: left queued
    owner: str = "admin"  # which user creates it (its project owns it)
    tags: tuple[str, ...] = ()
    props: dict[str, Any] = field(default_factory=dict)  # extra create fields
    deactivate: bool = False
    members: dict[str, str] = field(default_factory=dict)  # project -> member_status



def _sdk_props(name: str, data: bytes) -> dict[str, str]:
    # What `openstack image create --file` (openstacksdk) stores, as on the seed cloud.
    return {
        "owner_specified.openstack.md5": hashlib.md5(data).hexdigest(),
        "owner_specified.openstack.sha256": hashlib.sha256(data).hexdigest(),
        "owner_specified.openstack.object": f"images/{name}",
    }


def seed_images() -> list[SeedImage]:
    cirros, trove = qcow2(112 * MIB), qcow2(5 * 1024 * MIB)
    imgs = [
        # The seed cloud's three images.
        SeedImage(
            "cirros-0.5.1-x86_64-disk",
            disk_format="qcow2",
            data=cirros,
            props=_sdk_props("cirros-0.5.1-x86_64-disk", cirros),
        ),
        SeedImage(
            "cirros-0.5.2-x86_64-disk",
            disk_format="qcow2",
            data=cirros,
            props={"hw_rng_model": "virtio", **_sdk_props("cirros-0.5.2-x86_64-disk", cirros)},
        ),
        SeedImage(
            "trove-guest-ubuntu-focal",
            "shared",
            "qcow2",
            data=trove,
            tags=("trove",),
            props={"hw_rng_model": "virtio", **_sdk_props("trove-guest-ubuntu-focal", trove)},
        ),
        # One of each shape a listing can meet.
        SeedImage("private-admin-image", "private", data=raw("private-admin-image", 1000)),
        SeedImage("community-image", "community", "qcow2", data=qcow2(64 * MIB)),
        SeedImage("hidden-image", data=raw("hidden-image", 100), props={"os_hidden": True}),
        SeedImage("deactivated-image", data=raw("deactivated-image", 10), deactivate=True),
        SeedImage("queued-image", "private", None, None),
        SeedImage("protected-image", data=raw("protected-image", 512), props={"protected": True}),
        SeedImage(
            "ubuntu-custom-props",
            disk_format="qcow2",
            data=qcow2(10 * 1024 * MIB),
            props={
                "os_distro": "ubuntu",
                "os_version": "22.04",
                "hw_disk_bus": "scsi",
                "hw_scsi_model": "virtio-scsi",
                "architecture": "x86_64",
                "min_disk": 10,
                "min_ram": 512,
            },
        ),
        # Sizes whose numeric order differs from their text order.
        SeedImage("raw-size-9", data=raw("raw-size-9", 9)),
        SeedImage("raw-size-10", data=raw("raw-size-10", 10)),
        SeedImage("raw-size-100", data=raw("raw-size-100", 100)),
        SeedImage("raw-size-1000", data=raw("raw-size-1000", 1000)),
        SeedImage(
            "multi-tag-image", data=raw("multi-tag-image", 2048), tags=("zeta", "alpha", "mid")
        ),
        SeedImage('Ünïcode 画像 "quoted", comma', "shared", "qcow2", data=qcow2(MIB)),
        # Glance inspects only container_format=bare uploads.
        SeedImage(
            "ovf-container-image",
            disk_format="vmdk",
            container_format="ovf",
            data=raw("ovf-container-image", 3000),
        ),
        SeedImage(
            "shared-accepted-by-demo",
            "shared",
            data=raw("shared-accepted-by-demo", 300),
            members={"demo": "accepted"},
        ),
        SeedImage(
            "shared-pending-for-demo",
            "shared",
            data=raw("shared-pending-for-demo", 301),
            members={"demo": "pending"},
        ),
        SeedImage(
            "demo-private-image", "private", data=raw("demo-private-image", 4096), owner="demo"
        ),
    ]
    for i in range(1, 13):  # fillers: push the total past Glance's default page size (25)
        name = f"filler-{i:02d}"
        even = ("even",) if i % 2 == 0 else ()
        imgs.append(SeedImage(name, data=raw(name, 7 * i * i), tags=("filler", *even)))
    return imgs


def seed_images_regiontwo() -> list[SeedImage]:
    """devcloud RegionTwo's seed: one image of its own, so a listing shows the region."""
    return [SeedImage("regiontwo-image", data=raw("regiontwo-image", 1500), tags=("regiontwo",))]


# The devcloud2 image whose name devcloud has too, with other bytes (same size): the conflict.
CONFLICT_IMAGE = "raw-size-100"


def seed_images_devcloud2() -> list[SeedImage]:
    """devcloud2's seed. Same name and bytes as on devcloud: cirros-0.5.2-x86_64-disk and
    raw-size-1000; same name, other bytes: raw-size-100 (CONFLICT_IMAGE); devcloud2's own:
    devcloud2-only-image and the demo project's devcloud2-demo-image."""
    same = {s.name: s for s in seed_images()}
    return [
        same["cirros-0.5.2-x86_64-disk"],
        same["raw-size-1000"],
        SeedImage(CONFLICT_IMAGE, data=raw(f"{CONFLICT_IMAGE}@devcloud2", 100)),
        SeedImage("devcloud2-only-image", data=raw("devcloud2-only-image", 2048),
                  tags=("devcloud2",)),  # fmt: skip
        SeedImage(
            "devcloud2-demo-image", "private", data=raw("devcloud2-demo-image", 512), owner="demo"
        ),
    ]


def _glance_images(tok: str, base: str) -> dict[str, dict[str, Any]]:
    """Every image by name, hidden ones included (they are not listed by default)."""
    out: dict[str, dict[str, Any]] = {}
    for extra in ("", "&os_hidden=true"):
        url = f"{base}/v2/images?limit=1000&visibility=all{extra}"
        out |= {img["name"]: img for img in call("GET", url, tok)["images"]}
    return out


def _seed(cloud: str, region: str, specs: list[SeedImage], namespace: uuid.UUID) -> str:
    """Create the images of `specs` in one Glance, skipping those that exist; a log line."""
    t0 = time.monotonic()
    admin = token("admin", cloud)
    needed = {"admin", *(s.owner for s in specs), *(p for s in specs for p in s.members)}
    tokens = {u: admin if u == "admin" else token(u, cloud) for u in sorted(needed)}
    projects = {
        p: find_or_create(admin, "project", users(cloud)[p][1], {}, cloud, domain_id="default")[
            "id"
        ]
        for p in needed
    }
    g = glance_url(region, cloud)
    existing = _glance_images(admin, g)
    created = 0
    base = f"{g}/v2/images"
    for spec in specs:
        tok = tokens[spec.owner]
        img = existing.get(spec.name)
        if img is None:
            body: dict[str, Any] = {
                "name": spec.name,
                "visibility": spec.visibility,
                "tags": list(spec.tags),
                "id": str(uuid.uuid5(namespace, spec.name)),
                **spec.props,
            }
            if spec.disk_format:
                body |= {
                    "disk_format": spec.disk_format,
                    "container_format": spec.container_format,
                }
            status_, _, img = request("POST", base, tok, body=body)
            if status_ == 409:  # the uuid5 id was used by a deleted image: let Glance pick one
                body.pop("id")
                img = call("POST", base, tok, body=body)
            elif status_ != 201:
                raise DevcloudError(f"creating image {spec.name} in {cloud} {region}: "
                                    f"{status_} {img!r}")  # fmt: skip
            created += 1
        if spec.data is not None and img["status"] == "queued":
            call(
                "PUT",
                f"{base}/{img['id']}/file",
                tok,
                data=spec.data,
                headers={"Content-Type": "application/octet-stream"},
            )
        if spec.deactivate and img["status"] != "deactivated":
            call("POST", f"{base}/{img['id']}/actions/deactivate", admin)
        for project, member_status in spec.members.items():
            pid = projects[project]
            members = call("GET", f"{base}/{img['id']}/members", tok)["members"]
            if not any(m["member_id"] == pid for m in members):
                call("POST", f"{base}/{img['id']}/members", tok, body={"member": pid})
            if member_status != "pending":  # only the member itself may accept
                call(
                    "PUT",
                    f"{base}/{img['id']}/members/{pid}",
                    tokens[project],
                    body={"status": member_status},
                )
    # Verify: every uploaded image must have gone active (format inspection).
    final = _glance_images(admin, g)
    bad = [
        f"{s.name}={final[s.name]['status']}"
        for s in specs
        if s.data is not None and final[s.name]["status"] not in ("active", "deactivated")
    ]
    if bad:
        raise DevcloudError(
            f"images not active after upload in {cloud} {region}: {', '.join(bad)}; "
            f"see {home() / 'logs'}"
        )
    return f"{cloud} {region}: {created} new, {len(final)} in total ({time.monotonic() - t0:.1f}s)"


def run() -> None:
    """Create each cloud's projects/users and seed images; skips what exists.

    alt_demo owns no seed image (the seed's listings stay as they are): it is the other
    project of the tests where one project offers images to another."""
    t0 = time.monotonic()
    for cloud in (CLOUD, CLOUD2):
        admin = token("admin", cloud)
        for user, (password, project) in users(cloud).items():
            if user != "admin":
                ensure_user(admin, user, password, project, ("member",), cloud)
    done = [
        _seed(CLOUD, REGION, seed_images(), ID_NAMESPACE),
        _seed(CLOUD, REGION2, seed_images_regiontwo(), ID_NAMESPACE_R2),
        _seed(CLOUD2, REGION, seed_images_devcloud2(), ID_NAMESPACE_C2),
    ]
    log(f"seeded in {time.monotonic() - t0:.1f}s: {'; '.join(done)}")
