"""Redaction: tokens become keystoneauth's {SHA256} digests, other secrets ``***``.

Structural first (headers, JSON keys, query strings, URL user info, argv), then a literal scrub
of every secret value found that way over everything written, so a secret echoed somewhere
unexpected (an error message, another body) is caught too."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit

# keystoneauth1.session.Session._process_header hashes exactly these; Authorization variants
# and cookies are added because they are credentials too.
_SECURE_HEADERS = frozenset(
    {
        "authorization",
        "x-auth-token",
        "x-subject-token",
        "x-service-token",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    }
)
_SECRET_KEYS = frozenset(
    {
        "password",
        "secret",
        "token",
        "passcode",
        "adminpass",
        "access_token",
        "refresh_token",
        "client_secret",
        "auth_token",
        "x_auth_token",
    }
)
_SECRET_SUFFIXES = ("_password", "_secret", "_token", "_passcode")
_TOKEN_PARENTS = (("identity",), ("auth",), ("access",))
REDACTED = "***"
# Secrets shorter than this are not scrubbed literally (they would erase ordinary text);
# structural redaction still removes them from where they were sent.
_MIN_SCRUB = 4


def digest(value: str) -> str:
    """keystoneauth's log digest of a token: ``{SHA256}<hex>`` (correlates with its debug logs)."""
    return "{SHA256}" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def is_secret_key(key: object) -> bool:
    k = str(key).lower().replace("-", "_")
    return k in _SECRET_KEYS or k.endswith(_SECRET_SUFFIXES)


def _is_token_id(path: tuple[str, ...], key: str) -> bool:
    # auth.identity.token.id (v3 token auth), auth.token.id / access.token.id (v2.0).
    return key == "id" and path[-1:] == ("token",) and path[-2:-1] in _TOKEN_PARENTS


class Secrets:
    """Secret values found while redacting, and the literal scrub applied to every output."""

    def __init__(self) -> None:
        self._map: dict[str, str] = {}

    def add(self, value: object, replacement: str = REDACTED) -> None:
        s = str(value)
        if len(s) < _MIN_SCRUB:
            return
        for variant in {s, json.dumps(s)[1:-1], quote(s, safe=""), quote_plus(s)}:
            if len(variant) >= _MIN_SCRUB:
                self._map.setdefault(variant, replacement)

    def __call__(self, text: str) -> str:
        # Longest first so a secret containing another is replaced whole.
        for secret in sorted(self._map, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, self._map[secret])
        return text


def redact_header(name: str, value: str, secrets: Secrets) -> str:
    if name.lower() in _SECURE_HEADERS:
        hashed = digest(value)
        secrets.add(value, hashed)
        scheme, _, credential = value.partition(" ")
        if credential and name.lower().endswith("authorization"):
            secrets.add(credential)
        return hashed
    if name.lower() in ("location", "content-location"):
        return redact_url(value, secrets)
    return value


def redact_url(url: str, secrets: Secrets) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, sep, password = userinfo.partition(":")
        if sep:
            secrets.add(unquote_plus(password))
            netloc = f"{user}:{REDACTED}@{host}"
    query = parts.query
    if query:
        # Rewrite only secret pairs so the rest of the query stays byte-for-byte as sent.
        pieces = []
        for piece in query.split("&"):
            key, sep, value = piece.partition("=")
            if sep and is_secret_key(unquote_plus(key)):
                secrets.add(unquote_plus(value))
                piece = f"{key}={REDACTED}"
            pieces.append(piece)
        query = "&".join(pieces)
    if netloc == parts.netloc and query == parts.query:
        return url
    out = f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else f"{netloc}{parts.path}"
    if query:
        out += "?" + query
    if parts.fragment:
        out += "#" + parts.fragment
    return out


def redact_json(node: Any, secrets: Secrets, path: tuple[str, ...] = ()) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                # "token": {...} in a token response is not a secret: only its scalars can be.
                out[key] = redact_json(value, secrets, (*path, str(key)))
            elif (
                value is not None
                and not isinstance(value, bool)
                and (is_secret_key(key) or _is_token_id(path, str(key)))
            ):
                secrets.add(value)
                out[key] = REDACTED
            else:
                out[key] = value
        return out
    if isinstance(node, list):
        return [redact_json(item, secrets, path) for item in node]
    return node


def redact_argv(argv: list[str], secrets: Secrets) -> list[str]:
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            secrets.add(arg)
            out.append(REDACTED)
            hide_next = False
            continue
        if arg.startswith("--"):
            name, sep, value = arg.partition("=")
            if any(word in name for word in ("password", "secret", "token")):
                if sep:
                    secrets.add(value)
                    arg = f"{name}={REDACTED}"
                else:
                    hide_next = True
        out.append(arg)
    return out


def command_line(argv: list[str]) -> str:
    if not argv:
        return "imgcli"
    words = [shlex.quote(os.path.basename(argv[0]))]
    for arg in argv[1:]:
        # Quote as a shell would, but leave the redaction marker readable: *** not '***'.
        name, sep, value = arg.rpartition("=")
        if arg == REDACTED:
            words.append(arg)
        elif sep and value == REDACTED:
            words.append(f"{shlex.quote(name)}={REDACTED}")
        else:
            words.append(shlex.quote(arg))
    return " ".join(words)

