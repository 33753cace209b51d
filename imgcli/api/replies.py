"""Checks on the shape of a Glance reply, shared by the request functions that return a
list or a mapping from one key of it (stores, tasks, the cache, usage): a reply of the
wrong shape is one ApiError naming the request, never a traceback later in a command.

Imports: imgcli.api.http, imgcli.errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from imgcli.api.http import json_body
from imgcli.errors import ApiError

if TYPE_CHECKING:
    from requests import Response


def where(response: Response) -> str:
    request = response.request
    return f"{request.method if request is not None else 'GET'} {response.url}"


def objects(response: Response, key: str) -> list[dict[str, Any]]:
    """The list of JSON objects under `key` in the reply."""
    return objects_in(json_body(response), key, where(response))


def objects_in(doc: dict[str, Any], key: str, request: str) -> list[dict[str, Any]]:
    """The list of JSON objects under `key` in a reply already read (`request` names it)."""
    found = doc.get(key)
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise ApiError(f"{request}: the reply has no list of {key}")
    return found


def mapping(response: Response, key: str) -> dict[str, dict[str, Any]]:
    """The JSON object under `key`, each of whose values is an object itself."""
    found = json_body(response).get(key)
    if not isinstance(found, dict) or not all(isinstance(v, dict) for v in found.values()):
        raise ApiError(f"{where(response)}: the reply's {key} is not an object of objects")
    return found
