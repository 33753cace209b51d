"""openstackclient's `image show` record, built straight from Glance's JSON.

openstackclient (image/v2/image.py, `_format_image`) reads an openstacksdk Image with
`to_dict(ignore_none=True, original_names=True)`, keeps a fixed set of fields at the top
level and folds every other attribute into one `properties` column. What that shows depends
on the SDK's resource class (openstack/image/v2/image.py), reproduced here as a table:

- the attributes the SDK declares, in its declaration order (the order of the keys inside
  `properties` in JSON and in `-f value`), some with a type the SDK converts the value to;
- every key Glance sends that the SDK does not declare (custom properties, `stores`,
  `owner_specified.openstack.*`) is kept, in Glance's order, where the SDK declares
  `properties`; `self` is dropped;
- attributes whose value is null are left out (`ignore_none`);
- openstackclient lists is_hidden, hash_algo and hash_value among its top-level fields, but
  the dict uses Glance's names, so os_hidden, os_hash_algo and os_hash_value land in
  `properties`, as they do in its output.

Imports: nothing of imgcli.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cliff.columns import FormattableColumn

# _format_image's fields_to_show that can match a key: the rest of its list (is_hidden,
# hash_algo, hash_value) are attribute names, never keys of the dict it reads.
TOP_LEVEL = frozenset({
    "status", "name", "container_format", "created_at", "size", "disk_format", "updated_at",
    "visibility", "min_disk", "protected", "id", "file", "checksum", "owner", "virtual_size",
    "min_ram", "schema",
})
FLEXIBLE_TRUE = frozenset({"1", "t", "true", "on", "y", "yes"})


def as_bool(value: Any) -> Any:
    return value if isinstance(value, bool) else bool(value)


def as_int(value: Any) -> Any:
    # The SDK's _convert_type: numbers truncate, digit strings parse, anything else is 0.
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str) and value.isdigit():
        try:
            return int(value)
        except ValueError:  # a non-ASCII digit such as '²'
            return value
    return 0


def as_float(value: Any) -> Any:
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:  # the SDK raises here and openstackclient fails; show the text
            return value
    return 0.0


def as_str(value: Any) -> Any:
    return value if isinstance(value, str) else str(value)


def as_dict(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else {}


def as_list(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else [value]


def as_flexible_bool(value: Any) -> Any:
    # oslo's bool_from_string, as the SDK's FlexibleBoolStr reads it
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in FLEXIBLE_TRUE


Convert = Callable[[Any], Any] | None

# (Glance's key, the SDK's attribute name, its conversion), in the SDK's declaration order:
# the Image class, then Resource's id and name. `properties` holds the undeclared keys.
SDK_ATTRIBUTES: tuple[tuple[str, str, Convert], ...] = (
    ("checksum", "checksum", None),
    ("container_format", "container_format", None),
    ("created_at", "created_at", None),
    ("disk_format", "disk_format", None),
    ("os_hidden", "is_hidden", as_bool),
    ("protected", "is_protected", as_bool),
    ("os_hash_algo", "hash_algo", None),
    ("os_hash_value", "hash_value", None),
    ("min_disk", "min_disk", None),
    ("min_ram", "min_ram", None),
    ("name", "name", None),
    ("owner", "owner_id", None),
    ("properties", "properties", None),
    ("size", "size", as_int),
    ("store", "store", None),
    ("status", "status", None),
    ("updated_at", "updated_at", None),
    ("virtual_size", "virtual_size", None),
    ("visibility", "visibility", None),
    ("file", "file", None),
    ("locations", "locations", None),
    ("direct_url", "direct_url", None),
    ("url", "url", None),
    ("metadata", "metadata", as_dict),
    ("architecture", "architecture", None),
    ("hypervisor_type", "hypervisor_type", None),
    ("instance_type_rxtx_factor", "instance_type_rxtx_factor", as_float),
    ("instance_uuid", "instance_uuid", None),
    ("img_config_drive", "needs_config_drive", None),
    ("kernel_id", "kernel_id", None),
    ("os_distro", "os_distro", None),
    ("os_version", "os_version", None),
    ("os_secure_boot", "needs_secure_boot", None),
    ("os_shutdown_timeout", "os_shutdown_timeout", as_int),
    ("ramdisk_id", "ramdisk_id", None),
    ("vm_mode", "vm_mode", None),
    ("hw_cpu_sockets", "hw_cpu_sockets", as_int),
    ("hw_cpu_cores", "hw_cpu_cores", as_int),
    ("hw_cpu_threads", "hw_cpu_threads", as_int),
    ("hw_disk_bus", "hw_disk_bus", None),
    ("hw_cpu_policy", "hw_cpu_policy", None),
    ("hw_cpu_thread_policy", "hw_cpu_thread_policy", None),
    ("hw_rng_model", "hw_rng_model", None),
    ("hw_machine_type", "hw_machine_type", None),
    ("hw_scsi_model", "hw_scsi_model", None),
    ("hw_serial_port_count", "hw_serial_port_count", as_int),
    ("hw_video_model", "hw_video_model", None),
    ("hw_video_ram", "hw_video_ram", as_int),
    ("hw_watchdog_action", "hw_watchdog_action", None),
    ("os_command_line", "os_command_line", None),
    ("hw_vif_model", "hw_vif_model", None),
    ("hw_vif_multiqueue_enabled", "is_hw_vif_multiqueue_enabled", as_flexible_bool),
    ("hw_boot_menu", "is_hw_boot_menu_enabled", as_flexible_bool),
    ("vmware_adaptertype", "vmware_adaptertype", None),
    ("vmware_ostype", "vmware_ostype", None),
    ("auto_disk_config", "has_auto_disk_config", None),
    ("os_type", "os_type", None),
    ("os_admin_user", "os_admin_user", None),
    ("hw_qemu_guest_agent", "hw_qemu_guest_agent", as_str),
    ("os_require_quiesce", "os_require_quiesce", as_flexible_bool),
    ("schema", "schema", None),
    ("id", "id", None),
    ("tags", "tags", as_list),
)
# The SDK also takes a key spelled as its attribute name (a property named `is_hidden` or
# `owner_id`) as that attribute, overriding Glance's own key if it comes later.
DECLARED = {name: name for name, _, _ in SDK_ATTRIBUTES} | {
    attr: name for name, attr, _ in SDK_ATTRIBUTES}


class ListColumn(FormattableColumn):
    """osc-lib's ListColumn: `a, b` sorted in a table, the list itself in JSON and YAML.
    The one list column of every command (image tags, import methods, ...). A value that
    is not a list (a cloud's malformed reply) shows as a list of itself, None as empty."""

    def human_readable(self) -> str:
        return ", ".join(sorted(map(str, self.machine_readable())))

    def machine_readable(self) -> list[Any]:
        value = self._value
        if isinstance(value, list | tuple):
            return list(value)
        return [] if value is None else [value]


class DictColumn(FormattableColumn):
    """osc-lib's DictColumn: `k='v', ...` sorted by key in a table, the dict in JSON/YAML."""

    def human_readable(self) -> str:
        return format_dict(self._value)

    def machine_readable(self) -> dict[str, Any]:
        return dict(self._value or {})


def format_dict(data: Mapping[str, Any], prefix: str | None = None) -> str:
    """osc-lib's utils.format_dict: nested dicts flatten to dotted keys, None to `k=`."""
    parts = []
    for key in sorted(data):
        path = f"{prefix}.{key}" if prefix else key
        value = data[key]
        if isinstance(value, dict):
            parts.append(format_dict(value, prefix=path) + ", ")
        elif value is not None:
            parts.append(f"{path}='{value}', ")
        else:
            parts.append(f"{path}=, ")
    return "".join(parts)[:-2]


def format_size(size: float | None) -> str:
    """osc-lib's utils.format_size: powers of 1000, one decimal, trailing zeros dropped."""
    value = float(size) if size is not None else 0.0
    index = 0
    while value >= 1000.0:
        index += 1
        value /= 1000.0
    return f"{value:.1f}".rstrip("0").rstrip(".") + ("", "K", "M", "G", "T", "P", "E", "Z")[index]


def sdk_view(image: Mapping[str, Any]) -> dict[str, Any]:
    """What openstackclient reads: openstacksdk's to_dict(ignore_none=True,
    original_names=True) of the image Glance sent."""
    declared: dict[str, Any] = {}
    undeclared: dict[str, Any] = {}
    for key, value in image.items():
        if key == "self":
            continue
        if key in DECLARED:
            declared[DECLARED[key]] = value
        else:
            undeclared[key] = value
    packed = declared.get("properties", {})
    if not isinstance(packed, dict):
        packed = {"properties": packed}
    declared["properties"] = {**packed, **undeclared}
    view: dict[str, Any] = {}
    for name, _, convert in SDK_ATTRIBUTES:
        value = declared.get(name, [] if name == "tags" else None)
        if value is not None:
            view[name] = convert(value) if convert else value
    return view


def show_record(image: Mapping[str, Any],
                human_readable: bool = False) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """(columns, values) for cliff's ShowOne, sorted by column as openstackclient does."""
    view = sdk_view(image)
    info: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for key, value in view.items():
        if key in TOP_LEVEL:
            info[key] = value
        elif key == "properties":
            properties.update(value)
        elif key != "tags":
            properties[key] = value
    if human_readable and "size" in view:
        # openstackclient fails with KeyError('size') on an image without data; the row is
        # simply absent here, as it is without --human-readable.
        info["size"] = format_size(view["size"])
    info["tags"] = ListColumn(view.get("tags") or [])
    if properties:
        info["properties"] = DictColumn(properties)
    columns = tuple(sorted(info))
    return columns, tuple(info[column] for column in columns)
