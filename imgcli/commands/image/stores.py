"""`image stores list [--detail]`: the stores of a multi-store Glance, as openstackclient
10.5.0 prints them (ID, Description, Default; Properties with --detail).

Cost: one `GET /v2/info/stores` (or `/v2/info/stores/detail`) with a cached token;
openstackclient sends the same one request after its own authentication and discovery.
A Glance without multiple stores answers 404: one line, openstackclient's "Multi Backend
support not enabled", exit 1. --detail is admin-only under Glance's default policy: a
member's 403 is one line saying so.

Imports: imgcli.api.info, imgcli.commands (base, admin), imgcli.errors, imgcli.records.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from imgcli.api import info
from imgcli.commands.admin import admin_only, command_name
from imgcli.commands.base import Lister
from imgcli.errors import ApiError, NotFound
from imgcli.records import as_bool, as_dict

HEADERS = ("ID", "Description", "Default")
DETAIL_HEADERS = (*HEADERS, "Properties")


def store_row(store: dict[str, Any], detail: bool) -> tuple[Any, ...]:
    """openstacksdk's Store: `default` (Glance sends the string "true") becomes a bool,
    absent is None; `properties` a dict ({} for anything else)."""
    default = store.get("default")
    row = (store.get("id"), store.get("description"),
           None if default is None else as_bool(default))
    return (*row, as_dict(store.get("properties"))) if detail else row


class ListStores(Lister):
    """Get available backends (only valid with Multi-Backend support)"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--detail", action="store_true", default=None,
                            help="Shows details of stores (admin only) (requires "
                                 "--os-image-api-version 2.15 or later)")
        return parser

    def printed_columns(self, parsed_args: argparse.Namespace) -> tuple[str, ...]:
        return DETAIL_HEADERS if parsed_args.detail else HEADERS

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     Iterable[tuple[Any, ...]]]:
        detail = bool(parsed_args.detail)
        try:
            with admin_only(command_name(self.cmd_name, " --detail" if detail else "")):
                stores = info.list_stores(self.app.connection, detail)
        except NotFound as exc:
            raise ApiError("Multi Backend support not enabled: this cloud's Glance has no "
                           f"stores to list (404 from GET {exc.url})", status=exc.status,
                           method=exc.method, url=exc.url, detail=exc.detail) from exc
        return self.printed_columns(parsed_args), [store_row(s, detail) for s in stores]
