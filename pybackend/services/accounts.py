"""Accounts: creating users, passwords, roles, and logging in with throttling (AUTH-1..5)."""

import datetime as dt
import math
import re

from sqlalchemy import delete, func, select

from ..i18n import _
from ..models import LoginAttempt, User
from ..models.user import ROLES, USERNAME_PATTERN
from . import audit, clock, passwords, sessions

# Failed logins allowed in the window before a lock, per username and per address.
USERNAME_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = dt.timedelta(minutes=15)


class AccountError(ValueError):
    """A user-facing reason why an account operation was refused."""


class Throttled(Exception):
    def __init__(self, retry_after):
        super().__init__(retry_after)
        self.retry_after = retry_after


def normalize_username(username):
    return (username or "").strip().lower()


def get_user(dbsession, username):
    return dbsession.scalars(
        select(User).where(User.username == normalize_username(username))
    ).first()


def create_user(dbsession, username, password, role):
    username = normalize_username(username)
    if not re.match(USERNAME_PATTERN, username):
        raise AccountError(
            _("Nama pengguna: 2–50 huruf kecil, angka, titik, garis bawah atau tanda hubung.")
        )
    if role not in ROLES:
        raise AccountError(_("Peran tidak dikenal."))
    if get_user(dbsession, username) is not None:
        raise AccountError(_("Nama pengguna ini sudah dipakai."))
    errors = passwords.policy_errors(password, username)
    if errors:
        raise AccountError(errors[0])
    user = User(username=username, role=role, password_hash=passwords.hash_password(password))
    dbsession.add(user)
    dbsession.flush()
    return user


def set_password(dbsession, user, password, keep_session=None):
    errors = passwords.policy_errors(password, user.username)
    if errors:
        raise AccountError(errors[0])
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = clock.now()
    sessions.revoke_all(dbsession, user, keep=keep_session)
    dbsession.flush()


def set_role(dbsession, user, role):
    if role not in ROLES:
        raise AccountError(_("Peran tidak dikenal."))
    user.role = role
    dbsession.flush()


def set_disabled(dbsession, user, disabled):
    user.disabled_at = clock.now() if disabled else None
    if disabled:
        sessions.revoke_all(dbsession, user)
    dbsession.flush()


def _failures(dbsession, key, since):
    return dbsession.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.key == key, LoginAttempt.attempted_at >= since)
    )


def _retry_after(dbsession, key, since):
    oldest = dbsession.scalar(
        select(func.min(LoginAttempt.attempted_at)).where(
            LoginAttempt.key == key, LoginAttempt.attempted_at >= since
        )
    )
    wait = clock.aware(oldest) + WINDOW - clock.now()
    return max(1, math.ceil(wait.total_seconds()))


def check_throttle(dbsession, username, client_addr):
    """Raise Throttled before any hashing when either key is over its limit (AUTH-4)."""
    since = clock.now() - WINDOW
    for key, limit in (
        (f"u:{normalize_username(username)}", USERNAME_LIMIT),
        (f"ip:{client_addr}", ADDRESS_LIMIT),
    ):
        if _failures(dbsession, key, since) >= limit:
            raise Throttled(_retry_after(dbsession, key, since))


def authenticate(dbsession, username, password, client_addr):
    """The active user for these credentials, or None. Raises Throttled when locked."""
    username = normalize_username(username)
    try:
        check_throttle(dbsession, username, client_addr)
    except Throttled:
        audit.record(dbsession, "login.lockout", username=username, client_addr=client_addr)
        raise
    user = get_user(dbsession, username)
    if user is None:
        passwords.burn_time(password)
        ok = False
    else:
        ok, needs_rehash = passwords.verify_password(user.password_hash, password)
        if ok and needs_rehash:
            user.password_hash = passwords.hash_password(password)
    if ok and user.is_active:
        dbsession.execute(delete(LoginAttempt).where(LoginAttempt.key == f"u:{username}"))
        audit.record(dbsession, "login", user=user, client_addr=client_addr)
        return user
    now = clock.now()
    dbsession.add_all(
        [
            LoginAttempt(key=f"u:{username}", attempted_at=now),
            LoginAttempt(key=f"ip:{client_addr}", attempted_at=now),
        ]
    )
    audit.record(dbsession, "login.failure", username=username, client_addr=client_addr)
    dbsession.flush()
    return None
