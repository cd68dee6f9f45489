"""Server-side sessions (SESS-1..3): a random token in the cookie, its hash in the database."""

import base64
import collections
import datetime as dt
import hashlib
import hmac
import secrets
import threading

from sqlalchemy import delete, select

from ..models import UserSession
from . import clock

COOKIE_NAME = "pybackend_session"
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


def remove_expired(dbsession):
    """Sessions past their idle or absolute timeout (they would be refused anyway)."""
    now = clock.now()
    dbsession.execute(
        delete(UserSession)
        .where(
            (UserSession.last_seen_at < now - IDLE_TIMEOUT)
            | (UserSession.created_at < now - ABSOLUTE_TIMEOUT)
        )
        # In SQL only: SQLite hands back naive times the session's objects cannot compare.
        .execution_options(synchronize_session="fetch")
    )


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


def cookie_values(header):
    """Every value the raw Cookie header gives our session cookie (browsers may send two)."""
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE_NAME:
            yield value.strip('"')


class CookieSigner:
    """Session cookies carry an HMAC of their token under ``pybackend.secret``.

    A cookie we did not sign is anonymous without a database round trip, so invented or
    foreign cookies are served from the cache like no cookie at all. Signed cookies whose
    session turned out dead (expired, logged out, purged) are remembered in a bounded set,
    so replaying one costs one lookup per process, not one per request.
    """

    DEAD_MAX = 10_000

    def __init__(self, secret):
        self._key = hmac.new(secret.encode("utf-8"), b"pybackend session cookie", "sha256").digest()
        self._dead = collections.OrderedDict()
        self._lock = threading.Lock()

    def _signature(self, token):
        digest = hmac.new(self._key, token.encode("ascii"), "sha256").digest()[:18]
        return base64.urlsafe_b64encode(digest).decode("ascii")

    def sign(self, token):
        return f"{token}.{self._signature(token)}"

    def verify(self, value):
        """The token inside a cookie value we signed, else None."""
        token, dot, signature = (value or "").rpartition(".")
        if not dot or not token or len(value) > 120 or not token.isascii():
            return None
        if not hmac.compare_digest(
            signature.encode("ascii", "replace"), self._signature(token).encode()
        ):
            return None
        return token

    def live(self, value):
        """Whether the cookie may name a live session (signed by us and not known dead)."""
        return self.verify(value) is not None and value not in self._dead

    def mark_dead(self, value):
        with self._lock:
            self._dead[value] = None
            self._dead.move_to_end(value)
            while len(self._dead) > self.DEAD_MAX:
                self._dead.popitem(last=False)
