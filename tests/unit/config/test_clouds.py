"""clouds.yaml / secure.yaml discovery and parsing, checked against openstacksdk's rules."""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import pytest

from imgcli import clouds
from imgcli.clouds import find_config_files, load_cloud
from imgcli.errors import ConfigError
from tests.unit.nobody import as_nobody

SECRET = "s3cr3t-Pa55w0rd"


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake filesystem: cwd, home, XDG dirs and /etc all under tmp_path."""
    for name in ("cwd", "home", "xdg", "xdgdirs", "etc"):
        (tmp_path / name).mkdir()
    monkeypatch.setattr(clouds, "SITE_DIRS", (str(tmp_path / "etc" / "openstack"),))
    return tmp_path


@pytest.fixture
def env(root: Path) -> dict[str, str]:
    return {
        "HOME": str(root / "home"),
        "XDG_CONFIG_HOME": str(root / "xdg"),
        "XDG_CONFIG_DIRS": str(root / "xdgdirs"),
    }


# Where each search location puts its files, relative to the fake root.
LOCATIONS = {
    "cwd": "cwd",
    "xdg": "xdg/openstack",
    "home": "home/.config/openstack",
    "xdgdirs": "xdgdirs/openstack",
    "etc": "etc/openstack",
}


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text))
    return path


def load(root: Path, env: dict[str, str], text: str, name: str | None = "c", **kw):
    write(root / "cwd" / "clouds.yaml", text)
    return load_cloud(name, env, cwd=str(root / "cwd"), **kw)


@pytest.mark.parametrize(
    "present, winner",
    [
        (["cwd", "xdg", "home", "xdgdirs", "etc"], "cwd"),
        (["xdg", "home", "xdgdirs", "etc"], "xdg"),
        (["home", "xdgdirs", "etc"], "home"),
        (["xdgdirs", "etc"], "xdgdirs"),
        (["etc"], "etc"),
        ([], None),
    ],
)
def test_search_order(root, env, present, winner):
    for where in present:
        write(root / LOCATIONS[where] / "clouds.yaml", "clouds: {}\n")
        write(root / LOCATIONS[where] / "secure.yaml", "clouds: {}\n")
    found = find_config_files(env, cwd=str(root / "cwd"))
    expected = root / LOCATIONS[winner] if winner else None
    names = ("clouds.yaml", "secure.yaml")
    assert found == tuple(expected / name if expected else None for name in names)


@pytest.mark.parametrize(
    "names, winner",
    [
        (["clouds.yaml"], "clouds.yaml"),
        (["clouds.yml"], "clouds.yml"),
        (["clouds.json"], "clouds.json"),
        (["clouds.json", "clouds.yml", "clouds.yaml"], "clouds.yaml"),
        (["clouds.json", "clouds.yml"], "clouds.yml"),
    ],
)
def test_file_names_and_their_order(root, env, names, winner):
    for name in names:
        write(root / "xdg/openstack" / name, "{}")
    assert find_config_files(env, str(root / "cwd"))[0] == root / "xdg/openstack" / winner


@pytest.mark.parametrize(
    "changes, present, winner",
    [
        ({"XDG_CONFIG_HOME": "relative/dir"}, ["home", "etc"], "home"),  # XDG: ignore relative
        ({"XDG_CONFIG_HOME": None}, ["home", "etc"], "home"),
        # ~/.config/openstack is searched even when XDG_CONFIG_HOME points elsewhere (sdk)
        ({}, ["home", "xdgdirs"], "home"),
        # several entries: platformdirs joins them with ":", a path that never exists
        ({"XDG_CONFIG_DIRS": "{root}/xdgdirs:{root}/etc"}, ["xdgdirs", "etc"], "etc"),
    ],
)
def test_xdg_variables(root, env, changes, present, winner):
    for where in present:
        write(root / LOCATIONS[where] / "clouds.yaml", "{}")
    changes = {k: v and v.format(root=root) for k, v in changes.items()}
    env = {k: v for k, v in {**env, **changes}.items() if v is not None}
    assert find_config_files(env, str(root / "cwd"))[0] == root / LOCATIONS[winner] / "clouds.yaml"


def test_env_files_come_before_the_search(root, env):
    write(root / "cwd" / "clouds.yaml", "clouds: {a: {region_name: search}}")
    write(root / "cwd" / "secure.yaml", "clouds: {a: {region_name: search-secure}}")
    write(root / "elsewhere" / "mine.yaml", "clouds: {a: {region_name: env}}")
    write(root / "cwd" / "sec.json", '{"clouds": {"a": {"auth": {"password": "p"}}}}')
    env |= {"OS_CLIENT_CONFIG_FILE": str(root / "elsewhere" / "mine.yaml")}
    env |= {"OS_CLIENT_SECURE_FILE": "sec.json"}  # relative: to the current directory
    files = find_config_files(env, str(root / "cwd"))
    assert files == (root / "elsewhere" / "mine.yaml", root / "cwd" / "sec.json")
    cloud = load_cloud("a", env, str(root / "cwd"))
    assert cloud and cloud.settings == {"region_name": "env", "password": "p"}


@pytest.mark.parametrize("var", ["OS_CLIENT_CONFIG_FILE", "OS_CLIENT_SECURE_FILE"])
def test_env_file_that_does_not_exist(root, env, var):
    write(root / "cwd" / "clouds.yaml", "clouds: {}")
    with pytest.raises(ConfigError, match=f"{var} names .*/missing.yaml, which does not exist"):
        find_config_files(env | {var: str(root / "missing.yaml")}, str(root / "cwd"))


def test_secure_file_is_deep_merged(root, env):
    secure = f"""
        clouds:
          c:
            region_name: from-secure
            auth: {{password: {SECRET}}}
          only-secure: {{auth: {{auth_url: http://s}}}}
    """
    write(root / "xdg/openstack/secure.yaml", secure)
    text = """
        clouds:
          c:
            region_name: from-clouds
            interface: internal
            auth: {auth_url: http://k, username: u}
    """
    cloud = load(root, env, text)
    clouds_path = str(root / "cwd/clouds.yaml")
    secure_path = str(root / "xdg/openstack/secure.yaml")
    assert cloud is not None
    assert cloud.settings == {
        "auth_url": "http://k", "username": "u", "password": SECRET,
        "region_name": "from-secure", "interface": "internal",
    }  # fmt: skip
    assert cloud.sources == {
        "auth_url": clouds_path, "username": clouds_path, "password": secure_path,
        "region_name": secure_path, "interface": clouds_path, "regions": secure_path,
    }  # fmt: skip
    assert load_cloud("only-secure", env, str(root / "cwd")).settings == {"auth_url": "http://s"}


@pytest.mark.parametrize(
    "text, extra_env, expected",
    [
        ("clouds: {solo: {region_name: R}}", {}, "solo"),
        ("clouds: {solo: {region_name: R}}", {"OS_CLOUD": "", "OS_REGION_NAME": "x"}, "solo"),
        ("clouds: {solo: {region_name: R}}", {"OS_TEST_PATH": "x", "OS_LOG_CAPTURE": "1"}, "solo"),
        # any other OS_* variable makes openstacksdk prefer its "envvars" cloud
        ("clouds: {solo: {region_name: R}}", {"OS_AUTH_URL": "http://e"}, None),
        ("clouds: {a: {}, b: {}}", {}, None),
        ("clouds: {}", {}, None),
        ("", {}, None),  # an empty file
        ("other: 1", {}, None),  # no clouds key
    ],
)
def test_default_cloud(root, env, text, extra_env, expected):
    cloud = load(root, env | extra_env, text, name=None)
    assert (cloud.name if cloud else None) == expected


def test_no_files_no_name_is_none(root, env):
    assert load_cloud(None, env, str(root / "cwd")) is None


def test_unknown_cloud_lists_known_ones(root, env):
    with pytest.raises(ConfigError) as err:
        load(root, env, "clouds: {zeta: {}, alpha: {}, mid: {}}", name="nope")
    path = root / "cwd/clouds.yaml"
    assert str(err.value) == f"cloud 'nope' not found in {path}; known clouds: alpha, mid, zeta"


def test_unknown_cloud_without_any_file(root, env):
    with pytest.raises(ConfigError, match="cloud 'nope' not found: no clouds.yaml found in ") as e:
        load_cloud("nope", env, str(root / "cwd"))
    for where in ("cwd", "xdg/openstack", "home/.config/openstack", "etc/openstack"):
        assert str(root / where) in str(e.value)


@pytest.mark.parametrize(
    "entry, expected",
    [
        ("{auth: {tenant_name: t, tenant_id: '1'}}", {"project_name": "t", "project_id": "1"}),
        ("{auth: {tenant_name: t, project_name: p}}", {"project_name": "p"}),
        ("{endpoint_type: internal}", {"interface": "internal"}),
        ("{endpoint_type: internal, interface: admin}", {"interface": "internal"}),
        ("{auth_plugin: v3token, auth: {auth_token: t}}", {"auth_type": "v3token", "token": "t"}),
        # dashes are underscores, at the top and in auth
        ("{region-name: R, identity-api-version: 3, auth: {user-domain-name: D, project-name: p}}",
         {"region_name": "R", "identity_api_version": "3", "user_domain_name": "D",
          "project_name": "p"}),
        # a top-level auth value beats the auth: one (osc-lib); empty values are unset
        ("{username: top, auth: {username: inner, password: ''}}", {"username": "top"}),
        # numbers become strings, except api_timeout
        ("{image_api_version: 2.1, api_timeout: 30, auth: {password: 1234}}",
         {"image_api_version": "2.1", "api_timeout": 30, "password": "1234"}),
        ("{api_timeout: 1.5, networks: [], image_endpoint_override: x}", {"api_timeout": 1.5}),
    ],
)  # fmt: skip
def test_keys_aliases_and_values(root, env, entry, expected):
    cloud = load(root, env, f"clouds: {{c: {entry}}}")
    assert cloud is not None and cloud.settings == expected


@pytest.mark.parametrize(
    "auth, expected",
    [
        ("{project_name: p, domain_id: D}",
         {"project_name": "p", "user_domain_id": "D", "project_domain_id": "D"}),
        ("{project_id: p, domain_name: D, user_domain_name: U}",
         {"project_id": "p", "user_domain_name": "U", "project_domain_name": "D"}),
        ("{domain_id: D}", {"domain_id": "D"}),  # not project-scoped: it is the scope
    ],
)  # fmt: skip
def test_domain_fill_in(root, env, auth, expected):
    assert load(root, env, f"clouds: {{c: {{auth: {auth}}}}}").settings == expected


@pytest.mark.parametrize(
    "entry, region_name, regions",
    [
        ("{regions: [r1, r2]}", "r1", ("r1", "r2")),
        ("{regions: [{name: r1, values: {}}, r2]}", "r1", ("r1", "r2")),
        ("{regions: [only]}", "only", ("only",)),
        ("{regions: [r1, r2], region_name: r2}", "r1", ("r1", "r2")),  # sdk: first region wins
        ("{region_name: R}", "R", ("R",)),
        ("{region_name: 'a,b'}", "a", ("a", "b")),
        ("{region_name: [x, y]}", "x", ("x", "y")),
        ("{regions: [], region_name: R}", None, ()),
        ("{}", None, ()),
    ],
)
def test_regions(root, env, entry, region_name, regions):
    cloud = load(root, env, f"clouds: {{c: {entry}}}")
    assert (cloud.settings.get("region_name"), cloud.regions) == (region_name, regions)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("true", True), ("'True'", True), ("'yes'", True), ("'1'", True), ("1", True),
        ("false", False), ("'FALSE'", False), ("'No'", False), ("'0'", False), ("0", False),
        ("/etc/ssl/ca.pem", "/etc/ssl/ca.pem"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("key", ["verify", "insecure"])
def test_booleans(root, env, key, value, expected):
    assert load(root, env, f"clouds: {{c: {{{key}: {value}}}}}").settings == {key: expected}


def test_json_is_read_as_json(root, env):
    write(root / "cwd/clouds.json", '{\n\t"clouds": {"c": {"auth": {"username": "u"}}}\n}\n')
    assert load_cloud("c", env, str(root / "cwd")).settings == {"username": "u"}


def test_first_file_wins_even_when_empty(root, env):
    write(root / "home/.config/openstack/clouds.yaml", "clouds: {c: {}}")
    with pytest.raises(ConfigError, match="known clouds: none"):
        load(root, env, "")


@pytest.mark.parametrize("key", ["profile", "cloud"])
def test_vendor_profiles_are_refused(root, env, key):
    with pytest.raises(ConfigError, match="vendor profile 'rax': vendor profiles are not supp"):
        load(root, env, f"clouds: {{c: {{{key}: rax}}}}")


P = f"password: {SECRET}"
MALFORMED = [
    (f"clouds:\n  c:\n    auth:\n     {P}: x\n", "clouds.yaml is not valid YAML: {path} line 4,"
     " column 31: mapping values are not allowed here"),
    (f"clouds:\n  c: {{auth: {{{P}}}\n  d: [\n",
     "is not valid YAML: {path} line 3, column 3: expected ',' or '}}', but got '<scalar>'"),
    (f"- {P}\n", "clouds.yaml {path}: the top level must be a mapping, not list"),
    (f"clouds: [{P}]\n", "clouds.yaml {path}: 'clouds' must be a mapping, not list"),
    (f"clouds: {{c: '{P}'}}\n", "clouds.yaml {path}: cloud 'c' must be a mapping, not string"),
    ("clouds: {c: }\n", "clouds.yaml {path}: cloud 'c' must be a mapping, not nothing"),
    (f"clouds: {{c: {{auth: ['{P}']}}}}\n",
     "clouds.yaml {path}, cloud 'c': 'auth' must be a mapping, not list"),
    (f"clouds: {{c: {{regions: r1, auth: {{{P}}}}}}}\n",
     "cloud 'c' in {path}: 'regions' must be a list, not string"),
    (f"clouds: {{c: {{regions: [{{name: r, {P}}}]}}}}\n",
     "cloud 'c' in {path}: regions entry 1 must have a 'name' and nothing else but 'values'"),
    (b"clouds: {c: {auth: {password: s3cr3t-Pa55w0rd\x80}}}\n",
     "clouds.yaml is not valid YAML: {path}: invalid start byte"),
]  # fmt: skip


@pytest.mark.parametrize("text, message", MALFORMED)
def test_malformed_files(root, env, text, message):
    path = write(root / "cwd/clouds.yaml", text)
    with pytest.raises(ConfigError) as err:
        load_cloud("c", env, str(root / "cwd"))
    assert message.format(path=path) in str(err.value)
    assert SECRET not in str(err.value) and "\n" not in str(err.value)


def test_malformed_json_names_line_and_column(root, env):
    path = write(root / "cwd/clouds.json", f'{{"clouds": {{"c": {{"password": "{SECRET}" }}\n}}')
    with pytest.raises(ConfigError) as err:
        load_cloud("c", env, str(root / "cwd"))
    assert str(err.value) == (
        f"clouds.yaml is not valid JSON: {path} line 2, column 2: Expecting ',' delimiter"
    )


def test_malformed_secure_file_is_named(root, env):
    path = write(root / "cwd/secure.yaml", f"clouds: {{c: {{auth: {{{P}}}}}\n")
    with pytest.raises(ConfigError, match=f"secure.yaml is not valid YAML: {path} line 2"):
        load(root, env, "clouds: {c: {}}")


def test_unreadable_path(root, env):
    (root / "cwd/clouds.yaml").mkdir()  # exists, so it wins the search, but can't be read
    with pytest.raises(ConfigError, match=r"cannot read clouds.yaml .*/cwd/clouds.yaml: Is a dir"):
        load_cloud("c", env, str(root / "cwd"))


def test_permission_denied(env):
    # A folder that `nobody` may enter (pytest's own are 0700) holding a file no one may read.
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        cwd.chmod(0o755)
        path = write(cwd / "clouds.yaml", "clouds: {c: {}}")
        path.chmod(0)

        def check() -> None:
            with pytest.raises(ConfigError,
                               match=f"cannot read clouds.yaml {path}: Permission denied"):
                load_cloud("c", env, str(cwd))

        if os.geteuid() == 0:
            assert as_nobody(check) == ""
        else:
            check()
