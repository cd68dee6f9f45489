"""Two-factor login: enrolment, login with a code or a recovery code, throttling, the site
setting, and the command-line reset (AUTH-7)."""

import io
import re
from contextlib import redirect_stdout

import pyotp
import pytest
from sqlalchemy import select

from pybackend.models import AuditEntry, RecoveryCode, TwoFactor
from pybackend.scripts import users as users_script
from pybackend.services import accounts, clock, two_factor
from tests.functional.admin_helpers import PASSWORD, csrf, logged_in, make_user


def actions(dbsession, action):
    return dbsession.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def enrol(testapp, dbsession, user):
    """Enrol through the page; returns (secret, recovery codes)."""
    page = testapp.get("/admin/two-factor")
    page = testapp.post(
        "/admin/two-factor", {"csrf_token": csrf(page), "action": "start"}, status=303
    ).follow()
    assert page.html.select_one("figure.qr svg") is not None  # the QR code, inline SVG
    secret = page.html.select_one("code.secret").text.replace(" ", "")
    assert secret == dbsession.get(TwoFactor, user.id).secret
    res = testapp.post(
        "/admin/two-factor",
        {"csrf_token": csrf(page), "action": "confirm", "code": pyotp.TOTP(secret).now()},
    )
    codes = [li.text for li in res.html.select("ul.recovery-codes code")]
    assert len(codes) == two_factor.RECOVERY_CODES
    assert "no-store" in res.headers["Cache-Control"]
    return secret, codes


def password_step(testapp, username="ed", password=PASSWORD, status=303):
    page = testapp.get("/login")
    return testapp.post(
        "/login",
        {"username": username, "password": password, "csrf_token": csrf(page), "next": ""},
        status=status,
    )


def code_step(testapp, code, status=303):
    page = testapp.get("/login/code")
    return testapp.post("/login/code", {"csrf_token": csrf(page), "code": code}, status=status)


@pytest.fixture
def enrolled(testapp, dbsession):
    user = logged_in(testapp, dbsession)
    secret, codes = enrol(testapp, dbsession, user)
    page = testapp.get("/admin/")
    testapp.post("/logout", {"csrf_token": csrf(page)}, status=303)
    return user, secret, codes


def test_enrolment_writes_audit_and_stores_codes_hashed(testapp, dbsession):
    user = logged_in(testapp, dbsession)
    _secret, codes = enrol(testapp, dbsession, user)
    assert len(actions(dbsession, "2fa.enable")) == 1
    stored = dbsession.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10
    assert not {code.replace("-", "") for code in codes} & set(stored)


def test_wrong_code_at_enrolment_is_a_form_error(testapp, dbsession):
    logged_in(testapp, dbsession)
    page = testapp.get("/admin/two-factor")
    page = testapp.post(
        "/admin/two-factor", {"csrf_token": csrf(page), "action": "start"}, status=303
    ).follow()
    res = testapp.post(
        "/admin/two-factor",
        {"csrf_token": csrf(page), "action": "confirm", "code": "000000"},
        status=400,
    )
    assert "Kode salah" in res.text
    assert not actions(dbsession, "2fa.enable")


def test_csrf_is_required(testapp, dbsession):
    logged_in(testapp, dbsession)
    testapp.post("/admin/two-factor", {"action": "start"}, status=400)
    assert dbsession.scalars(select(TwoFactor)).first() is None


def test_login_needs_the_code_after_the_password(testapp, dbsession, enrolled):
    _user, secret, _codes = enrolled
    res = password_step(testapp)
    assert res.location.endswith("/login/code")
    assert "pybackend_session" not in testapp.cookies  # no session before the code
    testapp.get("/admin/", status=303)
    res = code_step(testapp, "123456", status=400)
    assert "Kode salah" in res.text
    # A fresh code for the next step (the one used at enrolment cannot be replayed).
    step = pyotp.TOTP(secret).timecode(clock.now()) + 1
    res = code_step(testapp, pyotp.TOTP(secret).generate_otp(step))
    assert res.location.endswith("/admin/")
    testapp.get("/admin/", status=200)


def test_a_code_works_once(testapp, dbsession, enrolled, monkeypatch):
    _user, secret, _codes = enrolled
    code = pyotp.TOTP(secret).generate_otp(pyotp.TOTP(secret).timecode(clock.now()) + 1)
    password_step(testapp)
    code_step(testapp, code)
    testapp.reset()
    password_step(testapp)
    code_step(testapp, code, status=400)


def test_recovery_code_works_once_and_is_audited(testapp, dbsession, enrolled):
    _user, _secret, codes = enrolled
    password_step(testapp)
    code_step(testapp, codes[0])
    assert len(actions(dbsession, "2fa.recovery")) == 1
    testapp.reset()
    password_step(testapp)
    code_step(testapp, codes[0], status=400)


def test_codes_are_throttled_like_passwords(testapp, dbsession, enrolled):
    _user, secret, _codes = enrolled
    password_step(testapp)
    for _ in range(accounts.USERNAME_LIMIT):
        code_step(testapp, "000000", status=400)
    # The right code is refused too, and a right password does not reset the count.
    right = pyotp.TOTP(secret).generate_otp(pyotp.TOTP(secret).timecode(clock.now()) + 1)
    code_step(testapp, right, status=429)
    testapp.reset()
    password_step(testapp, status=429)


def test_code_step_without_password_step_goes_back_to_login(testapp, dbsession, enrolled):
    res = testapp.get("/login/code", status=303)
    assert res.location.endswith("/login")
    testapp.set_cookie("pybackend_2fa", "2fa-1-99999999999-abcdef.forged")
    testapp.get("/login/code", status=303)


def test_disable_needs_the_password_and_is_audited(testapp, dbsession):
    user = logged_in(testapp, dbsession)
    enrol(testapp, dbsession, user)
    page = testapp.get("/admin/two-factor")
    testapp.post(
        "/admin/two-factor",
        {"csrf_token": csrf(page), "action": "disable", "current_password": "wrong one"},
        status=400,
    )
    assert two_factor.enabled(dbsession, user)
    testapp.post(
        "/admin/two-factor",
        {"csrf_token": csrf(page), "action": "disable", "current_password": PASSWORD},
        status=303,
    )
    assert not two_factor.enabled(dbsession, user)
    assert len(actions(dbsession, "2fa.disable")) == 1


def test_required_setting_sends_users_to_enrol(testapp, dbsession):
    admin = logged_in(testapp, dbsession, "boss", role="admin")
    page = testapp.get("/admin/users")
    testapp.post("/admin/settings/two-factor", {"require": "1"}, status=400)  # no CSRF
    testapp.post(
        "/admin/settings/two-factor", {"csrf_token": csrf(page), "require": "yes"}, status=400
    )
    testapp.post(
        "/admin/settings/two-factor", {"csrf_token": csrf(page), "require": "1"}, status=303
    )
    assert len(actions(dbsession, "settings.require_2fa")) == 1
    # Everyone without a factor, the administrator too, must enrol before anything else.
    res = testapp.get("/admin/topics", status=303)
    assert res.location.endswith("/admin/two-factor")
    enrol(testapp, dbsession, admin)
    testapp.get("/admin/topics", status=200)


def test_editors_cannot_change_the_setting(testapp, dbsession):
    logged_in(testapp, dbsession)
    page = testapp.get("/admin/two-factor")
    testapp.post(
        "/admin/settings/two-factor", {"csrf_token": csrf(page), "require": "1"}, status=403
    )


def test_reset_from_the_command_line(dbsession, enrolled, app_request):
    user, _secret, _codes = enrolled
    args = users_script.parse_args(["pybackend-user", "x.ini", "reset-2fa", user.username])
    out = io.StringIO()
    with redirect_stdout(out):
        users_script.run(args, app_request)
    assert "Second factor removed" in out.getvalue()
    assert not two_factor.enabled(dbsession, user)
    assert dbsession.scalars(select(RecoveryCode)).first() is None
    entry = actions(dbsession, "2fa.reset")[0]
    assert entry.username == "(command line)"
    with pytest.raises(accounts.AccountError, match="no second factor"):
        users_script.run(args, app_request)


def test_secret_is_shown_grouped(testapp, dbsession):
    make_user(dbsession, "other")
    logged_in(testapp, dbsession)
    page = testapp.get("/admin/two-factor")
    page = testapp.post(
        "/admin/two-factor", {"csrf_token": csrf(page), "action": "start"}, status=303
    ).follow()
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", page.html.select_one("code.secret").text)
