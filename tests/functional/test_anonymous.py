"""Anonymous readers: odd cookies are served as no cookie at all, and reading writes nothing."""

import datetime as dt

import pytest
import transaction
import webtest
from sqlalchemy import event, func, select, text

from pybackend import main, models
from pybackend.models import UserSession
from pybackend.security import SESSION_COOKIE
from pybackend.services import accounts, clock, sessions

from .test_sitemap import all_urls, local

# Rows these tests commit (they use the app as a reader would, outside the test transaction).
_COMMITTED = ("audit_log", "login_attempts", "user_sessions", "users")


@pytest.fixture(scope="module")
def cached(app_settings, dbengine):
    with dbengine.connect() as connection:
        before = {t: connection.scalar(text(f"SELECT max(id) FROM {t}")) or 0 for t in _COMMITTED}
    app = main({}, dbengine=dbengine, **{**app_settings, "pybackend.page_cache": "true"})
    yield webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
    with dbengine.begin() as connection:
        for table in _COMMITTED:
            connection.execute(text(f"DELETE FROM {table} WHERE id > :n"), {"n": before[table]})


def count_queries(engine):
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return statements, lambda: event.remove(engine, "before_cursor_execute", record)


def signed(app, token):
    return app.app.registry["session_signer"].sign(token)


def committed_session(app, dbengine, **fields):
    """A real session row, committed; returns the cookie value a browser would hold."""
    factory = app.app.registry["dbsession_factory"]
    with transaction.manager:
        dbsession = models.get_tm_session(factory)
        name = f"reader{int(dt.datetime.now().timestamp() * 1e6)}"
        user = accounts.create_user(dbsession, name, "a long passphrase here", "editor")
        row, token = sessions.create(dbsession, user)
        for name, value in fields.items():
            setattr(row, name, value)
    return signed(app, token)


def cookie_cases(app, dbengine):
    long_ago = clock.now() - dt.timedelta(days=2)
    return {
        "invented": f"{SESSION_COOKIE}=" + "x" * 43,
        "badly signed": f"{SESSION_COOKIE}=" + "y" * 43 + "." + "A" * 24,
        "expired": f"{SESSION_COOKIE}="
        + committed_session(app, dbengine, created_at=long_ago, last_seen_at=long_ago),
        "analytics": "_ga=GA1.2.1234567890.1700000000; _gid=GA1.2.99; _fbp=fb.1.17.42",
        "empty": f"{SESSION_COOKIE}=",
        "two of ours": f"{SESSION_COOKIE}=abc; {SESSION_COOKIE}=def.ghi",
    }


def test_odd_cookies_get_the_anonymous_cached_page_without_a_query(cached, dbengine):
    cases = cookie_cases(cached, dbengine)
    path = "/topics/django"
    anonymous = cached.get(path)
    for name, cookie in cases.items():
        # The first request with a dead signed session may look it up once; after that, none.
        cached.get(path, headers={"Cookie": cookie})
        statements, stop = count_queries(dbengine)
        try:
            res = cached.get(path, headers={"Cookie": cookie})
        finally:
            stop()
        assert res.headers["Cache-Control"].startswith("public"), name
        assert res.etag == anonymous.etag and res.body == anonymous.body, name
        assert "Set-Cookie" not in res.headers, name
        assert not [s for s in statements if "user_sessions" in s], name
        # At most the once-a-second look for purges, which every request shares.
        assert not [s for s in statements if "cache_tags" not in s], f"{name}: {statements}"


def test_a_live_session_is_never_served_from_the_cache(cached, dbengine):
    cookie = committed_session(cached, dbengine)
    res = cached.get("/topics/django", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    assert res.headers["Cache-Control"] == "private, no-store"
    assert not res.etag


def _row_counts(connection):
    return {
        table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()
        for table in sorted(models.Base.metadata.tables)
    }


def test_anonymous_gets_write_no_row(cached, dbengine):
    paths = {local(loc) for loc in all_urls(cached)}
    paths |= {
        "/login",
        "/login?next=/admin/",
        "/en/search?q=python",
        "/search?q=django",
        "/feed.atom",
        "/en/feed.atom",
        "/sitemap.xml",
        "/robots.txt",
        "/api/v1/topics",
        "/api/v1/topics/django",
        "/admin/",
        "/admin/topics",
        "/healthz",
        "/readyz",
        "/topics/no-such-page",
    }
    with dbengine.connect() as connection:
        before = _row_counts(connection)
    for path in sorted(paths):
        for cookie in (None, f"{SESSION_COOKIE}=" + "z" * 43):
            cached.get(path, headers={"Cookie": cookie} if cookie else {}, expect_errors=True)
    with dbengine.connect() as connection:
        after = _row_counts(connection)
        assert (
            connection.scalar(select(func.count()).select_from(UserSession))
            == before["user_sessions"]
        )
    assert after == before


def test_the_login_form_works_without_a_session_row(cached, dbengine):
    client = webtest.TestApp(cached.app, extra_environ={"HTTP_HOST": "example.com"})
    with dbengine.connect() as connection:
        before = connection.scalar(select(func.count()).select_from(UserSession))
    page = client.get("/login")
    assert "no-store" in page.headers["Cache-Control"]
    form = next(f for f in page.forms.values() if "username" in f.fields)
    form["username"] = "nobody-here"
    form["password"] = "wrong password 123"
    res = form.submit(expect_errors=True)
    assert res.status_int == 400  # a wrong password, not a CSRF failure
    with dbengine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(UserSession)) == before
    # Without the cookie the form's token is worthless (login CSRF).
    client.reset()
    res = client.post(
        "/login",
        {"csrf_token": form["csrf_token"].value, "username": "x", "password": "y" * 12},
        expect_errors=True,
    )
    assert res.status_int == 400 and "nobody-here" not in res.text
