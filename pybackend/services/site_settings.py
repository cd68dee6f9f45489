"""Settings administrators change in the editors' area, one row per key."""

from sqlalchemy import select

from ..models import SiteSetting
from . import clock

REQUIRE_2FA = "require_2fa"
_READ = "pybackend.site_settings"  # dbsession.info: (transaction, {key: value})


def _values(dbsession):
    """Every setting, read once per transaction (a save asks three or four times).

    The identity map would answer a key that has a row, but not one that has none (the
    default), and most keys have none; one query for the few rows answers both.
    """
    transaction = dbsession.get_transaction()
    read = dbsession.info.get(_READ)
    if transaction is None or read is None or read[0] is not transaction:
        values = dict(dbsession.execute(select(SiteSetting.key, SiteSetting.value)).all())
        read = (dbsession.get_transaction(), values)
        dbsession.info[_READ] = read
    return read[1]


def get(dbsession, key, default=""):
    return _values(dbsession).get(key, default)


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
    _values(dbsession)[key] = value
