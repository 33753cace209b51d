"""The fake cloud's Glance documents: deterministic image records (with the type surprises
real clouds produce, on request), Glance's version list and its image schemas.

Imports: the standard library, fakecloud.identity.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from fakecloud.identity import ADMIN_PROJECT_ID

_DISTROS = (
    ("cirros", "0.6.2", 21430272), ("ubuntu", "22.04", 0), ("ubuntu", "24.04", 0),
    ("debian", "12", 0), ("fedora", "40", 0), ("centos-stream", "9", 0), ("rocky", "9.4", 0),
    ("almalinux", "9.4", 0), ("windows-server", "2022", 0), ("freebsd", "14.1", 0),
)
_VISIBILITIES = ("public",) * 9 + ("private",) * 6 + ("shared",) * 3 + ("community",) * 2
_DISK_FORMATS = ("qcow2", "qcow2", "raw", "vmdk")
_TAGS = ("prod", "staging", "gpu", "baremetal", "hardened", "golden", "test", "lts")
_OTHER_PROJECTS = tuple(f"{i:x}" * 32 for i in range(1, 6))
_EPOCH = datetime(2023, 1, 1)


def _iso(seconds: int) -> str:
    # isoformat on a naive datetime is several times faster than strftime (100k images).
    return (_EPOCH + timedelta(seconds=seconds)).isoformat() + "Z"


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def make_images(n: int, seed: int = 0, bad_types: bool = False) -> list[dict[str, Any]]:
    """N deterministic Glance v2 image documents, key order as Glance emits them."""
    rng = random.Random(seed)
    images = []
    for i in range(1, n + 1):
        distro, ver, fixed_size = rng.choice(_DISTROS)
        image_id = _uuid(rng)
        visibility = _VISIBILITIES[int(rng.random() * 20)]
        own = visibility == "public" or rng.random() < 0.5
        disk_format = "qcow2" if distro == "cirros" else rng.choice(_DISK_FORMATS)
        # cirros images share a size so that sorting by size needs the id tiebreaker.
        size = fixed_size or rng.randrange(300 << 20, 8 << 30)
        created = i * 97 + int(rng.random() * 60)
        name = f"img-{i:05d}-{distro}-{ver}"
        images.append({
            "hw_rng_model": "virtio",
            "os_distro": distro,
            "os_version": ver,
            "owner_specified.openstack.object": f"images/{name}",
            "name": name,
            "disk_format": disk_format,
            "container_format": "bare",
            "visibility": visibility,
            "size": size,
            "virtual_size": size * rng.choice((1, 2, 5)) if disk_format == "qcow2" else size,
            "status": "deactivated" if rng.random() < 0.02 else "active",
            "checksum": f"{rng.getrandbits(128):032x}",
            "protected": rng.random() < 0.05,
            "min_ram": rng.choice((0, 0, 512, 1024, 2048)),
            "min_disk": rng.choice((0, 1, 10, 20, 40)),
            "owner": ADMIN_PROJECT_ID if own else rng.choice(_OTHER_PROJECTS),
            "os_hidden": False,
            "os_hash_algo": "sha512",
            "os_hash_value": f"{rng.getrandbits(512):0128x}",
            "id": image_id,
            "created_at": _iso(created),
            "updated_at": _iso(created + int(rng.random() * 86400)),
            "tags": rng.sample(_TAGS, rng.choice((0, 0, 1, 1, 2, 3))),
            "self": f"/v2/images/{image_id}",
            "file": f"/v2/images/{image_id}/file",
            "schema": "/v2/schemas/image",
            "stores": "file",
        })
    if bad_types:
        _make_bad(images)
    return images


def _make_bad(images: list[dict[str, Any]]) -> None:
    """Type and encoding surprises that real clouds produce (old imports, buggy tools)."""
    mutations = [
        lambda im: im.update(size=str(im["size"])),
        lambda im: im.pop("name"),
        lambda im: im.update(name=None, size=None, checksum=None, disk_format=None,
                             container_format=None, virtual_size=None, tags=None),
        lambda im: im.update(name="x" * 300 + "-" + "very-long-name" * 100),
        lambda im: im.update(name="🚀 rocket-image 🐧 ✓", tags=["🔥"]),
        lambda im: im.update(name="صورة-اختبار עברית-test"),
        lambda im: im.update(min_ram="512", protected="false", owner=None),
    ]
    for im, mutate in zip(images, mutations, strict=False):
        mutate(im)


def glance_versions(base: str) -> dict[str, Any]:
    """Glance's versions.py with image_cache_dir and enabled_backends set, as devstack does."""
    ids = ["2.17", "2.16", "2.15", "2.14", "2.13", "2.12", "2.11", "2.10"]
    ids += [f"2.{i}" for i in range(9, -1, -1)]
    href = f"{base}/image/v2/"
    return {"versions": [
        {"id": f"v{v}", "status": "CURRENT" if v == "2.17" else "SUPPORTED",
         "links": [{"rel": "self", "href": href}]}
        for v in ids
    ]}


def image_schema() -> dict[str, Any]:
    """Glance's image schema, types only (glanceclient fetches it and validates with it)."""
    nullable = ["null", "string"]
    props: dict[str, Any] = {
        "id": {"type": "string", "pattern": "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}"
               "-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$"},
        "name": {"type": nullable, "maxLength": 255},
        "status": {"type": "string", "readOnly": True, "enum": [
            "queued", "saving", "active", "killed", "deleted", "uploading", "importing",
            "pending_delete", "deactivated"]},
        "visibility": {"type": "string", "enum": ["community", "public", "private", "shared"]},
        "protected": {"type": "boolean"},
        "os_hidden": {"type": "boolean"},
        "checksum": {"type": nullable, "readOnly": True, "maxLength": 32},
        "os_hash_algo": {"type": nullable, "readOnly": True, "maxLength": 64},
        "os_hash_value": {"type": nullable, "readOnly": True, "maxLength": 128},
        "owner": {"type": nullable, "maxLength": 255},
        "size": {"type": ["null", "integer"], "readOnly": True},
        "virtual_size": {"type": ["null", "integer"], "readOnly": True},
        "container_format": {"type": nullable, "enum": [
            None, "ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]},
        "disk_format": {"type": nullable, "enum": [
            None, "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso",
            "ploop"]},
        "created_at": {"type": "string", "readOnly": True},
        "updated_at": {"type": "string", "readOnly": True},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 255}},
        "direct_url": {"type": "string", "readOnly": True},
        "min_ram": {"type": "integer"},
        "min_disk": {"type": "integer"},
        "self": {"type": "string", "readOnly": True},
        "file": {"type": "string", "readOnly": True},
        "stores": {"type": "string", "readOnly": True},
        "schema": {"type": "string", "readOnly": True},
        "locations": {"type": "array", "items": {"type": "object", "properties": {
            "url": {"type": "string", "maxLength": 255}, "metadata": {"type": "object"}},
            "required": ["url", "metadata"]}},
    }
    return {
        "name": "image",
        "properties": props,
        "additionalProperties": {"type": "string"},
        "links": [{"rel": "self", "href": "{self}"}, {"rel": "enclosure", "href": "{file}"},
                  {"rel": "describedby", "href": "{schema}"}],
    }


def images_schema() -> dict[str, Any]:
    return {
        "name": "images",
        "properties": {
            "images": {"type": "array", "items": image_schema()},
            "schema": {"type": "string"},
            "first": {"type": "string"},
            "next": {"type": "string"},
        },
        "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                  {"rel": "describedby", "href": "{schema}"}],
    }
