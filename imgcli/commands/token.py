"""`token issue`: openstackclient's record of the token this run authenticates with.

A live cached token is the answer, with no request; otherwise the answer is the token
POST (after Keystone's version document, as openstackclient sends them). A trace shows
the token only as its digest (the recorder scrubs every token the run holds).

Imports: imgcli.api.identity, imgcli.commands.base.
"""

from __future__ import annotations

import argparse
from typing import Any

from imgcli.api import identity
from imgcli.commands.base import ShowOne


class IssueToken(ShowOne):
    """Issue new token"""


    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...], Any]:
        fields = identity.token_fields(self.app.connection)
        # openstackclient sorts the keys: domain_id, expires, id, project_id, system, user_id.
        keys = tuple(sorted(fields))
        return keys, tuple(fields[key] for key in keys)
