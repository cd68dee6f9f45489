"""Logging in and out: sessions, CSRF, throttling, safe redirects (AUTH-*, SESS-*, CSRF-*)."""

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from pybackend.models import AuditEntry, LoginAttempt, UserSession
from pybackend.services import accounts, clock, sessions
from pybackend.services.cache import SESSION_COOKIE

PASSWORD = "correct horse battery staple"


@pytest.fixture
def editor(dbsession):
    return accounts.create_user(dbsession, "editor1", PASSWORD, "editor")


def csrf_of(res):
    return res.html.find("input", attrs={"name": "csrf_token"})["value"]


def login(testapp, username="editor1", password=PASSWORD, next_="", status=303, **extra):
    page = testapp.get("/login" + (f"?next={next_}" if next_ else ""))
    form = {"username": username, "password": password, "csrf_token": csrf_of(page)}
    form["next"] = page.html.find("input", attrs={"name": "next"})["value"]
    form.update(extra)
    return testapp.post("/login", form, status=status)


def count(dbsession, model, *where):
    return dbsession.scalar(select(func.count()).select_from(model).where(*where))


def test_login_and_logout(testapp, dbsession, editor):
    res = login(testapp)
    assert res.location.endswith("/admin/")
    page = testapp.get("/admin/topics")
    assert "editor1" in page.text
    res = testapp.post("/logout", {"csrf_token": csrf_of(page)}, status=303)
    assert testapp.get("/admin/topics", status=303).location.startswith("http://example.com/login")
    actions = [e.action for e in dbsession.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-2:] == ["login", "logout"]


def test_session_cookie_is_random_httponly_lax_and_stored_hashed(testapp, dbsession, editor):
    res = login(testapp)
    cookie = next(h for n, h in res.headerlist if n == "Set-Cookie" and SESSION_COOKIE in h)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Domain" not in cookie
    value = re.search(rf"{SESSION_COOKIE}=([^;]+)", cookie).group(1)
    # The random token, then its signature under pybackend.secret.
    token, _, signature = value.rpartition(".")
    assert len(token) >= 40 and len(signature) >= 20
    stored = dbsession.scalars(select(UserSession.token_hash)).all()
    assert value not in stored and token not in stored and sessions.token_hash(token) in stored
    # A token whose signature does not match is never looked up: it is anonymous.
    testapp.set_cookie(SESSION_COOKIE, token + "." + "A" * len(signature))
    assert testapp.get("/admin/topics", status=303).location.endswith(
        "/login?next=%2Fadmin%2Ftopics"
    )


def test_wrong_password_and_unknown_user_get_the_same_generic_answer(testapp, editor):
    wrong = login(testapp, password="x" * 20, status=400)
    unknown = login(testapp, username="nobody", status=400)
    message = "Nama pengguna atau kata sandi salah."
    assert message in wrong.text and message in unknown.text
    assert PASSWORD not in wrong.text


def test_session_id_changes_at_login_and_pre_login_token_fails(testapp, editor):
    login(testapp)
    before = testapp.cookies[SESSION_COOKIE]
    testapp.post("/logout", {"csrf_token": csrf_of(testapp.get("/admin/topics"))}, status=303)
    page = testapp.get("/login")
    assert SESSION_COOKIE not in testapp.cookies, "the login form must not start a session"
    old_token = csrf_of(page)
    login(testapp)
    assert testapp.cookies[SESSION_COOKIE] != before
    testapp.post("/logout", {"csrf_token": old_token}, status=400)


def test_logout_needs_post_and_csrf(testapp, editor):
    login(testapp)
    testapp.get("/logout", status=405)
    testapp.post("/logout", {}, status=400)
    assert testapp.get("/admin/topics").status_int == 200  # still logged in


def test_replayed_cookie_after_logout_is_anonymous(testapp, editor):
    login(testapp)
    token = testapp.cookies[SESSION_COOKIE]
    page = testapp.get("/admin/topics")
    testapp.post("/logout", {"csrf_token": csrf_of(page)})
    testapp.set_cookie(SESSION_COOKIE, token)
    assert testapp.get("/admin/topics", status=303).location.startswith("http://example.com/login")


def test_login_without_csrf_is_400_and_writes_nothing(testapp, dbsession, editor):
    before = count(dbsession, UserSession)
    testapp.post("/login", {"username": "editor1", "password": PASSWORD}, status=400)
    assert count(dbsession, UserSession) == before


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "http:/evil.example",
        "/\r\nSet-Cookie: x=1",
    ],
)
def test_next_only_goes_to_local_paths(testapp, editor, target):
    page = testapp.get("/login")
    res = testapp.post(
        "/login",
        {"username": "editor1", "password": PASSWORD, "csrf_token": csrf_of(page), "next": target},
        status=303,
    )
    assert res.location == "http://example.com/admin/"


def test_next_to_a_local_path_is_followed(testapp, editor):
    res = testapp.get("/admin/topics", status=303)
    assert "next=%2Fadmin%2Ftopics" in res.location
    page = testapp.get(res.location)
    res = testapp.post(
        "/login",
        {
            "username": "editor1",
            "password": PASSWORD,
            "csrf_token": csrf_of(page),
            "next": page.html.find("input", attrs={"name": "next"})["value"],
        },
        status=303,
    )
    assert res.location == "http://example.com/admin/topics"


def test_throttling_per_username_then_it_expires(testapp, dbsession, editor, monkeypatch):
    now = [dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    for _ in range(accounts.USERNAME_LIMIT):
        login(testapp, password="wrong password 123", status=400)
    res = login(testapp, status=429)  # even the right password
    assert 0 < int(res.headers["Retry-After"]) <= 15 * 60
    assert "login.lockout" in {e.action for e in dbsession.scalars(select(AuditEntry))}
    now[0] += accounts.WINDOW + dt.timedelta(seconds=1)
    login(testapp)


def test_throttling_per_address(testapp, dbsession, monkeypatch):
    monkeypatch.setattr(accounts, "ADDRESS_LIMIT", 3)
    for n in range(3):
        login(testapp, username=f"user{n}", password="wrong password 123", status=400)
    login(testapp, username="someone-else", status=429)
    assert count(dbsession, LoginAttempt, LoginAttempt.key.startswith("ip:")) == 3


def test_idle_and_absolute_timeouts(testapp, editor, monkeypatch):
    start = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)
    now = [start]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    login(testapp)
    for _ in range(20):  # active every 25 minutes: idle timeout never reached...
        now[0] += dt.timedelta(minutes=25)
        if now[0] - start > sessions.ABSOLUTE_TIMEOUT:
            break
        assert testapp.get("/admin/topics").status_int == 200
    now[0] = start + sessions.ABSOLUTE_TIMEOUT + dt.timedelta(minutes=1)
    testapp.get("/admin/topics", status=303)  # ...but 12 hours is the end
    login(testapp)
    now[0] += sessions.IDLE_TIMEOUT + dt.timedelta(seconds=1)
    testapp.get("/admin/topics", status=303)


def test_password_change_revokes_other_sessions(testapp, app, dbsession, editor):
    import webtest

    other = webtest.TestApp(app, extra_environ=dict(testapp.extra_environ))
    login(testapp)
    login(other)
    accounts.set_password(dbsession, editor, "another long passphrase 42")
    testapp.get("/admin/topics", status=303)
    other.get("/admin/topics", status=303)


def test_disabled_user_cannot_log_in(testapp, dbsession, editor):
    accounts.set_disabled(dbsession, editor, True)
    login(testapp, status=400)


def test_no_default_accounts(dbsession):
    from pybackend.models import User

    assert count(dbsession, User) == 0


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short", False),
        ("a" * 11, False),
        ("a" * 12 + "x", True),
        ("password1234", False),
        ("correct horse battery staple", True),
        ("é" * 12, True),
        ("x" * 129, False),
        ("editor1editor1", True),
    ],
)
def test_password_policy(password, ok):
    from pybackend.services.passwords import policy_errors

    assert (policy_errors(password) == []) is ok


def test_password_equal_to_username_is_refused():
    from pybackend.services.passwords import policy_errors

    assert policy_errors("longusername1", "LongUserName1")


def test_hashes_are_argon2id_and_rehashed_when_parameters_change(dbsession, editor, monkeypatch):
    from argon2 import PasswordHasher

    from pybackend.services import passwords

    assert editor.password_hash.startswith("$argon2id$")
    weak = PasswordHasher(time_cost=1, memory_cost=4 * 1024, parallelism=1)
    editor.password_hash = weak.hash(PASSWORD)
    user = accounts.authenticate(dbsession, "editor1", PASSWORD, "127.0.0.1")
    assert user is editor
    assert editor.password_hash.startswith("$argon2id$")
    assert not passwords._hasher.check_needs_rehash(editor.password_hash)


def test_origin_is_checked_over_https(testapp, editor):
    """Behind the TLS proxy (waitress trusts its X-Forwarded-Proto) Pyramid checks Origin."""
    https = {"wsgi.url_scheme": "https"}
    page = testapp.get("/login", extra_environ=https)
    form = {"username": "editor1", "password": PASSWORD, "csrf_token": csrf_of(page), "next": ""}
    testapp.post(
        "/login", form, extra_environ=https, headers={"Origin": "https://evil.example"}, status=400
    )
    testapp.post(
        "/login", form, extra_environ=https, headers={"Origin": "https://example.com"}, status=303
    )


def test_strangers_cannot_lock_a_user_out_of_their_own_address(
    testapp, dbsession, editor, monkeypatch
):
    monkeypatch.setattr(accounts, "STRANGERS_LIMIT", accounts.USERNAME_LIMIT + 2)
    home = {"REMOTE_ADDR": "192.0.2.10"}
    page = testapp.get("/login", extra_environ=home)
    form = {"username": "editor1", "password": PASSWORD, "csrf_token": csrf_of(page), "next": ""}
    testapp.post("/login", form, extra_environ=home, status=303)
    testapp.post("/logout", {"csrf_token": csrf_of(testapp.get("/admin/topics"))}, status=303)
    # One stranger: locked out after USERNAME_LIMIT tries from that address.
    for _ in range(accounts.USERNAME_LIMIT):
        _post_login(testapp, "198.51.100.1", "wrong password 123", 400)
    _post_login(testapp, "198.51.100.1", PASSWORD, 429)
    # Many strangers, one try each: past STRANGERS_LIMIT every unknown address is refused...
    for n in range(2, 4):
        _post_login(testapp, f"198.51.100.{n}", "wrong password 123", 400)
    _post_login(testapp, "203.0.113.7", PASSWORD, 429)
    # ...but the editor's own address still logs in.
    _post_login(testapp, "192.0.2.10", PASSWORD, 303)


def _post_login(testapp, address, password, status):
    env = {"REMOTE_ADDR": address}
    testapp.reset()
    page = testapp.get("/login", extra_environ=env)
    form = {"username": "editor1", "password": password, "csrf_token": csrf_of(page), "next": ""}
    return testapp.post("/login", form, extra_environ=env, status=status)


def test_old_attempts_and_dead_sessions_are_removed_at_the_next_login(
    testapp, dbsession, editor, monkeypatch
):
    now = [dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)]
    monkeypatch.setattr(clock, "now", lambda: now[0])
    login(testapp, username="someone", password="wrong password 123", status=400)
    login(testapp)
    stale_session = dbsession.scalars(select(UserSession)).one()
    now[0] += sessions.ABSOLUTE_TIMEOUT + dt.timedelta(minutes=1)
    testapp.reset()
    login(testapp)
    assert count(dbsession, LoginAttempt, LoginAttempt.key.startswith("u:someone")) == 0
    assert count(dbsession, LoginAttempt, LoginAttempt.key.startswith("ip:")) == 0
    assert stale_session not in set(dbsession.scalars(select(UserSession)))
    assert count(dbsession, UserSession) == 1
