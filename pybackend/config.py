"""Settings that come from the environment, and the checks that guard production."""

import os

from pyramid.settings import asbool, aslist

MIN_SECRET_BYTES = 32


class ConfigurationError(SystemExit):
    """Unsafe or missing settings.

    A SystemExit, so ``pserve`` and the console scripts stop with the message
    alone instead of a traceback.
    """

    def __init__(self, message):
        super().__init__(f"pybackend: configuration error: {message}")


def normalize_database_url(url):
    """Accept the usual ``postgresql://`` form and use psycopg 3 for it."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def database_url(settings):
    url = os.environ.get("DATABASE_URL") or settings.get("sqlalchemy.url")
    if not url:
        raise ConfigurationError(
            "no database configured: set DATABASE_URL "
            "(e.g. postgresql://user:password@localhost:5432/pybackend)"
        )
    return normalize_database_url(url)


def is_production(settings):
    return asbool(settings.get("pybackend.production", False))


def apply_environment(settings):
    """Fill settings from the environment and refuse unsafe production settings."""
    settings = dict(settings)
    settings["sqlalchemy.url"] = database_url(settings)
    if os.environ.get("PYBACKEND_SECRET"):
        settings["pybackend.secret"] = os.environ["PYBACKEND_SECRET"]
    settings["pybackend.allowed_hosts"] = aslist(settings.get("pybackend.allowed_hosts", ""))
    if is_production(settings):
        check_production(settings)
    return settings


def check_production(settings):
    if not os.environ.get("DATABASE_URL") and not settings.get("sqlalchemy.url"):
        raise ConfigurationError("DATABASE_URL is not set")
    secret = settings.get("pybackend.secret") or ""
    if not secret:
        raise ConfigurationError(
            "PYBACKEND_SECRET is not set; generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"PYBACKEND_SECRET is too short: at least {MIN_SECRET_BYTES} bytes are needed"
        )
    includes = aslist(settings.get("pyramid.includes", ""))
    if "pyramid_debugtoolbar" in includes:
        raise ConfigurationError(
            "the debug toolbar runs arbitrary code for its users; remove it from pyramid.includes"
        )
    if not asbool(settings.get("pybackend.secure_cookies", False)):
        raise ConfigurationError(
            "pybackend.secure_cookies must be true in production: session cookies over plain "
            "http can be stolen"
        )
    if asbool(settings.get("pyramid.reload_templates", False)):
        raise ConfigurationError("pyramid.reload_templates must be false in production")
