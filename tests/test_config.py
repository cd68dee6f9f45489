"""production.ini refuses to start without what it needs, and says why (CFG-1, CFG-2)."""

import configparser
import os

import pytest

from pybackend import main
from pybackend.config import ConfigurationError, normalize_database_url

ROOT = os.path.dirname(os.path.dirname(__file__))
GOOD_SECRET = "s" * 48


def production_settings(**overrides):
    settings = {
        "pybackend.production": "true",
        "pyramid.reload_templates": "false",
        "pybackend.allowed_hosts": "localhost",
        "pybackend.secure_cookies": "true",
    }
    settings.update(overrides)
    return settings


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PYBACKEND_SECRET", raising=False)
    return monkeypatch


def test_refuses_to_start_without_a_database(clean_env):
    clean_env.setenv("PYBACKEND_SECRET", GOOD_SECRET)
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        main({}, **production_settings())


def test_refuses_to_start_without_a_secret(clean_env, tmp_path):
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    with pytest.raises(ConfigurationError, match="PYBACKEND_SECRET is not set"):
        main({}, **production_settings())


def test_refuses_a_short_secret(clean_env, tmp_path):
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    clean_env.setenv("PYBACKEND_SECRET", "short")
    with pytest.raises(ConfigurationError, match="too short"):
        main({}, **production_settings())


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("pyramid.includes", "pyramid_debugtoolbar", "debug toolbar"),
        ("pyramid.reload_templates", "true", "reload_templates"),
        ("pybackend.secure_cookies", "false", "secure_cookies"),
    ],
)
def test_refuses_unsafe_settings(clean_env, tmp_path, setting, value, message):
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    clean_env.setenv("PYBACKEND_SECRET", GOOD_SECRET)
    with pytest.raises(ConfigurationError, match=message):
        main({}, **production_settings(**{setting: value}))


def test_configuration_error_is_a_clean_exit_message():
    error = ConfigurationError("DATABASE_URL is not set")
    assert isinstance(error, SystemExit)
    assert str(error.code) == "pybackend: configuration error: DATABASE_URL is not set"


def test_starts_with_what_it_needs(clean_env, tmp_path):
    clean_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    clean_env.setenv("PYBACKEND_SECRET", GOOD_SECRET)
    assert callable(main({}, **production_settings()))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.sqlite", "sqlite:///x.sqlite"),
    ],
)
def test_database_url_forms(url, expected):
    assert normalize_database_url(url) == expected


def read_ini(name):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(ROOT, name))
    return parser


def test_production_ini_waitress_settings():
    server = read_ini("production.ini")["server:main"]
    assert server["listen"].startswith("127.0.0.1:")
    # The app judges forwarded headers (pybackend/proxies.py), from a list of proxies.
    assert "trusted_proxy" not in server
    assert int(server["queue_warning_interval"]) > 0
    assert server["ident"] == ""
    assert int(server["max_request_body_size"]) == 2 * 1024 * 1024
    assert int(server["channel_timeout"]) == 60
    assert server["expose_tracebacks"] == "false"
    app = read_ini("production.ini")["app:main"]
    assert app["pybackend.trusted_proxies"].split() == ["127.0.0.1", "::1"]
    assert app["pybackend.metrics_allow"].split() == ["127.0.0.1", "::1"]
    assert "sqlalchemy.url" not in app
    assert "pybackend.secret" not in app
    assert "pyramid_debugtoolbar" not in app.get("pyramid.includes", "")
