"""pybackend-config: the starting configuration files a deployment from the wheel needs."""

import plaster
import pytest

from pybackend.scripts import config
from pybackend.server import with_http_port


def run(capsys, *args):
    assert config.main(["pybackend-config", *args]) == 0
    return capsys.readouterr().out


def test_production_ini_with_this_sites_address(capsys, tmp_path):
    out = run(
        capsys,
        "production",
        "--base-url",
        "https://guide.example/",
        "--allowed-hosts",
        "guide.example",
    )
    assert "pybackend.base_url = https://guide.example\n" in out
    assert "pybackend.allowed_hosts = guide.example\n" in out
    ini = tmp_path / "production.ini"
    ini.write_text(out)
    loader = plaster.get_loader(str(ini), protocols=["wsgi"])
    # Plain `pserve production.ini` listens on the default port; http_port=N on another.
    server = loader.get_settings("server:main")
    assert server["listen"] == "127.0.0.1:6543"
    assert with_http_port(server, {})["listen"] == "127.0.0.1:6543"
    assert with_http_port(server, {"http_port": "6544"})["listen"] == "127.0.0.1:6544"


@pytest.mark.parametrize(
    ("listen", "port"), [("127.0.0.1:6543", "x"), ("127.0.0.1:6543", "70000"), ("a:1 b:2", "6544")]
)
def test_http_port_needs_a_port_and_one_address(listen, port):
    with pytest.raises(SystemExit) as exc:
        with_http_port({"listen": listen}, {"http_port": port})
    assert "http_port" in str(exc.value)


def test_every_deploy_file_is_listed_and_printable(capsys):
    names = run(capsys, "--list").split()
    for name in (
        "production.ini",
        "nginx.conf",
        "pybackend-site.conf",
        "pybackend-upstreams.conf",
        "pybackend-proxy-cache.conf",
        "pybackend@.service",
        "pybackend.env.example",
    ):
        assert name in names
    assert "ExecStart=" in run(capsys, "pybackend@.service")


def test_the_site_needs_every_placeholder_and_gets_the_static_directory(capsys):
    with pytest.raises(SystemExit) as exc:
        config.main(["pybackend-config", "pybackend-site.conf", "--set", "SERVER_NAME=a.example"])
    assert "--set CERTIFICATE=..." in str(exc.value)
    assert "--set SERVER_NAME" not in str(exc.value)
    values = {
        "SERVER_NAME": "a.example",
        "HTTP_LISTEN": "80",
        "HTTPS_LISTEN": "443",
        "BASE_URL": "https://a.example",
        "CERTIFICATE": "/etc/ssl/a.pem",
        "CERTIFICATE_KEY": "/etc/ssl/a.key",
        "CONF_DIR": "/etc/nginx/pybackend",
        "CACHE_DIR": "/var/cache/nginx/pybackend",
    }
    out = run(capsys, "pybackend-site.conf", *(f"--set={k}={v}" for k, v in values.items()))
    body = [line for line in out.splitlines() if not line.lstrip().startswith("#")]
    assert not any("@" in line for line in body)
    assert f"alias {config.static_root()}/;" in out


@pytest.mark.parametrize("args", [["nonexistent"], ["production", "--set", "bad"]])
def test_mistakes_are_one_line(args):
    with pytest.raises(SystemExit) as exc:
        config.main(["pybackend-config", *args])
    assert str(exc.value).startswith("pybackend-config: ")
