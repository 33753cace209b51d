"""`cache clear`: forget every cached token and endpoint.

Imports: imgcli.commands.base; inside functions, imgcli.cache.
"""

from __future__ import annotations

import argparse

from imgcli.commands.base import Command


class ClearCache(Command):
    """Delete the token and endpoint cache"""

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        from imgcli.cache import TokenCache

        cache = TokenCache.from_env(self.app.env)
        removed = cache.clear()
        self.app.stdout.write(f"removed {removed} cached login(s) from {cache.directory}\n")
        return 0
