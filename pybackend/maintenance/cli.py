"""What pybackend-backup and pybackend-restore share: the ini, the database, the errors."""

import configparser
import os
import sys

from pyramid.paster import get_appsettings
from sqlalchemy.exc import SQLAlchemyError

from ..config import database_url
from . import MaintenanceError, UsageError


def database_from(config_uri):
    """The database URL of the ini's [app:main], or DATABASE_URL."""
    return database_url(settings_from(config_uri))


def image_dir_from(config_uri):
    """The ini's ``pybackend.image_dir`` (uploaded images), or None."""
    return settings_from(config_uri).get("pybackend.image_dir") or None


def settings_from(config_uri):
    if not os.path.exists(config_uri.split("#")[0]):
        raise UsageError(f"no such configuration file: {config_uri}")
    try:
        settings = get_appsettings(config_uri)
    except (configparser.Error, LookupError) as e:
        reason = " ".join(str(e).split())
        raise UsageError(f"cannot read the configuration {config_uri}: {reason}") from None
    return settings


def run(program, task):
    """Run ``task()``; any failure ends the program with one line on stderr, no traceback."""
    try:
        task()
    except MaintenanceError as e:
        _fail(program, e.exit_code, str(e))
    except KeyboardInterrupt:
        # A backup leaves no file then; a restore has committed only if it had finished.
        _fail(program, 130, "interrupted")
    except SQLAlchemyError as e:
        _fail(program, 1, f"cannot use the database: {getattr(e, 'orig', None) or e}")
    except OSError as e:
        _fail(program, 1, f"{e.strerror or e}{f': {e.filename}' if e.filename else ''}")


def _fail(program, code, message):
    print(f"{program}: {message}", file=sys.stderr)
    sys.exit(code)
