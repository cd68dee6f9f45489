"""Server-side sessions (SESS-1..3): a random token in the cookie, its hash in the database."""

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select

from ..models import UserSession
from . import clock

IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)
# last_seen_at is written at most this often, not on every request.
TOUCH_INTERVAL = dt.timedelta(minutes=1)


def token_hash(token):
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def create(dbsession, user=None):
    """A new session; returns (row, token). The token goes in the cookie only."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    row = UserSession(
        token_hash=token_hash(token),
        user=user,
        csrf_token=new_csrf_token(),
        created_at=now,
        last_seen_at=now,
    )
    dbsession.add(row)
    dbsession.flush()
    return row, token


def load(dbsession, token):
    """The live session for ``token``, or None; an expired one is deleted."""
    if not token or len(token) > 100:
        return None
    row = dbsession.scalars(
        select(UserSession).where(UserSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    now = clock.now()
    if (
        now - clock.aware(row.last_seen_at) > IDLE_TIMEOUT
        or now - clock.aware(row.created_at) > ABSOLUTE_TIMEOUT
        or (row.user is not None and not row.user.is_active)
    ):
        dbsession.delete(row)
        dbsession.flush()
        return None
    if now - clock.aware(row.last_seen_at) > TOUCH_INTERVAL:
        row.last_seen_at = now
    return row


def revoke(dbsession, row):
    dbsession.delete(row)
    dbsession.flush()


def revoke_all(dbsession, user, keep=None):
    """End every session of ``user`` (password change, disabling), except ``keep``."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    dbsession.execute(stmt)


def new_csrf_token():
    return secrets.token_urlsafe(32)
