"""A database that goes away, fails a statement or fails at COMMIT (issue 10).

The app here has an engine of its own on the test database, and its requests commit as
in production (no shared rolled-back transaction: a commit that fails must be a real
one). "Down" sends every new connection to a database that is not there (a closed port
on PostgreSQL, a file in a missing directory on SQLite), the driver's real error, after
the connections already open were closed, as a restarted server closes them. Everything
the tests commit is removed after them.
"""

import contextlib
import sqlite3

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from pybackend import main, models
from pybackend.models import Item, Revision, User
from pybackend.services import content, editing
from tests.functional.admin_helpers import PASSWORD, committed_editor

DEAD_PORT = 7199  # in this suite's port range; nothing listens there


class Switch:
    """Takes the app's database away and brings it back."""

    def __init__(self, engine):
        self.engine = engine
        self.down = False
        self.connects = 0
        event.listen(engine, "do_connect", self._connect)

    def _connect(self, dialect, record, cargs, cparams):
        self.connects += 1
        if not self.down:
            return None
        if dialect.name == "sqlite":
            return sqlite3.connect("/nonexistent-pybackend-dir/db.sqlite", uri=False)
        cparams.update(host="127.0.0.1", port=DEAD_PORT)
        return None

    def __enter__(self):
        self.down = True
        self.engine.dispose()  # the open connections die with the server
        return self

    def __exit__(self, *exc):
        self.down = False


@pytest.fixture(scope="module")
def outage_app(app_settings, dbengine):
    """The app on an engine of its own, and the switch that takes its database away."""
    engine = models.get_engine(app_settings)
    application = main({}, dbengine=engine, **app_settings)
    yield application, Switch(engine)
    engine.dispose()


@pytest.fixture
def committed(outage_app, dbengine):
    """An editor, a published topic, and a client logged in as the editor (real commits);
    the topics a test creates start with "outage-new" and go afterwards."""
    application, switch = outage_app
    with committed_editor(
        application, dbengine, "outage-ed", "outage-topic", "Padam", prefix="outage-new"
    ) as made:
        client, item_id = made
        yield client, item_id, switch


def state(dbengine, item_id):
    with Session(bind=dbengine) as session:
        item = session.get(Item, item_id)
        revisions = session.scalars(
            select(Revision.number).where(Revision.item_id == item_id)
        ).all()
        return item.version, item.text("id").title, item.text("id").body, revisions


def assert_branded_503(res, json=False):
    assert res.status_int == 503, res.status
    assert res.headers["Retry-After"] == "5"
    assert "no-store" in res.headers["Cache-Control"]
    assert res.headers["X-Request-Id"]
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    if res.request.method == "HEAD":
        assert not res.body
    elif json:
        assert res.json["error"]["status"] == 503
    else:
        assert "Content-Security-Policy" in res.headers
        page = res.html.select_one(".error-page")
        assert page is not None and "503" in page.text  # our page, in either language
    assert "Traceback" not in res.text


REQUESTS = [
    ("GET", "/topics/outage-topic", False),
    ("GET", "/en/topics", False),
    ("GET", "/search?q=flask", False),
    ("GET", "/admin/", False),
    ("GET", "/admin/topics", False),
    ("HEAD", "/topics/outage-topic", False),
    ("GET", "/api/v1/topics", True),
    ("GET", "/api/v1/topics/outage-topic", True),
]


@pytest.mark.parametrize("with_cookie", [True, False], ids=["logged-in", "anonymous"])
@pytest.mark.parametrize("method, path, json", REQUESTS)
def test_while_the_database_is_down_every_request_is_a_branded_503(
    committed, with_cookie, method, path, json
):
    client, _item_id, switch = committed
    if not with_cookie:
        client.reset()
    if path.startswith("/admin") and not with_cookie:
        path = "/topics"  # anonymous: the editors' area is a redirect to the login page
    with switch:
        res = getattr(client, method.lower())(path, expect_errors=True)
    assert_branded_503(res, json)


def test_the_login_form_needs_no_database_and_its_post_is_a_503(committed):
    client, _item_id, switch = committed
    client.reset()
    with switch:
        page = client.get("/login")
        assert page.status_int == 200 and "no-store" in page.headers["Cache-Control"]
        form = page.forms[len(page.forms) - 1]
        form["username"], form["password"] = "outage-ed", PASSWORD
        assert_branded_503(form.submit(expect_errors=True))


def test_a_post_with_a_session_cookie_during_an_outage_is_a_503(committed):
    client, item_id, switch = committed
    page = client.get("/admin/")
    token = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    with switch:
        res = client.post("/logout", {"csrf_token": token}, expect_errors=True)
        assert_branded_503(res)
    # Once the database is back, the same session goes on: nothing was lost.
    assert client.get("/admin/").status_int == 200


def test_probes_during_an_outage(committed):
    client, _item_id, switch = committed
    client.reset()
    with switch:
        before = switch.connects
        health = client.get("/healthz")
        assert health.status_int == 200 and health.json == {"status": "ok"}
        assert switch.connects == before  # /healthz never asks the database
        ready = client.get("/readyz", expect_errors=True)
        assert ready.status_int == 503 and ready.headers["Retry-After"] == "5"
    assert client.get("/readyz").json == {"status": "ok", "database": "ok"}


def test_healthz_asks_nothing_of_the_database_even_with_a_session_cookie(committed):
    client, _item_id, switch = committed
    with switch:
        before = switch.connects
        assert client.get("/healthz").status_int == 200
        assert client.head("/healthz").status_int == 200
        assert switch.connects == before


def test_service_resumes_when_the_database_comes_back(committed):
    client, item_id, switch = committed
    with switch:
        assert client.get("/topics/outage-topic", expect_errors=True).status_int == 503
        assert client.get("/admin/", expect_errors=True).status_int == 503
    assert client.get("/topics/outage-topic").status_int == 200
    assert client.get("/admin/").status_int == 200
    assert client.get(f"/admin/topics/{item_id}").status_int == 200


def edit_form(client, item_id):
    form = client.get(f"/admin/topics/{item_id}").forms["item-form"]
    form["title"] = "Judul baru yang panjang"
    form["body"] = (
        "Teks yang diketik editor\n\nparagraf kedua: <b>tebal</b> & [tautan](topic:flask)"
    )
    form["en_title"] = "A new title"
    form["comment"] = "perubahan penting"
    return form


def assert_form_again(res, form_values):
    """The 503 answer to a save is the form, holding everything the editor sent."""
    assert res.status_int == 503, res.status
    assert res.headers["Retry-After"] == "5"
    assert "no-store" in res.headers["Cache-Control"]
    assert "Content-Security-Policy" in res.headers
    again = res.forms["item-form"]
    for name, value in form_values.items():
        assert again[name].value == value, name
    assert "belum tersimpan" in res.text
    return again


def test_a_save_during_an_outage_gives_the_text_back_and_can_be_sent_again(committed, dbengine):
    client, item_id, switch = committed
    before = state(dbengine, item_id)
    form = edit_form(client, item_id)
    typed = {name: form[name].value for name in ("title", "body", "en_title", "comment", "slug")}
    with switch:
        res = form.submit("action", value="save", expect_errors=True)
    again = assert_form_again(res, typed)
    assert state(dbengine, item_id) == before  # nothing half-written
    res = again.submit("action", value="save")
    assert res.status_int == 303
    version, title, body, revisions = state(dbengine, item_id)
    assert (version, title, body) == (before[0] + 1, typed["title"], typed["body"])
    assert len(revisions) == len(before[3]) + 1


def test_a_failed_save_sent_again_after_someone_else_saved_is_a_merge(committed, dbengine):
    client, item_id, switch = committed
    form = edit_form(client, item_id)
    with switch:
        res = form.submit("action", value="save", expect_errors=True)
    again = assert_form_again(res, {"title": "Judul baru yang panjang"})
    with Session(bind=dbengine) as session:
        item = session.get(Item, item_id)
        draft = editing.Draft(
            fields={"slug": "outage-topic", "kind": "library"},
            texts={"id": {"title": "Judul orang lain", "summary": "", "body": "Awal."}},
        )
        editing.update_item(session, item, item.version, draft, None)
        session.commit()
    res = again.submit("action", value="save", expect_errors=True)
    assert res.status_int == 409
    assert "Judul baru yang panjang" in res.text and "Judul orang lain" in res.text


def test_a_create_during_an_outage_gives_the_text_back(committed, dbengine):
    client, _item_id, switch = committed
    form = client.get("/admin/topics/new").forms["item-form"]
    form["slug"] = "outage-new"
    form["title"] = "Topik baru"
    form["body"] = "Isi yang tidak boleh hilang."
    with switch:
        res = form.submit("action", value="publish", expect_errors=True)
    again = assert_form_again(res, {"slug": "outage-new", "body": "Isi yang tidak boleh hilang."})
    with Session(bind=dbengine) as session:
        assert session.scalar(select(Item).where(Item.slug == "outage-new")) is None
    assert again.submit("action", value="publish").status_int == 303
    with Session(bind=dbengine) as session:
        assert session.scalar(select(Item.status).where(Item.slug == "outage-new")) == "published"


@contextlib.contextmanager
def failing(engine, when):
    """The database refuses the item's UPDATE (at flush) or the COMMIT with the driver's
    OperationalError, as a full disk or a lost connection would."""
    dialect = engine.dialect
    dbapi_error = dialect.loaded_dbapi.OperationalError

    def at_statement(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE ITEMS"):
            raise OperationalError(statement, parameters, dbapi_error("disk full (injected)"))

    if when == "flush":
        event.listen(engine, "before_cursor_execute", at_statement)
    else:
        commit = dialect.pybackend_commit

        def failing_commit(dbapi_connection):
            # What the driver does when the disk is full at COMMIT: raise, the
            # transaction still open (models/watchdog.py rolls it back).
            raise dbapi_error("database or disk is full (injected)")

        dialect.pybackend_commit = failing_commit
    try:
        yield
    finally:
        if when == "flush":
            event.remove(engine, "before_cursor_execute", at_statement)
        else:
            dialect.pybackend_commit = commit


@pytest.mark.parametrize("when", ["flush", "commit"])
def test_a_save_that_fails_at_flush_or_commit_gives_the_text_back(
    committed, outage_app, dbengine, when
):
    client, item_id, _switch = committed
    engine = outage_app[0].registry["dbengine"]
    before = state(dbengine, item_id)
    form = edit_form(client, item_id)
    with failing(engine, when):
        res = form.submit("action", value="save", expect_errors=True)
    again = assert_form_again(res, {"title": "Judul baru yang panjang"})
    assert state(dbengine, item_id) == before
    assert again.submit("action", value="save").status_int == 303
    assert state(dbengine, item_id)[1] == "Judul baru yang panjang"


def test_an_unreadable_page_store_is_a_503_not_a_500(committed, monkeypatch):
    """The page store reads through the driver itself: its errors are the driver's own."""
    client, _item_id, _switch = committed
    client.reset()

    def broken(self, request, key):
        raise sqlite3.OperationalError("disk I/O error (injected)")

    from pybackend.services import page_store

    monkeypatch.setattr(page_store.StoreReader, "load", broken)
    monkeypatch.setattr(content, "public_item", lambda *a, **k: broken(None, None, None))
    res = client.get("/topics/outage-topic", expect_errors=True)
    assert_branded_503(res)


def test_a_save_while_another_writer_holds_sqlite_s_lock_gives_the_text_back(
    committed, outage_app, dbengine, backend
):
    if backend != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL's statement timeout is in test_timeouts")
    from tests.functional.admin.test_retry import sqlite_write_lock

    client, item_id, _switch = committed
    before = state(dbengine, item_id)
    form = edit_form(client, item_id)
    with sqlite_write_lock(outage_app[0].registry["dbengine"]):
        res = form.submit("action", value="save", expect_errors=True)
    again = assert_form_again(res, {"title": "Judul baru yang panjang"})
    assert state(dbengine, item_id) == before
    assert again.submit("action", value="save").status_int == 303


def user_form(page):
    return next(form for form in page.forms.values() if "username" in form.fields)


def test_a_new_account_during_an_outage_keeps_the_form_but_not_the_passwords(committed, dbengine):
    client, _item_id, switch = committed
    with Session(bind=dbengine) as session:
        session.scalar(select(User).where(User.username == "outage-ed")).role = "admin"
        session.commit()
    form = user_form(client.get("/admin/users/new"))
    form["username"] = "outage-new-user"
    form["role"] = "editor"
    form["password"] = form["password_confirm"] = "another long passphrase"
    with switch:
        res = form.submit(expect_errors=True)
    assert res.status_int == 503 and res.headers["Retry-After"] == "5"
    again = user_form(res)
    assert again["username"].value == "outage-new-user"
    assert "another long passphrase" not in res.text
    with Session(bind=dbengine) as session:
        assert session.scalar(select(User).where(User.username == "outage-new-user")) is None


def test_a_delete_during_an_outage_can_be_sent_again_from_the_503_page(committed, dbengine):
    client, item_id, switch = committed
    page = client.get(f"/admin/topics/{item_id}/delete")
    form = next(f for f in page.forms.values() if f.action.endswith("/delete"))
    with switch:
        res = form.submit(expect_errors=True)
    assert_branded_503(res)
    again = res.forms["resend"]
    assert again.action == f"/admin/topics/{item_id}/delete"
    assert again["version"].value == form["version"].value
    assert again["csrf_token"].value == form["csrf_token"].value
    with Session(bind=dbengine) as session:
        assert session.get(Item, item_id).deleted_at is None  # nothing done yet
    assert again.submit().status_int == 303
    with Session(bind=dbengine) as session:
        assert session.get(Item, item_id).deleted_at is not None


def test_a_password_change_during_an_outage_is_never_written_back(committed):
    client, _item_id, switch = committed
    page = client.get("/admin/password")
    form = next(f for f in page.forms.values() if "current_password" in f.fields)
    form["current_password"] = PASSWORD
    form["password"] = form["password_confirm"] = "an outage-proof passphrase"
    with switch:
        res = form.submit(expect_errors=True)
    assert_branded_503(res)
    assert not res.html.select("form.resend")
    assert PASSWORD not in res.text and "outage-proof" not in res.text
