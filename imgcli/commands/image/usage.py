"""`image usage`: the token's project's image quotas and how much of each is used
(Glance's GET /v2/info/usage, Image API 2.13), which openstackclient does not offer and
`glance usage` does. The columns are glanceclient's (Quota, Limit, Usage), one row per
quota in Glance's order; sizes are in MiB, as Glance counts them.

Cost: one `GET /v2/info/usage` with a cached token.

A Glance that enforces no quotas (`use_keystone_limits` off, its default) answers with no
quotas at all: the table is empty and one line on stderr says why.

Imports: imgcli.api.info, imgcli.commands.base.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from imgcli.api import info
from imgcli.commands.base import Lister

HEADERS = ("Quota", "Limit", "Usage")


class ShowUsage(Lister):
    """Show the image quotas of the current project and their usage"""

    def printed_columns(self, parsed_args: argparse.Namespace) -> tuple[str, ...]:
        return HEADERS

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     Iterable[tuple[Any, ...]]]:
        quotas = info.usage(self.app.connection)
        if not quotas:
            self.app.stderr.write("Glance reports no image quotas: it enforces none on this "
                                  "cloud (its use_keystone_limits option is off)\n")
        return HEADERS, [(name, quota.get("limit"), quota.get("usage"))
                         for name, quota in quotas.items()]
