"""Accounts: creating users, passwords, roles, and logging in with throttling (AUTH-1..5)."""

import datetime as dt
import math
import re

from sqlalchemy import delete, func, select

from ..i18n import _
from ..models import LoginAttempt, TwoFactor, User
from ..models.user import ROLES, USERNAME_PATTERN
from . import audit, clock, passwords, sessions

# Failed logins allowed in the window before a lock, per username and per address.
# Failed logins allowed per window: for one username from one address; for one username
# from all addresses that never logged in as it (a distributed guess); and per address.
USERNAME_LIMIT = 5
STRANGERS_LIMIT = 50
ADDRESS_LIMIT = 20
WINDOW = dt.timedelta(minutes=15)
# An address a user logged in from stays "theirs" this long: strangers hammering the
# account cannot lock them out from it.
KNOWN_ADDRESS = dt.timedelta(days=30)


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


def _keys(username, client_addr):
    username = normalize_username(username)
    return {
        "pair": f"u:{username}@{client_addr}",
        "strangers": f"u:{username}",
        "address": f"ip:{client_addr}",
        "known": f"ok:{username}@{client_addr}",
    }


def _known_address(dbsession, keys):
    since = clock.now() - KNOWN_ADDRESS
    return _failures(dbsession, keys["known"], since) > 0


def check_throttle(dbsession, username, client_addr):
    """Raise Throttled before any hashing when a key is over its limit (AUTH-4).

    A user's own address (one they logged in from lately) is judged by its own failures
    only; the username's count over every other address locks out only strangers.
    """
    since = clock.now() - WINDOW
    keys = _keys(username, client_addr)
    limits = [(keys["pair"], USERNAME_LIMIT), (keys["address"], ADDRESS_LIMIT)]
    if not _known_address(dbsession, keys):
        limits.append((keys["strangers"], STRANGERS_LIMIT))
    for key, limit in limits:
        if _failures(dbsession, key, since) >= limit:
            raise Throttled(_retry_after(dbsession, key, since))


def remove_expired(dbsession):
    """Old login attempts and dead sessions go, so the tables stay bounded without cron."""
    now = clock.now()
    for old, kind in (
        (now - WINDOW, ~LoginAttempt.key.startswith("ok:")),
        (now - KNOWN_ADDRESS, LoginAttempt.key.startswith("ok:")),
    ):
        dbsession.execute(
            delete(LoginAttempt)
            .where(LoginAttempt.attempted_at < old, kind)
            .execution_options(synchronize_session="fetch")
        )
    sessions.remove_expired(dbsession)


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
        if has_second_factor(dbsession, user):
            # Not a login yet: failures are forgiven only once the code is right too, so
            # the password alone cannot reset the count that throttles code guesses.
            audit.record(dbsession, "login.password", user=user, client_addr=client_addr)
            return user
        record_success(dbsession, username, client_addr)
        audit.record(dbsession, "login", user=user, client_addr=client_addr)
        return user
    record_failure(dbsession, username, client_addr)
    return None


def has_second_factor(dbsession, user):
    row = dbsession.get(TwoFactor, user.id)
    return row is not None and row.enabled_at is not None


def record_success(dbsession, username, client_addr):
    """The address is now the user's own; its failures are forgiven (AUTH-4)."""
    keys = _keys(username, client_addr)
    dbsession.execute(delete(LoginAttempt).where(LoginAttempt.key == keys["pair"]))
    dbsession.execute(delete(LoginAttempt).where(LoginAttempt.key == keys["known"]))
    dbsession.add(LoginAttempt(key=keys["known"], attempted_at=clock.now(), success=True))
    remove_expired(dbsession)


def record_failure(dbsession, username, client_addr, action="login.failure"):
    """One failure on every count: a wrong password and a wrong second-factor code alike."""
    keys = _keys(username, client_addr)
    now = clock.now()
    dbsession.add_all(
        [
            LoginAttempt(key=keys["pair"], attempted_at=now),
            LoginAttempt(key=keys["strangers"], attempted_at=now),
            LoginAttempt(key=keys["address"], attempted_at=now),
        ]
    )
    audit.record(dbsession, action, username=normalize_username(username), client_addr=client_addr)
    dbsession.flush()
