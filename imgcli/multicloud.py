"""The other clouds and regions of a run: `image copy`/`image sync`'s target, and the several
clouds of `image list`/`image show` (--os-cloud repeated, --os-region-name repeated,
--all-regions). Each gets its Settings from the same code as the global options
(imgcli.config.resolve_settings, which reads clouds.yaml and secure.yaml through
imgcli.clouds) and a Connection of its own (one keystoneauth session each: sessions are
not shared between threads), with its token cache entry and the run's --trace recorder.

Costs nothing by itself: a connection sends no request until a command's first call
(then, cold, Keystone's two and Glance's discovery, as for the first cloud). --all-regions
reads each cloud's catalog from its token: one token request per cloud when cold.

Imports: imgcli.config, imgcli.connection, imgcli.errors; imgcli.explain after a failure.
"""

from __future__ import annotations

import argparse
import copy
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imgcli.config import OPTIONS, Settings, resolve_settings
from imgcli.connection import Connection, connect
from imgcli.errors import ConfigError, ImgcliError, RequestError, UsageError

if TYPE_CHECKING:
    from imgcli.shell import ImgcliApp

# What a cloud named in clouds.yaml is read with: where the files are, and nothing else of
# the environment. The source's OS_* credentials (OS_PASSWORD, OS_PROJECT_NAME, ...) beat
# clouds.yaml in the global options' order, which is right for the source and wrong for a
# target that clouds.yaml describes on its own.
KEPT_ENV = ("OS_CLIENT_CONFIG_FILE", "OS_CLIENT_SECURE_FILE")
ENV_CLOUD = "envvars"  # openstacksdk's name for the cloud made of OS_* variables


@dataclass
class Place:
    """One cloud and region of a run: its settings, its name in output, its connection."""

    settings: Settings
    cloud: str  # the clouds.yaml name, or "envvars"
    region: str  # as set; "" when the catalog's only region is used (filled in later)
    connection: Connection | None = None

    @property
    def label(self) -> str:
        return f"{self.cloud} {self.region}".strip()


def cloud_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment a named cloud is read with: no OS_* variable but the file paths."""
    return {key: value for key, value in env.items()
            if not key.startswith("OS_") or key in KEPT_ENV}


def named_settings(app: ImgcliApp, cloud: str, region: str | None,
                   option: str = "--to-cloud") -> Settings:
    """A cloud from clouds.yaml (and secure.yaml) alone, in `region` or its default one;
    --timeout is the run's. An unknown name lists the names clouds.yaml has."""
    args = argparse.Namespace(**{opt.name: None for opt in OPTIONS})
    args.cloud, args.region_name = cloud, region
    args.api_timeout = getattr(app.options, "api_timeout", None)
    try:
        return resolve_settings(args, cloud_env(app.env))
    except ConfigError as exc:
        raise ConfigError(f"{option} {cloud}: {exc}") from None


def region_settings(app: ImgcliApp, region: str, cloud: str | None = None) -> Settings:
    """The global options' cloud (or `cloud`) in another region: the same credentials,
    from the same flags, environment and clouds.yaml."""
    args = copy.copy(app.options)
    args.region_name = region
    if cloud is not None:
        args.cloud = cloud
    return resolve_settings(args, app.env)


def target_settings(app: ImgcliApp, to_cloud: str | None, to_region: str | None) -> Settings:
    """`--to-cloud CLOUD [--to-region REGION]`, or `--to-region REGION` alone: another
    region of the source's own cloud. Checked before any request."""
    if to_cloud:
        return named_settings(app, to_cloud, to_region)
    if to_region:
        return region_settings(app, to_region, app.settings.cloud)
    raise UsageError("name the target: --to-cloud CLOUD (from clouds.yaml), --to-region "
                     "REGION (another region of the source's cloud), or both")


def where(settings: Settings) -> tuple[str, ...]:
    """What makes two settings the same place: the Keystone (or endpoint), the project,
    the region and the interface."""
    project = settings.project_id or f"{settings.project_name}@" \
        f"{settings.project_domain_id or settings.project_domain_name or ''}"
    return (str(settings.auth_url or "").rstrip("/"), str(settings.endpoint or "").rstrip("/"),
            project, settings.region_name or "", settings.interface)


def same_keystone(one: Settings, other: Settings) -> bool:
    return bool(one.auth_url) and where(one)[0] == where(other)[0]


def label(settings: Settings) -> str:
    """A cloud's name in messages and traces: its clouds.yaml name, and region if set."""
    return f"{settings.cloud or ENV_CLOUD}" + \
        (f" {settings.region_name}" if settings.region_name else "")


def open_connection(app: ImgcliApp, settings: Settings, mark: str | None = None) -> Connection:
    """A connection of its own for `settings` (nothing sent yet), traced as `mark`."""
    connection = connect(settings, app.token_cache(), app.recorder)
    recorder = app.recorder
    if recorder is not None:
        for opt in OPTIONS:
            if opt.secret:
                recorder.hold(settings.values.get(opt.name), is_token=opt.name == "token")
        if mark:
            recorder.mark(connection.session.session, mark)
    return connection


def mark(app: ImgcliApp, connection: Connection, name: str) -> None:
    """Name the cloud of a connection in the trace (the first cloud's, once there is a
    second)."""
    if app.recorder is not None:
        app.recorder.mark(connection.session.session, name)


def hold_token(app: ImgcliApp, connection: Connection) -> None:
    """Tell the trace the token a connection holds, so that it is scrubbed everywhere."""
    ref = getattr(connection.session.auth, "auth_ref", None)
    if app.recorder is not None and ref is not None:
        app.recorder.hold(ref.auth_token, is_token=True)


def seeded(app: ImgcliApp, settings: Settings, first: Connection,
           mark: str | None = None) -> Connection:
    """A connection for another region of `first`'s cloud that starts with `first`'s token
    (a token is for every region of its Keystone): no token request of its own."""
    connection = open_connection(app, settings, mark)
    state = first.session.auth.get_auth_state() if first.session.auth else None
    auth = connection.session.auth
    if state and auth is not None and getattr(auth, "auth_ref", None) is None:
        auth.set_auth_state(state)
    return connection


def project_of(connection: Connection) -> str | None:
    """The token's project (Keystone already asked: the caller has made a request)."""
    auth = connection.session.auth
    ref = getattr(auth, "auth_ref", None)
    return getattr(ref, "project_id", None)


def image_regions(connection: Connection, interface: str) -> list[str]:
    """The regions whose catalog has an image endpoint for `interface`, in catalog order
    (the token is fetched if there is none yet)."""
    auth = connection.session.auth
    ref = auth.get_access(connection.session) if auth is not None else None
    if ref is None or not ref.has_service_catalog():
        return []
    found: list[str] = []
    for service in ref.service_catalog.catalog:
        if service.get("type") != "image":
            continue
        for endpoint in service.get("endpoints", []):
            region = endpoint.get("region_id") or endpoint.get("region")
            if endpoint.get("interface") == interface and region and region not in found:
                found.append(str(region))
    return found


def region_of(connection: Connection, interface: str) -> str:
    """The catalog region whose image endpoint the connection uses ("" when none says)."""
    auth = connection.session.auth
    ref = getattr(auth, "auth_ref", None)
    root = (connection.root or "").rstrip("/")
    if ref is None or not root or not ref.has_service_catalog():
        return ""
    for service in ref.service_catalog.catalog:
        if service.get("type") != "image":
            continue
        for endpoint in service.get("endpoints", []):
            url = str(endpoint.get("url") or "").rstrip("/")
            if endpoint.get("interface") == interface and url and root.startswith(url):
                return str(endpoint.get("region_id") or endpoint.get("region") or "")
    return ""


def prefixed(exc: BaseException, name: str, settings: Settings | None = None) -> Exception:
    """The failure as one line that starts with the cloud's name; its kind (and exit
    status) kept. Library failures are explained first (imgcli.explain)."""
    if not isinstance(exc, ImgcliError):
        from imgcli.explain import explain

        exc = explain(exc, settings) or exc
    if isinstance(exc, RequestError):
        return type(exc)(f"{name}: {exc}", status=exc.status, method=exc.method,
                         url=exc.url, detail=exc.detail, hint=exc.hint)
    if isinstance(exc, ImgcliError):
        return type(exc)(f"{name}: {exc}")
    return exc  # type: ignore[return-value]


@contextmanager
def naming(name: str, settings: Settings | None = None) -> Iterator[None]:
    """Failures in the block say which cloud they came from."""
    try:
        yield
    except Exception as exc:
        better = prefixed(exc, name, settings)
        if better is exc:
            raise
        raise better from exc


def places(app: ImgcliApp) -> list[Place]:
    """Every cloud and region the global options name, resolved before any request; a
    setting that cannot work is exit 2, naming the cloud. With --all-regions a place's
    region is "" until the catalog is read (expand_regions)."""
    options = app.options
    if getattr(options, "all_regions", False) and getattr(options, "region_names", None):
        raise UsageError("--all-regions and --os-region-name: give one of them")
    clouds: list[str | None] = list(getattr(options, "clouds", None) or []) or [None]
    regions: list[str | None] = list(getattr(options, "region_names", None) or []) or [None]
    found: list[Place] = []
    for cloud in clouds:
        for region in regions:
            args = copy.copy(options)
            args.cloud, args.region_name = cloud, region
            try:
                settings = resolve_settings(args, app.env)
            except ImgcliError as exc:
                raise prefixed(exc, f"cloud {cloud or ENV_CLOUD}") from None
            found.append(Place(settings, settings.cloud or ENV_CLOUD,
                               settings.region_name or ""))
    return found


def expand_regions(app: ImgcliApp, place: Place) -> list[Place]:
    """--all-regions: one place per region of the cloud's catalog with an image endpoint,
    each starting from the first one's token."""
    first = place.connection or open_connection(app, place.settings, place.label)
    regions = image_regions(first, place.settings.interface)
    if not regions:
        raise ConfigError(f"the catalog has no {place.settings.interface} image endpoint")
    expanded = []
    for region in regions:
        settings = copy.copy(place.settings)
        settings.values = {**place.settings.values, "region_name": region}
        here = Place(settings, place.cloud, region)
        here.connection = seeded(app, settings, first, here.label)
        expanded.append(here)
    return expanded

