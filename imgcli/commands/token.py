"""`token issue`: openstackclient's record of the token this run authenticates with.

A live cached token is the answer, with no request; otherwise the answer is the token
POST (after Keystone's version document, as openstackclient sends them). Under --trace
the token is always a new one, so that the trace never holds a usable token.
"""

from __future__ import annotations

import argparse
from typing import Any

from cliff.show import ShowOne

from imgcli import identity
from imgcli.commands.base import ExplainErrors


class IssueToken(ExplainErrors, ShowOne):
    """Issue new token"""

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...], Any]:
        # A trace scrubs the secrets it saw on the wire, and a cached token never crosses
        # it: traced, the token is a fresh one, which the trace shows as a digest.
        fields = identity.token_fields(self.app.connection, fresh=self.app.recorder is not None)
        # openstackclient sorts the keys: domain_id, expires, id, project_id, system, user_id.
        keys = tuple(sorted(fields))
        return keys, tuple(fields[key] for key in keys)
