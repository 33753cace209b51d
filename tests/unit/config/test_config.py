"""Settings: one precedence rule, clouds.yaml, auth types, TLS, and the errors of each."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from fakecloud.hostile import Home, reply
from tests.conftest import AUTH_URL, IMAGE_URL, PASSWORD, SEED_ENV, TOKEN

CLOUDS = """\
clouds:
  devstack:
    auth:
      auth_url: http://from-clouds-yaml/identity
      username: yaml-user
      password: {password}
      project_name: admin
    region_name: RegionOne
    interface: internal
  other:
    auth:
      auth_url: http://other/identity
"""


def settings_of(result) -> dict[str, tuple[str, str]]:
    assert result.code == 0, result.err
    return {row["Setting"]: (row["Value"], row["Source"]) for row in json.loads(result.out)}


@pytest.fixture
def clouds_yaml(tmp_path):
    path = tmp_path / "config" / "openstack" / "clouds.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(CLOUDS.format(password="yaml-" + PASSWORD))
    return path


def test_command_line_beats_environment_beats_clouds_yaml_beats_defaults(run, clouds_yaml):
    env = {"OS_CLOUD": "devstack", "OS_USERNAME": "env-user", "OS_INTERFACE": "admin"}
    result = run(["--os-interface", "public", "configuration", "show", "-f", "json"], env)
    shown = settings_of(result)
    assert shown["interface"] == ("public", "--os-interface")
    assert shown["username"] == ("env-user", "OS_USERNAME")
    assert shown["auth_url"] == ("http://from-clouds-yaml/identity", str(clouds_yaml))
    assert shown["region_name"] == ("RegionOne", str(clouds_yaml))
    assert shown["image_api_version"] == ("2", "default")
    assert shown["cloud"][0] == "devstack"


def test_secrets_are_redacted_in_configuration_show(run, clouds_yaml):
    result = run(["--os-cloud", "devstack", "configuration", "show", "-f", "json"], {})
    assert settings_of(result)["password"] == ("<redacted>", str(clouds_yaml))
    assert PASSWORD not in result.out


def test_secure_yaml_is_merged_over_clouds_yaml(run, clouds_yaml):
    (clouds_yaml.parent / "secure.yaml").write_text(
        "clouds:\n  devstack:\n    auth:\n      password: from-secure\n")
    shown = settings_of(run(["--os-cloud", "devstack", "configuration", "show", "-f", "json"],
                            {}))
    assert shown["password"] == ("<redacted>", str(clouds_yaml.parent / "secure.yaml"))
    assert shown["username"] == ("yaml-user", str(clouds_yaml))


def test_the_cloud_from_clouds_yaml_is_used_on_the_wire(seed_cloud, run, tmp_path):
    path = tmp_path / "clouds.yaml"
    path.write_text(f"clouds:\n  seed:\n    auth:\n      auth_url: {AUTH_URL}\n"
                    f"      username: admin\n      password: {PASSWORD}\n"
                    "      project_name: admin\n      user_domain_name: Default\n"
                    "      project_domain_name: Default\n")
    result = run(["image", "list", "--all"], {"OS_CLIENT_CONFIG_FILE": str(path)})
    assert result.code == 0, result.err
    assert len(result.out.splitlines()) == 7
    body = seed_cloud.mock.request_history[1].json()
    assert body["auth"]["identity"]["password"]["user"]["name"] == "admin"


@pytest.mark.parametrize("env, args, message", [
    ({}, ["image", "list"],
     "missing auth url: set --os-auth-url (OS_AUTH_URL), or choose a cloud from clouds.yaml "
     "with --os-cloud"),
    ({"OS_CLOUD": "nope"}, ["image", "list"], "nope"),
    ({**SEED_ENV, "OS_AUTH_TYPE": "kerberos"}, ["image", "list"], "unknown auth type 'kerberos'"),
    ({**SEED_ENV, "OS_IDENTITY_API_VERSION": "2.0"}, ["image", "list"],
     "Identity API v2.0 is not supported"),
    ({**SEED_ENV, "OS_INTERFACE": "private"}, ["image", "list"], "unknown interface 'private'"),
    ({**SEED_ENV, "OS_TIMEOUT": "soon"}, ["image", "list"], "is not a number of seconds"),
    ({**SEED_ENV, "OS_API_TIMEOUT": "-1"}, ["image", "list"], "more than 0 seconds"),
    ({**SEED_ENV}, ["--os-auth-url", "notaurl", "image", "list"],
     "--os-auth-url: 'notaurl' is not an http:// or https:// URL"),
    ({**SEED_ENV, "OS_AUTH_URL": "127.0.0.1:35000/identity"}, ["image", "list"],
     "OS_AUTH_URL: '127.0.0.1:35000/identity' is not an http:// or https:// URL"),
    ({**SEED_ENV}, ["--os-auth-url", "ftp://127.0.0.1/identity", "image", "list"],
     "'ftp://127.0.0.1/identity' is not an http:// or https:// URL"),
    ({**SEED_ENV, "OS_TOKEN": "t", "OS_ENDPOINT": "glance:9292"}, ["image", "list"],
     "OS_ENDPOINT: 'glance:9292' is not an http:// or https:// URL"),
])
def test_bad_configuration_is_one_line_and_exit_2(run, clouds_yaml, env, args, message,
                                                   requests_mock):
    result = run(args, env)
    assert requests_mock.request_history == []  # nothing sent
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_unknown_cloud_lists_the_known_ones(run, clouds_yaml):
    result = run(["--os-cloud", "prod", "image", "list"], {})
    assert result.code == 2
    assert "prod" in result.err and "devstack, other" in result.err


def test_malformed_clouds_yaml_names_the_file_and_line(run, clouds_yaml):
    clouds_yaml.write_text("clouds:\n  devstack:\n    auth: [\n  password: x\n")
    result = run(["--os-cloud", "devstack", "image", "list"], {})
    assert result.code == 2
    assert str(clouds_yaml) in result.err and "line " in result.err


def test_region_not_in_the_cloud(run, clouds_yaml):
    result = run(["--os-cloud", "devstack", "--os-region-name", "Mars", "image", "list"], {})
    assert result.code == 2
    assert "'Mars'" in result.err and "RegionOne" in result.err


# --- auth types -------------------------------------------------------------------------

def auth_body(cloud) -> dict:
    (post,) = [r for r in cloud.mock.request_history if r.method == "POST"]
    return post.json()["auth"]


def test_v3password_skips_discovery(seed_cloud, run):
    result = run(["--os-auth-type", "v3password", "image", "list"])
    assert result.code == 0, result.err
    assert seed_cloud.urls[0] == f"POST {AUTH_URL}/v3/auth/tokens"
    assert auth_body(seed_cloud)["identity"]["methods"] == ["password"]


def test_application_credential_by_id(seed_cloud, run):
    env = {"OS_AUTH_URL": AUTH_URL, "OS_AUTH_TYPE": "v3applicationcredential",
           "OS_APPLICATION_CREDENTIAL_ID": "ac-id", "OS_APPLICATION_CREDENTIAL_SECRET": PASSWORD}
    result = run(["image", "list"], env)
    assert result.code == 0, result.err
    body = auth_body(seed_cloud)["identity"]
    assert body["methods"] == ["application_credential"]
    assert body["application_credential"] == {"id": "ac-id", "secret": PASSWORD}


def test_application_credential_by_name_needs_a_user(run):
    env = {"OS_AUTH_URL": AUTH_URL, "OS_AUTH_TYPE": "v3applicationcredential",
           "OS_APPLICATION_CREDENTIAL_NAME": "ci", "OS_APPLICATION_CREDENTIAL_SECRET": PASSWORD}
    result = run(["image", "list"], env)
    assert result.code == 2 and "OS_USERNAME" in result.err


def test_rejected_application_credential_is_an_auth_error(seed_cloud, run):
    seed_cloud.mock.post(AUTH_URL + "/v3/auth/tokens", status_code=401,
                         json={"error": {"code": 401, "message": "Invalid application "
                                                                 "credential"}})
    env = {"OS_AUTH_URL": AUTH_URL, "OS_AUTH_TYPE": "v3applicationcredential",
           "OS_APPLICATION_CREDENTIAL_ID": "ac-id", "OS_APPLICATION_CREDENTIAL_SECRET": PASSWORD}
    result = run(["image", "list"], env)
    assert result.code == 3 and "authentication failed" in result.err
    assert PASSWORD not in result.err


@pytest.mark.parametrize("auth_type, first", [("token", "GET"), ("v3token", "POST")])
def test_token_auth(seed_cloud, run, auth_type, first):
    env = {"OS_AUTH_URL": AUTH_URL, "OS_AUTH_TYPE": auth_type, "OS_TOKEN": "an-old-token",
           "OS_PROJECT_NAME": "admin", "OS_PROJECT_DOMAIN_NAME": "Default"}
    result = run(["image", "list"], env)
    assert result.code == 0, result.err
    assert seed_cloud.urls[0].startswith(first)
    assert auth_body(seed_cloud)["identity"]["token"] == {"id": "an-old-token"}


def test_token_and_endpoint_skip_keystone_entirely(seed_cloud, run):
    result = run(["--os-token", TOKEN, "--os-endpoint", IMAGE_URL, "image", "list", "--all"], {})
    assert result.code == 0, result.err
    assert [r.url.split("?")[0] for r in seed_cloud.mock.request_history] == [
        IMAGE_URL + "/v2/images"]
    assert seed_cloud.mock.request_history[0].headers["X-Auth-Token"] == TOKEN


def test_default_domain_fills_missing_domains(seed_cloud, run):
    env = {k: v for k, v in SEED_ENV.items() if "DOMAIN" not in k}
    assert run(["image", "list"], env).code == 0
    user = auth_body(seed_cloud)["identity"]["password"]["user"]
    assert user["domain"] == {"id": "default"}
    assert auth_body(seed_cloud)["scope"]["project"]["domain"] == {"id": "default"}


# --- TLS --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def https_glance(tmp_path_factory):
    """A Glance stand-in on 127.0.0.1 with a certificate made for this test."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make the test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)

    body = json.dumps({"images": [{"id": "i1", "name": "tls-image", "status": "active"}]})
    with Home(routes={("GET", "/image/v2/images"): reply(200, body.encode())},
              tls=(cert, key)) as home:
        yield f"{home.url}/image", cert


def tls_run(run, endpoint, *flags):
    return run(["--os-token", "t", "--os-endpoint", endpoint, *flags, "image", "list", "-f",
                "value", "-c", "Name"], {})


def test_tls_with_the_ca_bundle(run, https_glance):
    endpoint, cert = https_glance
    result = tls_run(run, endpoint, "--os-cacert", str(cert))
    assert result.code == 0, result.err
    assert result.out == "tls-image\n"


def test_tls_verify_failure_says_to_use_os_cacert(run, https_glance):
    endpoint, _ = https_glance
    result = tls_run(run, endpoint)
    assert result.code == 2
    assert "TLS certificate verification failed" in result.err and "--os-cacert" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_insecure_skips_verification(run, https_glance, recwarn):
    endpoint, _ = https_glance
    result = tls_run(run, endpoint, "--insecure")
    assert result.out == "tls-image\n"
    assert result.err == "TLS certificates are not verified (--insecure / OS_INSECURE)\n"
    assert not [w for w in recwarn if "Unverified HTTPS" in str(w.message)]
    assert run(["--os-token", "t", "--os-endpoint", endpoint, "image", "list"],
               {"OS_INSECURE": "true"}).code == 0


@pytest.mark.parametrize("line, insecure, cacert", [
    ("verify: false", "True", None),
    ("verify: true", "False", None),
    ("verify: /etc/ssl/my-ca.pem", "False", "/etc/ssl/my-ca.pem"),
    ("insecure: true", "True", None),
])
def test_verify_in_clouds_yaml(run, tmp_path, line, insecure, cacert):
    path = tmp_path / "clouds.yaml"
    path.write_text(f"clouds:\n  c:\n    auth:\n      auth_url: http://x/identity\n    {line}\n")
    shown = settings_of(run(["configuration", "show", "-f", "json"],
                            {"OS_CLIENT_CONFIG_FILE": str(path)}))
    assert shown["insecure"][0] == insecure
    assert shown.get("cacert", (None,))[0] == cacert
