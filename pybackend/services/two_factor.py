"""The second login factor: TOTP (RFC 6238, pyotp) and one-time recovery codes (AUTH-7).

A code counts as a login attempt: it is throttled by the same counts as passwords
(services/accounts.py), a wrong one is a failure on each of them, and the failures are
forgiven only when the code is right. A TOTP code works once (the step it was accepted
for is kept), and a recovery code is kept as its SHA-256 and works once.
"""

import hashlib
import hmac
import secrets

import pyotp
import segno
from sqlalchemy import delete, select

from ..models import RecoveryCode, TwoFactor
from . import accounts, audit, clock, site_settings

ISSUER = "pybackend"
RECOVERY_CODES = 10
# One step either side: a phone clock 30 s off still works; a code lives at most 90 s.
VALID_WINDOW = 1
# How long the password step stays good for entering the code.
PENDING_SECONDS = 300


class InvalidCode(ValueError):
    pass


def _hash(code):
    return hashlib.sha256(normalize(code).encode("ascii", "replace")).hexdigest()


def normalize(code):
    return "".join((code or "").split()).replace("-", "").lower()


def row(dbsession, user):
    return dbsession.get(TwoFactor, user.id)


def enabled(dbsession, user):
    return accounts.has_second_factor(dbsession, user)


def required(dbsession):
    return site_settings.get_flag(dbsession, site_settings.REQUIRE_2FA)


def start_enrolment(dbsession, user):
    """A new secret, not yet in force: the user must prove it with a code first."""
    current = row(dbsession, user)
    if current is not None and current.enabled_at is not None:
        raise InvalidCode("already enabled")
    if current is None:
        current = TwoFactor(user_id=user.id, secret=pyotp.random_base32(), last_step=0)
        dbsession.add(current)
        dbsession.flush()
    return current


def provisioning_uri(user, secret):
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(uri):
    """The QR code as inline SVG markup: no image request, no script, nothing for CSP to stop."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=4, dark="#000", light="#fff")


def _accept_totp(two_factor, code):
    """The step ``code`` is valid for, if later than the last one used, else None."""
    code = normalize(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(two_factor.secret)
    now = clock.now()
    step_now = totp.timecode(now)
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = step_now + offset
        if step > (two_factor.last_step or 0) and hmac.compare_digest(
            totp.generate_otp(step), code
        ):
            return step
    return None


def new_recovery_codes(dbsession, user):
    """Ten fresh codes (the old ones stop working); the plain codes are shown once."""
    dbsession.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)  # 40 bits each, and each works once
        codes.append(f"{raw[:5]}-{raw[5:]}")
        dbsession.add(RecoveryCode(user_id=user.id, code_hash=_hash(raw)))
    dbsession.flush()
    return codes


def confirm_enrolment(dbsession, user, code, client_addr=""):
    """Turn the factor on with a first right code; returns the recovery codes."""
    two_factor = row(dbsession, user)
    if two_factor is None or two_factor.enabled_at is not None:
        raise InvalidCode("no enrolment")
    step = _accept_totp(two_factor, code)
    if step is None:
        raise InvalidCode("wrong code")
    two_factor.last_step = step
    two_factor.enabled_at = clock.now()
    codes = new_recovery_codes(dbsession, user)
    audit.record(dbsession, "2fa.enable", user=user, obj=user, client_addr=client_addr)
    return codes


def disable(dbsession, user, client_addr="", action="2fa.disable", by_command_line=False):
    """Remove the factor and its recovery codes; True when there was one."""
    had = row(dbsession, user) is not None
    dbsession.execute(delete(TwoFactor).where(TwoFactor.user_id == user.id))
    dbsession.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    dbsession.flush()
    if had:
        audit.record(
            dbsession,
            action,
            user=None if by_command_line else user,
            username="(command line)" if by_command_line else "",
            obj=user,
            client_addr=client_addr,
            target=user.username,
        )
    return had


def remaining_recovery_codes(dbsession, user):
    return len(
        dbsession.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def verify_login(dbsession, user, code, client_addr):
    """True when ``code`` (TOTP or recovery) is right; throttled like a password.

    Raises accounts.Throttled before looking at the code when a count is over its limit.
    """
    try:
        accounts.check_throttle(dbsession, user.username, client_addr)
    except accounts.Throttled:
        audit.record(dbsession, "login.lockout", user=user, client_addr=client_addr)
        raise
    two_factor = row(dbsession, user)
    if two_factor is None or two_factor.enabled_at is None:
        return False
    step = _accept_totp(two_factor, code)
    how = "totp"
    if step is not None:
        two_factor.last_step = step
    else:
        recovery = dbsession.scalars(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _hash(code),
                RecoveryCode.used_at.is_(None),
            )
        ).first()
        if recovery is None or len(normalize(code)) != 10:
            accounts.record_failure(dbsession, user.username, client_addr, "login.2fa.failure")
            return False
        recovery.used_at = clock.now()
        dbsession.flush()
        how = "recovery"
        audit.record(
            dbsession,
            "2fa.recovery",
            user=user,
            obj=user,
            client_addr=client_addr,
            left=str(remaining_recovery_codes(dbsession, user)),
        )
    accounts.record_success(dbsession, user.username, client_addr)
    audit.record(dbsession, "login", user=user, client_addr=client_addr, factor=how)
    dbsession.flush()
    return True


def pending_token(user, expires):
    """What the signed cookie between the password and the code steps holds."""
    fingerprint = hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()[:16]
    return f"2fa-{user.id}-{int(expires)}-{fingerprint}"


def pending_user(dbsession, token):
    """The user a verified pending token names, while it is fresh and their password unchanged."""
    parts = (token or "").split("-")
    if len(parts) != 4 or parts[0] != "2fa" or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    if int(parts[2]) < clock.now().timestamp():
        return None
    from ..models import User

    user = dbsession.get(User, int(parts[1]))
    if user is None or not user.is_active or pending_token(user, int(parts[2])) != token:
        return None
    return user
