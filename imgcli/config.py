"""Where each setting comes from: command line > OS_* environment > clouds.yaml > defaults.

One table (OPTIONS) drives the global options, the environment lookup, the clouds.yaml
keys and `configuration show`, so a setting cannot be spelled differently in two places.
Argparse defaults are all None: that is how a value given on the command line is told
apart from one that came from the environment.

Imports: imgcli.errors; inside functions, imgcli.clouds.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from imgcli.errors import ConfigError, UsageError


@dataclass(frozen=True)
class Option:
    name: str  # the clouds.yaml key, and the attribute name on Settings
    flags: tuple[str, ...]
    env: tuple[str, ...]  # the first one set wins
    help: str
    default: Any = None
    secret: bool = False
    kind: str = "str"  # "str", "bool", "float"


OPTIONS: tuple[Option, ...] = (
    Option("auth_url", ("--os-auth-url",), ("OS_AUTH_URL",), "Identity (Keystone) URL"),
    Option("auth_type", ("--os-auth-type",), ("OS_AUTH_TYPE",),
           "password (default), v3password, v3applicationcredential, token, v3token",
           default="password"),
    Option("username", ("--os-username",), ("OS_USERNAME",), "User name"),
    Option("user_id", ("--os-user-id",), ("OS_USER_ID",), "User ID"),
    # The three secrets' help says where else to put them: argv is readable by every user.
    Option("password", ("--os-password",), ("OS_PASSWORD",),
           "Password; prefer OS_PASSWORD or secure.yaml, since other users of this machine "
           "can see a command line in ps (at a terminal, imgcli asks for a missing one)",
           secret=True),
    Option("project_name", ("--os-project-name",), ("OS_PROJECT_NAME", "OS_TENANT_NAME"),
           "Project to scope the token to, by name"),
    Option("project_id", ("--os-project-id",), ("OS_PROJECT_ID", "OS_TENANT_ID"),
           "Project to scope the token to, by ID"),
    Option("user_domain_name", ("--os-user-domain-name",), ("OS_USER_DOMAIN_NAME",),
           "Domain of the user, by name"),
    Option("user_domain_id", ("--os-user-domain-id",), ("OS_USER_DOMAIN_ID",),
           "Domain of the user, by ID"),
    Option("project_domain_name", ("--os-project-domain-name",), ("OS_PROJECT_DOMAIN_NAME",),
           "Domain of the project, by name"),
    Option("project_domain_id", ("--os-project-domain-id",), ("OS_PROJECT_DOMAIN_ID",),
           "Domain of the project, by ID"),
    Option("default_domain", ("--os-default-domain",), ("OS_DEFAULT_DOMAIN",),
           "Domain ID used when no user or project domain is given", default="default"),
    Option("application_credential_id", ("--os-application-credential-id",),
           ("OS_APPLICATION_CREDENTIAL_ID",), "Application credential ID"),
    Option("application_credential_name", ("--os-application-credential-name",),
           ("OS_APPLICATION_CREDENTIAL_NAME",), "Application credential name"),
    Option("application_credential_secret", ("--os-application-credential-secret",),
           ("OS_APPLICATION_CREDENTIAL_SECRET",),
           "Application credential secret; prefer OS_APPLICATION_CREDENTIAL_SECRET or "
           "secure.yaml, since other users of this machine can see a command line in ps (at a "
           "terminal, imgcli asks for a missing one)", secret=True),
    Option("token", ("--os-token",), ("OS_TOKEN",),
           "An existing token; prefer OS_TOKEN or secure.yaml, since other users of this "
           "machine can see a command line in ps", secret=True),
    Option("endpoint", ("--os-endpoint",), ("OS_ENDPOINT",),
           "Image API endpoint to use instead of the catalog's (with --os-token: no Keystone)"),
    Option("identity_api_version", ("--os-identity-api-version",), ("OS_IDENTITY_API_VERSION",),
           "Identity API version (only 3 is supported)", default="3"),
    Option("image_api_version", ("--os-image-api-version",), ("OS_IMAGE_API_VERSION",),
           "Image API version (only 2 is supported)", default="2"),
    Option("interface", ("--os-interface",), ("OS_INTERFACE", "OS_ENDPOINT_TYPE"),
           "Endpoint interface: public, internal or admin", default="public"),
    Option("region_name", ("--os-region-name",), ("OS_REGION_NAME",), "Region of the endpoint"),
    Option("cacert", ("--os-cacert",), ("OS_CACERT",), "CA bundle to verify the servers with"),
    Option("cert", ("--os-cert",), ("OS_CERT",), "Client certificate file"),
    Option("key", ("--os-key",), ("OS_KEY",), "Client certificate key file"),
    Option("insecure", (), ("OS_INSECURE",), "Do not verify TLS certificates",
           default=False, kind="bool"),
    Option("api_timeout", ("--timeout",), ("OS_API_TIMEOUT", "OS_TIMEOUT"),
           "Seconds to wait for each request", default=60.0, kind="float"),
)
BY_NAME = {opt.name: opt for opt in OPTIONS}
INTERFACES = ("public", "internal", "admin")
URL_EXAMPLES = {"auth_url": "https://keystone.example.com:5000/v3",
                "endpoint": "https://glance.example.com:9292"}
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


class Repeated(argparse.Action):
    """A global option that may be given more than once (--os-cloud, --os-region-name):
    every distinct value, in order, goes to `<dest>s`, and the first to `dest`, which is
    all that a command working on one cloud reads. Only `image list` and `image show` run
    on several (imgcli.commands.image.many); any other command refuses them (one_cloud)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        every = list(getattr(namespace, self.dest + "s", None) or [])
        if values not in every:
            every.append(values)
        setattr(namespace, self.dest + "s", every)
        setattr(namespace, self.dest, every[0])


def add_global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--os-cloud", dest="cloud", metavar="<name>", action=Repeated,
                        help="Cloud name in clouds.yaml (Env: OS_CLOUD); repeat it for "
                             "image list and image show on several clouds at once")
    for opt in OPTIONS:
        if not opt.flags:
            continue
        envs = ", ".join(opt.env)
        repeat = "; repeat it for image list and image show in several regions" \
            if opt.name == "region_name" else ""
        parser.add_argument(*opt.flags, dest=opt.name, default=None,
                            metavar=f"<{opt.name.replace('_', '-')}>",
                            type=float if opt.kind == "float" else str,
                            action=Repeated if opt.name == "region_name" else "store",
                            help=f"{opt.help} (Env: {envs}){repeat}")
    parser.add_argument("--all-regions", action="store_true",
                        help="image list and image show: in every region of each cloud's "
                             "catalog that has an image endpoint")
    verify = parser.add_mutually_exclusive_group()
    verify.add_argument("--insecure", dest="insecure", action="store_const", const=True,
                        default=None, help="Do not verify TLS certificates (Env: OS_INSECURE)")
    verify.add_argument("--verify", dest="insecure", action="store_const", const=False,
                        help="Verify TLS certificates (default)")
    parser.add_argument("--no-cache", dest="no_cache", action="store_true",
                        help="Neither read nor write the token and endpoint cache")
    parser.add_argument("--trace", metavar="<file>",
                        help="Write every HTTP exchange to FILE: Markdown, or HAR if it ends "
                             "in .har")


def several_clouds(options: argparse.Namespace) -> bool:
    """Whether the global options name more than one cloud or region (or --all-regions)."""
    return (len(getattr(options, "clouds", None) or ()) > 1
            or len(getattr(options, "region_names", None) or ()) > 1
            or bool(getattr(options, "all_regions", False)))


def one_cloud(options: argparse.Namespace, command: str | None) -> UsageError:
    """The refusal, before any request, of several clouds for a command that takes one."""
    given = [f"--os-cloud {' --os-cloud '.join(options.clouds)}"] \
        if len(getattr(options, "clouds", None) or ()) > 1 else []
    if len(getattr(options, "region_names", None) or ()) > 1:
        given.append(f"--os-region-name {' --os-region-name '.join(options.region_names)}")
    if getattr(options, "all_regions", False):
        given.append("--all-regions")
    what = f"imgcli {command}" if command else "this command"
    copies = " (copy and sync take one source; the target is --to-cloud)" \
        if command in ("image copy", "image sync") else ""
    return UsageError(f"{what} works on one cloud and region{copies}: "
                      f"only image list and image show take {' '.join(given)}")


@dataclass
class Settings:
    """The resolved settings, and for each one where it came from."""

    values: dict[str, Any]
    origins: dict[str, str] = field(default_factory=dict)
    cloud: str | None = None
    regions: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Any:
        # Only called for names that are not real attributes: the settings themselves.
        if name not in BY_NAME:
            raise AttributeError(name)
        return self.__dict__["values"].get(name)

    @property
    def verify(self) -> bool | str:
        if self.insecure:
            return False
        return self.cacert or True

    def redacted(self) -> list[tuple[str, str, str]]:
        """(name, shown value, origin) for every setting that has a value."""
        rows = []
        for opt in OPTIONS:
            value = self.values.get(opt.name)
            if value is None:
                continue
            shown = "<redacted>" if opt.secret else str(value)
            rows.append((opt.name, shown, self.origins.get(opt.name, "default")))
        return rows


def parse_value(opt: Option, raw: Any, where: str) -> Any:
    if opt.kind == "bool":
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ConfigError(f"{where}: {raw!r} is not true or false")
    if opt.kind == "float":
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: {raw!r} is not a number of seconds") from None
        if value <= 0:
            raise ConfigError(f"{where}: the timeout must be more than 0 seconds")
        return value
    return str(raw)


def resolve_settings(args: argparse.Namespace, env: Mapping[str, str],
                     cwd: str | None = None) -> Settings:
    """Merge the four sources. The first source that has a value wins, per setting."""
    from imgcli import clouds

    cloud_name = getattr(args, "cloud", None) or env.get("OS_CLOUD") or None
    cloud = clouds.load_cloud(cloud_name, env, cwd)
    cloud_settings = dict(cloud.settings) if cloud else {}
    verify = cloud_settings.pop("verify", None)
    if isinstance(verify, str):
        cloud_settings.setdefault("cacert", verify)  # requests' rule: a path is a CA bundle
    elif verify is not None:
        # clouds.yaml spells it `verify: false`; we keep one setting, `insecure`.
        cloud_settings.setdefault("insecure", not verify)
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for opt in OPTIONS:
        flag_value = getattr(args, opt.name, None)
        env_name = next((name for name in opt.env if env.get(name)), None)
        if flag_value is not None:
            raw, origin = flag_value, (opt.flags[0] if opt.flags else "--insecure/--verify")
        elif env_name:
            raw, origin = env[env_name], env_name
        elif opt.name in cloud_settings:
            raw, origin = cloud_settings[opt.name], cloud.sources.get(opt.name, "clouds.yaml")
        elif opt.default is not None:
            values[opt.name], origins[opt.name] = opt.default, "default"
            continue
        else:
            continue
        values[opt.name] = parse_value(opt, raw, origin)
        origins[opt.name] = origin
    settings = Settings(values, origins, cloud.name if cloud else None,
                        cloud.regions if cloud else ())
    check_settings(settings)
    return settings


def check_settings(settings: Settings) -> None:
    """Reject what can never work, before any request is made."""
    if settings.interface not in INTERFACES:
        raise ConfigError(f"unknown interface {settings.interface!r}: use one of "
                          f"{', '.join(INTERFACES)} (--os-interface or OS_INTERFACE)")
    if str(settings.identity_api_version).split(".")[0] != "3":
        raise ConfigError(f"Identity API v{settings.identity_api_version} is not supported: "
                          "imgcli speaks Identity v3 only (set OS_IDENTITY_API_VERSION=3)")
    if str(settings.image_api_version).split(".")[0] != "2":
        raise ConfigError(f"Image API v{settings.image_api_version} is not supported: "
                          "imgcli speaks Image v2 only (set OS_IMAGE_API_VERSION=2)")
    for name in ("auth_url", "endpoint"):
        check_url(settings, name)
    if settings.regions and settings.region_name and settings.region_name not in settings.regions:
        raise ConfigError(f"region {settings.region_name!r} is not in cloud "
                          f"{settings.cloud!r}; its regions: {', '.join(settings.regions)}")


def check_url(settings: Settings, name: str) -> None:
    """An auth URL or endpoint must be http(s)://HOST...: without a scheme, requests would
    fail later with a message about the catalog, not about the URL the user typed."""
    url = settings.values.get(name)
    if not url:
        return
    scheme, sep, rest = str(url).partition("://")
    where = settings.origins.get(name, name)
    if not sep or scheme.lower() not in ("http", "https") or not rest.strip("/"):
        example = URL_EXAMPLES[name]
        raise ConfigError(f"{where}: {url!r} is not an http:// or https:// URL; write it in "
                          f"full, e.g. {example}")
