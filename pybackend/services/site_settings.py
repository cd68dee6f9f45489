"""Settings administrators change in the editors' area, one row per key."""

from ..models import SiteSetting
from . import clock

REQUIRE_2FA = "require_2fa"


def get(dbsession, key, default=""):
    row = dbsession.get(SiteSetting, key)
    return default if row is None else row.value


def get_flag(dbsession, key):
    return get(dbsession, key) == "1"


def set(dbsession, key, value):  # noqa: A001 - the module is used as site_settings.set
    row = dbsession.get(SiteSetting, key)
    if row is None:
        row = SiteSetting(key=key, value=value)
        dbsession.add(row)
    row.value = value
    row.updated_at = clock.now()
    dbsession.flush()
