"""Redaction: tokens become keystoneauth's {SHA256} digests, other secrets ``***``.

Structural first (headers, JSON keys, query strings, URL user info, argv), then a literal scrub
of every secret value found that way over everything written, so a secret echoed somewhere
unexpected (an error message, another body) is caught too.

A URL is redacted wherever it is written, not only as a request's URL: in argv (`image import
--uri`), in JSON string values, in text bodies, in error messages. Its user info password and
its signature query parameters (a Swift temp URL's, an S3 presigned URL's) become ``***``.

Imports: nothing of imgcli.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
from collections.abc import Callable
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
# Query parameters of signed URLs (Swift temp URLs, S3 presigned URLs, Azure SAS): their
# values are hidden wherever the URL is written. Only the signing secrets among them are
# scrubbed literally as well; an expiry ("99") or X-Amz-SignedHeaders' "host" would erase
# ordinary text everywhere else.
_SIGNED_PREFIXES = ("x-amz-", "temp_url_")
_SIGNING_SECRET = re.compile(r"sig(nature)?$|credential", re.IGNORECASE)
# A URL in free text, from its "://" (what redaction changes comes after it) to whitespace,
# a quote, a bracket or a backslash (JSON and repr() escapes); trailing sentence punctuation
# is not part of it. The pattern begins with a literal, which the regex engine finds fast.
_URL_IN_TEXT = re.compile(r"://[^\s\"'<>`\\]+")
_TRAILING = ".,;:!?)]}"
# A query parameter without its URL (an error that quotes only the path and query), matched
# only where str.find has found a ? or &: on a page of images, far faster than a pattern
# that starts with a character class (docs/performance.md#query-parameters-in-text).
_PARAM_AT = re.compile(r"[?&][^=&?#\s\"'<>]+=[^&?#\s\"'<>\\]*")


def digest(value: str) -> str:
    """keystoneauth's log digest of a token: ``{SHA256}<hex>`` (correlates with its debug logs)."""
    return "{SHA256}" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def is_secret_key(key: object) -> bool:
    k = str(key).lower().replace("-", "_")
    return k in _SECRET_KEYS or k.endswith(_SECRET_SUFFIXES)


def query_secret(name: str) -> tuple[bool, bool]:
    """(hide the value, scrub it literally too) for a query parameter named ``name``."""
    key = unquote_plus(name).lower()
    key = key[4:] if key.startswith("amp;") else key  # an HTML page's &amp; separator
    if is_secret_key(key) or _SIGNING_SECRET.search(key):
        return True, True
    return "sig" in key or key.startswith(_SIGNED_PREFIXES), False


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
        # URLs first: a password or signature found there is scrubbed below too.
        text = redact_text(text, self)
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
        query = "&".join(_redact_param(piece, secrets) for piece in query.split("&"))
    if netloc == parts.netloc and query == parts.query:
        return url
    out = f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else f"{netloc}{parts.path}"
    if query:
        out += "?" + query
    if parts.fragment:
        out += "#" + parts.fragment
    return out


def _redact_param(piece: str, secrets: Secrets) -> str:
    key, sep, value = piece.partition("=")
    if not sep or value == REDACTED:
        return piece
    hide, scrub = query_secret(key)
    if scrub:
        secrets.add(unquote_plus(value))
    return f"{key}={REDACTED}" if hide else piece


def _url_tail(tail: str, secrets: Secrets) -> str:
    # What follows a "://": redacted as the URL it ends; its scheme changes nothing.
    return redact_url("x" + tail, secrets)[1:]


def _param(found: str, secrets: Secrets) -> str:
    return found[0] + _redact_param(found[1:], secrets)  # keep the ? or & it follows


def _separators(text: str) -> list[int]:
    found = []
    for char in "?&":
        at = text.find(char)
        while at >= 0:
            found.append(at)
            at = text.find(char, at + 1)
    return sorted(found)


def _redact_params(text: str, secrets: Secrets) -> str:
    pieces, done = [], 0
    for at in _separators(text):
        found = _PARAM_AT.match(text, at) if at >= done else None
        if found:
            pieces += [text[done:at], _but_the_tail(found, _param, secrets)]
            done = found.end()
    return "".join(pieces) + text[done:] if pieces else text


def _but_the_tail(found: re.Match[str], redact: Callable[[str, Secrets], str],
                  secrets: Secrets) -> str:
    # "... refused http://h/x?sig=abc." : the full stop ends the sentence, not the value.
    text = found.group(0)
    body = text.rstrip(_TRAILING)
    return redact(body, secrets) + text[len(body):]


def redact_text(text: str, secrets: Secrets) -> str:
    """Every URL in ``text`` redacted as ``redact_url`` does, and every signature or secret
    query parameter even without its URL; the rest of the text is left as it was."""
    if "=" not in text and "@" not in text:
        return text  # nothing to redact: no query parameter, no user info
    if "://" in text:
        text = _URL_IN_TEXT.sub(lambda found: _but_the_tail(found, _url_tail, secrets), text)
    return _redact_params(text, secrets)


def hide_url_credentials(text: str) -> str:
    """``text`` with every URL's password and signing parameters as ``***``, and those values
    wherever else they appear in it: for a one-line error or a log line that quotes a URL."""
    return Secrets()(text)


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
                out[key] = redact_json(value, secrets, path)
        return out
    if isinstance(node, list):
        return [redact_json(item, secrets, path) for item in node]
    if isinstance(node, str):
        # web-download's {"method": {"uri": ...}}, or an error message quoting a URL
        # (redact_text returns at once for a string with no "=" and no "@": most strings).
        return redact_text(node, secrets)
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
        arg = redact_text(arg, secrets)  # --uri http://user:PASSWORD@host/...?temp_url_sig=
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
        name, sep, value = arg.partition("=")
        if arg == REDACTED:
            words.append(arg)
        elif sep and value == REDACTED and name.startswith("-"):  # --os-password=***
            words.append(f"{shlex.quote(name)}={REDACTED}")
        else:
            words.append(shlex.quote(arg))
    return " ".join(words)

