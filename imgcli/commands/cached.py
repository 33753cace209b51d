"""`cached image list`, `cached image queue IMAGE...`, `cached image delete IMAGE...`,
`cached image clear [--cache] [--queue]`: Glance's image cache API (/v2/cache), with
openstackclient 10.5.0's names, arguments and columns.

Cost with a cached token:
- `list`: one `GET /v2/cache`, as openstackclient.
- `queue ID...` / `delete ID...`: one `PUT` / `DELETE /v2/cache/{id}` per image; a name adds
  its look-up, `GET /v2/images?name=...`. openstackclient reads every image first
  (`GET /v2/images/{ref}`, and for a name a 404 then `GET /v2/images?name=...`): one
  request more per ID, two more per name.
- `clear`: one `DELETE /v2/cache`, as openstackclient.

Glance's default policy lets only admin use the cache API: a member's 403 is one line
saying so, and stops a queue or delete of several images at once (each would be refused).
A Glance whose cache is not enabled answers 404 ("Caching via API is not supported at this
site"): one line saying so.

Imports: imgcli.api.cache, imgcli.resolve, imgcli.commands (base, admin, deleting),
imgcli.errors; datetime when rows are built.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from imgcli import resolve
from imgcli.api import cache
from imgcli.commands.admin import admin_only, command_name, refusal
from imgcli.commands.base import Command, Lister
from imgcli.commands.deleting import for_each
from imgcli.errors import ApiError, NotFound

HEADERS = ("ID", "State", "Last Accessed (UTC)", "Last Modified (UTC)", "Size", "Hits")
NOT_CACHED = "N/A"  # openstackclient's value for what a queued image does not have yet


def cache_not_enabled(error: ApiError, any_404: bool = False) -> ApiError | None:
    """The one-line error when Glance says its cache is off. On /v2/cache itself
    (`any_404`) every 404 means that; on /v2/cache/{id} only Glance's own words tell it
    from a missing image (resolve.on_image keeps Glance's 404 as the cause of its "no image
    with ID" line)."""
    for candidate in (error, error.__cause__):
        if isinstance(candidate, NotFound) and candidate.status == 404 and (
                any_404 or candidate.mentions(404, "not supported at")):
            said = f": {candidate.detail}" if candidate.detail else ""
            return ApiError("Glance's image cache is not enabled on this cloud (404 from "
                            f"{candidate.method} {candidate.url}{said})",
                            status=404, method=candidate.method, url=candidate.url,
                            detail=candidate.detail)
    return None


def utc_text(value: Any, field: str) -> str:
    """openstackclient's time: the epoch seconds Glance sends, as naive ISO 8601 in UTC."""
    from datetime import datetime, timezone

    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(f"GET /v2/cache: the reply's {field} is not a time: {value!r}")
    return datetime.fromtimestamp(value, tz=timezone.utc).replace(tzinfo=None).isoformat()


def cache_rows(cached: list[dict[str, Any]], queued: list[str]) -> list[tuple[Any, ...]]:
    """openstackclient's _format_image_cache: the cached images, then the queued ones."""
    rows = [(image.get("image_id", ""), "cached",
             utc_text(image.get("last_accessed"), "last_accessed"),
             utc_text(image.get("last_modified"), "last_modified"),
             image.get("size", ""), image.get("hits", "")) for image in cached]
    rows += [(image_id, "queued", *(NOT_CACHED,) * 4) for image_id in queued]
    return rows


class ListCachedImage(Lister):
    """Get Cache State"""

    def printed_columns(self, parsed_args: argparse.Namespace) -> tuple[str, ...]:
        return HEADERS

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[tuple[str, ...],
                                                                     Iterable[tuple[Any, ...]]]:
        try:
            with admin_only(command_name(self.cmd_name)):
                cached, queued = cache.cache_state(self.app.connection)
        except NotFound as exc:
            raise (cache_not_enabled(exc, any_404=True) or exc) from exc
        return HEADERS, cache_rows(cached, queued)


class EachImage(Command):
    """What queue and delete share: IMAGE..., one request each, failures counted."""

    verb = ""  # "queue", "delete"
    image_help = ""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("images", metavar="<image>", nargs="+", help=self.image_help)
        return parser

    def act(self, image_id: str) -> None:
        raise NotImplementedError

    def why_not(self, ref: str, error: ApiError) -> str:
        if error.status == 403:
            raise refusal(command_name(self.cmd_name), error)
        disabled = cache_not_enabled(error)
        if disabled is not None:
            raise disabled
        if isinstance(error, NotFound):
            return str(error)
        return f"image {ref!r} was not {self.verb}d: {error}"

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        connection = self.app.connection
        for_each(parsed_args.images,
                 lambda ref: resolve.on_image(connection, ref, self.act),
                 self.why_not, self.app.stderr, f"images failed to {self.verb}")


class QueueCachedImage(EachImage):
    """Queue image(s) for caching."""

    verb = "queue"
    image_help = "Image to display (name or ID)"  # openstackclient's words

    def act(self, image_id: str) -> None:
        cache.queue_image(self.app.connection, image_id)


class DeleteCachedImage(EachImage):
    """Delete image(s) from cache"""

    verb = "delete"
    image_help = "Image(s) to delete (name or ID)"

    def act(self, image_id: str) -> None:
        cache.uncache_image(self.app.connection, image_id)


class ClearCachedImage(Command):
    """Clear all images from cache, queue or both"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--cache", action="store_true",
                            help="Clears all the cached images")
        parser.add_argument("--queue", action="store_true",
                            help="Clears all the queued images")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> None:
        # Both options (or neither) clear both. openstackclient keeps only the last of the
        # two, so its `--cache --queue` clears the queue alone.
        only = {(True, False): "cache", (False, True): "queue"}.get(
            (parsed_args.cache, parsed_args.queue))
        try:
            with admin_only(command_name(self.cmd_name)):
                cache.clear_cache(self.app.connection, only)
        except NotFound as exc:
            raise (cache_not_enabled(exc, any_404=True) or exc) from exc
