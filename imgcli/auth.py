"""Settings → a keystoneauth plugin: which plugin, fed with which settings. Nothing is sent.

keystoneauth does the work: the generic password plugin's version discovery is seed messages
(1)-(2) and its token request (3)-(4). A secret that is missing is asked for at a terminal.

Imports: imgcli.errors, imgcli.config and imgcli.terminal; keystoneauth1 when a plugin is built.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from imgcli.errors import ConfigError

if TYPE_CHECKING:
    from keystoneauth1.plugin import BaseAuthPlugin

    from imgcli.config import Settings

PASSWORD_TYPES = ("password", "v3password")
TOKEN_TYPES = ("token", "v3token")
APPCRED_TYPES = ("v3applicationcredential", "applicationcredential")
ENDPOINT_TYPES = ("token_endpoint", "admin_token", "none")
AUTH_TYPES = PASSWORD_TYPES + TOKEN_TYPES + APPCRED_TYPES + ENDPOINT_TYPES


def require(settings: Settings, *names: str, prompt: str | None = None) -> None:
    """Fail before any request when none of `names` is set; name the flags and variables.

    With `prompt`, a missing secret is asked for (no echo) when stdin is a terminal, as
    openstackclient does; never otherwise, so a script gets the one-line error instead of
    hanging. A secret's error names its variable and secure.yaml first: on the command line
    it is visible to every user of the machine (ps, /proc/PID/cmdline)."""
    from imgcli.config import BY_NAME

    if any(settings.values.get(name) for name in names):
        return
    first = BY_NAME[names[0]]
    what = first.name.replace("_", " ")
    asked = False
    if prompt is not None:
        from imgcli import terminal

        asked = terminal.is_terminal(sys.stdin)
        answer = terminal.ask_secret(prompt) if asked else None
        if answer:
            settings.values[first.name] = answer
            settings.origins[first.name] = "prompt"
            return
    if first.secret:
        missing = f"no {what} entered" if asked else f"missing {what}"
        raise ConfigError(f"{missing}: set {first.env[0]}, or auth.{first.name} in secure.yaml "
                          f"or clouds.yaml (with --os-cloud); {first.flags[0]} works too, but "
                          "other users of this machine can see it in ps")
    hints = " or ".join(f"{BY_NAME[n].flags[0]} ({BY_NAME[n].env[0]})" for n in names)
    raise ConfigError(f"missing {what}: set {hints}, "
                      "or choose a cloud from clouds.yaml with --os-cloud")


def v3_url(auth_url: str) -> str:
    """The v3-only plugins post to `{auth_url}/auth/tokens`: give them the v3 root."""
    url = auth_url.rstrip("/")
    return url if url.endswith("/v3") else url + "/v3"


def domain_defaults(settings: Settings) -> dict[str, str | None]:
    """openstackclient's rule: with no user or project domain, use --os-default-domain."""
    s, default = settings, settings.default_domain
    scoped_by_name = bool(s.project_name)
    return {
        "user_domain_name": s.user_domain_name,
        "user_domain_id": s.user_domain_id or (
            None if s.user_domain_name or s.user_id else default),
        "project_domain_name": s.project_domain_name,
        "project_domain_id": s.project_domain_id or (
            None if s.project_domain_name or not scoped_by_name else default),
    }


def build_auth(settings: Settings) -> BaseAuthPlugin:
    """The keystoneauth plugin for --os-auth-type; nothing is sent yet."""
    auth_type = settings.auth_type.lower()
    if auth_type not in AUTH_TYPES:
        raise ConfigError(f"unknown auth type {settings.auth_type!r}: use one of "
                          "password, v3password, v3applicationcredential, token, v3token")
    if settings.token and settings.endpoint and auth_type not in APPCRED_TYPES:
        auth_type = "token_endpoint"  # openstackclient's rule: token + endpoint skip Keystone
    if auth_type in ENDPOINT_TYPES:
        from keystoneauth1 import token_endpoint

        require(settings, "token")
        require(settings, "endpoint")
        return token_endpoint.Token(settings.endpoint, settings.token)

    require(settings, "auth_url")
    project = {"project_id": settings.project_id, "project_name": settings.project_name}
    if auth_type in APPCRED_TYPES:
        from keystoneauth1.identity import v3

        # Everything else first: a prompt must not be followed by another missing setting.
        require(settings, "application_credential_id", "application_credential_name")
        if not settings.application_credential_id:
            require(settings, "username", "user_id")
        credential = settings.application_credential_name or settings.application_credential_id
        require(settings, "application_credential_secret",
                prompt=f"Application credential secret for {credential}@{settings.auth_url}: ")
        return v3.ApplicationCredential(
            v3_url(settings.auth_url),
            application_credential_id=settings.application_credential_id,
            application_credential_name=settings.application_credential_name,
            application_credential_secret=settings.application_credential_secret,
            username=settings.username, user_id=settings.user_id,
            user_domain_name=settings.user_domain_name,
            user_domain_id=settings.user_domain_id or (
                None if settings.user_domain_name or settings.user_id
                else settings.default_domain))
    domains = domain_defaults(settings)
    if auth_type in TOKEN_TYPES:
        require(settings, "token")
        if auth_type == "v3token":
            from keystoneauth1.identity import v3

            return v3.Token(v3_url(settings.auth_url), settings.token, **project,
                            project_domain_id=domains["project_domain_id"],
                            project_domain_name=domains["project_domain_name"])
        from keystoneauth1.identity import generic

        return generic.Token(settings.auth_url, settings.token, **project,
                             project_domain_id=domains["project_domain_id"],
                             project_domain_name=domains["project_domain_name"])
    require(settings, "username", "user_id")
    require(settings, "password",
            prompt=f"Password for {settings.username or settings.user_id}@{settings.auth_url}: ")
    credentials: dict[str, Any] = {"username": settings.username, "user_id": settings.user_id,
                                   "password": settings.password, **project, **domains}
    if auth_type == "v3password":
        from keystoneauth1.identity import v3

        return v3.Password(v3_url(settings.auth_url), **credentials)
    from keystoneauth1.identity import generic

    return generic.Password(settings.auth_url, **credentials)
