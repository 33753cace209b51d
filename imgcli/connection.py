"""The connection: a keystoneauth Session with imgcli's transport guards, the token cache,
and the Image API v2 root found by discovery (seed steps 5-6) or given by --os-endpoint.

Nothing here sends a request until `Connection.image_root()` or a request function asks.

Imports: imgcli.errors, imgcli.auth; imgcli.transport, keystoneauth1 and requests only when
a connection is built (a command that needs no cloud loads none of them). Never
imgcli.images or a command (they import this).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imgcli import __version__
from imgcli.auth import build_auth
from imgcli.errors import ConfigError

if TYPE_CHECKING:
    from keystoneauth1.adapter import Adapter
    from keystoneauth1.plugin import BaseAuthPlugin
    from keystoneauth1.session import Session

    from imgcli.cache import TokenCache
    from imgcli.config import Settings
    from imgcli.trace.recorder import Recorder

# Retried by keystoneauth with exponential backoff: the list calls are idempotent GETs.
RETRIES = 2
RETRIABLE_STATUSES = [429, 502, 503, 504]
VERSION_SEGMENT = re.compile(r"/v2(\.\d+)?/?$")


def versioned_root(endpoint: str) -> str:
    """The v2 root of an endpoint given as the bare service URL or as the v2 root itself
    (--os-endpoint), found without a discovery request."""
    url = endpoint.rstrip("/")
    return url + "/" if VERSION_SEGMENT.search(url) else url + "/v2/"


def build_session(settings: Settings, auth: BaseAuthPlugin,
                  recorder: Recorder | None = None) -> Session:
    import requests
    from keystoneauth1 import session as ks_session

    from imgcli import transport as guards

    transport = requests.Session()
    # Before the recorder's hook (attached below): every response, keystoneauth's own
    # included, passes the redirect and error-body guards first.
    guards.install(transport, {"--os-auth-url (OS_AUTH_URL)": settings.auth_url,
                               "--os-endpoint (OS_ENDPOINT)": settings.endpoint})
    if settings.verify is False:
        # urllib3 warns (two lines, with its source) on every request; one line is enough.
        import logging
        import warnings

        from urllib3.exceptions import InsecureRequestWarning

        warnings.simplefilter("ignore", InsecureRequestWarning)
        logging.getLogger(__name__).warning(
            "TLS certificates are not verified (--insecure / OS_INSECURE)")
    if recorder is not None:
        recorder.attach(transport)
    cert: str | tuple[str, str] | None = settings.cert
    if settings.cert and settings.key:
        cert = (settings.cert, settings.key)
    return ks_session.Session(
        auth=auth, session=transport, verify=settings.verify, cert=cert,
        timeout=settings.api_timeout, app_name="imgcli", app_version=__version__,
        connect_retries=RETRIES)


def image_adapter(settings: Settings, session: Session) -> Adapter:
    """Glance's side of the session. Page URLs are absolute, so once the root is known
    (from discovery or the cache) the adapter adds only its retry policy."""
    from keystoneauth1.adapter import Adapter

    return Adapter(
        session, service_type="image", interface=settings.interface,
        region_name=settings.region_name, min_version="2.0", max_version="2.latest",
        connect_retries=RETRIES, status_code_retries=RETRIES,
        retriable_status_codes=RETRIABLE_STATUSES, raise_exc=False)


@dataclass
class Connection:
    """What a command needs: a Session, and the Image API v2 root it talks to.

    The root is found on first use, not at connect time: `token issue` needs only the
    token, and discovering Glance's versions would cost it a request (seed 5-6)."""

    session: Session
    adapter: Adapter
    root: str | None  # e.g. http://host/image/v2/; None until discovered
    cache: TokenCache | None = None
    cache_key: str | None = None
    cached_state: str | None = None
    cached_root: str | None = None

    def image_root(self) -> str:
        """The v2 root, discovered (and cached) on first use: a method, since it may send
        requests and write the cache."""
        if self.root is None:
            self.root = discover_image_root(self.adapter, self.session)
            self.save()  # now, not at exit: an interrupted first run still leaves its token
        return self.root

    def save(self) -> None:
        """Store a new or renewed token (or a newly found root) for the next run; a no-op
        when nothing changed."""
        if self.cache is None or self.cache_key is None:
            return
        state = self.session.auth.get_auth_state() if self.session.auth else None
        if state and (state != self.cached_state or self.root != self.cached_root):
            # "" marks a root not found yet: the cache's format keeps it a string.
            self.cache.save(self.cache_key, {"auth": state, "image_root": self.root or ""})
            self.cached_state, self.cached_root = state, self.root


def connect(settings: Settings, cache: TokenCache | None = None,
            recorder: Recorder | None = None) -> Connection:
    """A connection that sends nothing yet. With a live cached token and root, seed steps
    (1)-(6) never happen; otherwise the first request that needs them makes them."""
    auth = build_auth(settings)
    session = build_session(settings, auth, recorder)
    adapter = image_adapter(settings, session)
    if settings.endpoint:
        return Connection(session, adapter, versioned_root(settings.endpoint))

    key = cache.key(auth, settings) if cache else None
    entry = cache.load(key) if cache and key else None
    if entry:
        auth.set_auth_state(entry["auth"])
        if auth.auth_ref is not None and not auth.auth_ref.will_expire_soon(
                auth.MIN_TOKEN_LIFE_SECONDS):
            root = entry["image_root"] or None
            return Connection(session, adapter, root, cache, key, entry["auth"], root)
        auth.invalidate()
    return Connection(session, adapter, None, cache, key)


def discover_image_root(adapter: Adapter, session: Session) -> str:
    """Seed (1)-(6): token and catalog through the plugin, then Glance's version document."""
    from keystoneauth1 import exceptions as ks_exc

    try:
        data = adapter.get_endpoint_data()
    except ks_exc.EndpointNotFound:
        data = None
    if data is None or not data.url:
        raise ConfigError(no_endpoint_message(adapter, session))
    return data.url if data.url.endswith("/") else data.url + "/"


def no_endpoint_message(adapter: Adapter, session: Session) -> str:
    """Say what the catalog does offer, so the user can pick a region or interface."""
    offered: list[str] = []
    auth_ref = session.auth.get_access(session) if session.auth else None
    catalog = auth_ref.service_catalog.catalog if auth_ref and auth_ref.has_service_catalog() \
        else []
    for service in catalog:
        if service.get("type") != "image":
            continue
        for ep in service.get("endpoints", []):
            region = ep.get("region_id") or ep.get("region") or "?"
            offered.append(f"{ep.get('interface')} in {region}")
    where = f"interface {adapter.interface!r}"
    if adapter.region_name:
        where += f" in region {adapter.region_name!r}"
    if offered:
        have = "; it has: " + ", ".join(sorted(set(offered)))
    elif catalog:
        types = sorted({str(service.get("type")) for service in catalog})
        have = "; it has no image endpoint at all, only: " + ", ".join(types)
    else:
        have = "; the catalog is empty"
    return (f"the catalog has no image endpoint for {where}{have} "
            "(set --os-region-name / --os-interface)")
