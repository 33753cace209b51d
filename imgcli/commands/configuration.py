"""`configuration show`: every resolved setting and where it came from.

Imports: imgcli.commands.base.
"""

from __future__ import annotations

import argparse

from imgcli.commands.base import Lister


class ShowConfiguration(Lister):
    """Show the resolved settings and their sources (secrets redacted)"""


    def take_action(self, parsed_args: argparse.Namespace):
        settings = self.app.settings
        rows = settings.redacted()
        if settings.cloud:
            rows.insert(0, ("cloud", settings.cloud, "--os-cloud / OS_CLOUD"))
        return ("Setting", "Value", "Source"), rows
