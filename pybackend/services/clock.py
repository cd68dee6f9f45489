"""The time, in one place, so that tests can move it (sessions, throttling)."""

import datetime as dt


def now():
    return dt.datetime.now(dt.UTC)


def aware(value):
    """SQLite hands back naive datetimes (or, from a raw cursor, ISO strings); everything
    we store is UTC."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value
