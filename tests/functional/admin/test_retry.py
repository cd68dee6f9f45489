"""DATA-5: PostgreSQL serialization failures and deadlocks are retried (pyramid_retry).

The errors are real ones, raised by PostgreSQL itself: a trigger on ``items`` fails the
admin edit's UPDATE with the SQLSTATE of a serialization failure (40001) or a deadlock
(40P01) the first N times, either at the statement or, as a deferred constraint trigger,
at COMMIT. The requests run through pyramid_tm with real commits, not in the rolled-back
transaction of the other tests: a retry is pyramid_tm aborting one transaction and
pyramid_retry running the request again in a new one, which a shared outer transaction
cannot show. Everything the tests commit is removed after them.
"""

import contextlib
import logging
import sqlite3

import psycopg.errors
import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from pybackend.models import AuditEntry, Item, Revision
from pybackend.services import content, page_store
from tests.functional.admin_helpers import committed_editor

SERIALIZATION_FAILURE = "40001"
DEADLOCK = "40P01"


@pytest.fixture
def committed(app, dbengine):
    with committed_editor(app, dbengine, "retry-ed", "retry-topic", "Coba lagi") as made:
        yield made


FAULT = """
CREATE SEQUENCE retry_fault_count;
CREATE FUNCTION retry_fault() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    fired bigint;
BEGIN
    -- A sequence, not a counter table: nextval() survives the rollback of the attempt.
    SELECT CASE WHEN is_called THEN last_value ELSE 0 END INTO fired FROM retry_fault_count;
    IF fired < {failures} THEN
        PERFORM nextval('retry_fault_count');
        RAISE EXCEPTION 'fault injected by test_retry.py' USING ERRCODE = '{sqlstate}';
    END IF;
    RETURN NEW;
END $$;
"""
TRIGGERS = {
    # The UPDATE itself fails, inside the view's flush.
    "statement": "CREATE TRIGGER retry_fault BEFORE UPDATE ON items",
    # The view succeeds and COMMIT fails, as under SERIALIZABLE or with a deferred check.
    "commit": "CREATE CONSTRAINT TRIGGER retry_fault AFTER UPDATE ON items"
    " DEFERRABLE INITIALLY DEFERRED",
}


@pytest.fixture
def fault(backend, dbengine):
    """``fault(sqlstate, failures, item_id, when)``: PostgreSQL fails the next ``failures``
    updates of that item with ``sqlstate``; returns a function counting the failures."""
    if backend != "postgresql":
        pytest.skip(
            "PostgreSQL only: SQLite has no serialization failures or deadlocks, only a write"
            " lock (test_on_sqlite_a_lock_that_outlasts_the_busy_timeout_is_a_clean_503)"
        )

    def fired():
        with dbengine.connect() as connection:
            return connection.scalar(
                text("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM retry_fault_count")
            )

    def install(sqlstate, failures, item_id, when):
        with dbengine.begin() as connection:
            connection.exec_driver_sql(FAULT.format(sqlstate=sqlstate, failures=int(failures)))
            connection.exec_driver_sql(
                f"{TRIGGERS[when]} FOR EACH ROW WHEN (OLD.id = {int(item_id)})"
                " EXECUTE FUNCTION retry_fault()"
            )
        return fired

    yield install
    with dbengine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER IF EXISTS retry_fault ON items")
        connection.exec_driver_sql("DROP FUNCTION IF EXISTS retry_fault()")
        connection.exec_driver_sql("DROP SEQUENCE IF EXISTS retry_fault_count")


def state(dbengine, item_id):
    """What an edit changes: the item's version and title, its revisions and audit entries."""
    with Session(bind=dbengine) as session:
        item = session.get(Item, item_id)
        revisions = session.scalars(
            select(Revision.number).where(Revision.item_id == item_id).order_by(Revision.number)
        ).all()
        audit = session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_id == item_id, AuditEntry.action.like("content.%"))
            .order_by(AuditEntry.id)
        ).all()
        return {
            "version": item.version,
            "title": item.texts["id"].title,
            "revisions": revisions,
            "audit": audit,
        }


def edit(client, item_id, title):
    form = client.get(f"/admin/topics/{item_id}").forms["item-form"]
    form["title"] = title
    return form.submit("action", value="save", expect_errors=True)


@pytest.mark.parametrize("when", ["statement", "commit"])
@pytest.mark.parametrize("sqlstate", [SERIALIZATION_FAILURE, DEADLOCK])
def test_a_transient_failure_is_retried_and_the_edit_is_saved_once(
    fault, committed, dbengine, app, sqlstate, when
):
    client, item_id = committed
    attempts = app.registry.settings["retry.attempts"]
    assert attempts == 3
    before = state(dbengine, item_id)
    fired = fault(sqlstate, attempts - 1, item_id, when)

    res = edit(client, item_id, "Coba lagi, tersimpan")

    assert res.status_int == 303, res.status
    assert res.location.endswith(f"/admin/topics/{item_id}")
    assert fired() == attempts - 1  # PostgreSQL refused the first two attempts
    after = state(dbengine, item_id)
    assert after["title"] == "Coba lagi, tersimpan"
    assert after["version"] == before["version"] + 1
    # One revision and one audit entry: nothing left over from the failed attempts.
    assert after["revisions"] == before["revisions"] + [before["revisions"][-1] + 1]
    assert after["audit"] == before["audit"] + ["content.update"]
    assert "Tersimpan" in res.follow().text


@pytest.mark.parametrize("when", ["statement", "commit"])
@pytest.mark.parametrize("sqlstate", [SERIALIZATION_FAILURE, DEADLOCK])
def test_a_failure_that_outlasts_the_retries_is_a_clean_503(
    fault, committed, dbengine, app, sqlstate, when
):
    client, item_id = committed
    before = state(dbengine, item_id)
    fired = fault(sqlstate, 1000, item_id, when)

    res = edit(client, item_id, "Tidak akan tersimpan")

    assert res.status_int == 503, res.status
    assert res.headers["Retry-After"] == "5"
    assert "Layanan sedang tidak tersedia" in res.text
    assert "Traceback" not in res.text and "fault injected" not in res.text
    assert fired() == app.registry.settings["retry.attempts"]  # tried three times
    assert state(dbengine, item_id) == before


@contextlib.contextmanager
def sqlite_write_lock(dbengine, busy_timeout_ms=200):
    """Another connection holds SQLite's write lock; the app waits ``busy_timeout_ms``
    (not the 5 s of models._sqlite_pragmas) before "database is locked"."""

    def short_timeout(dbapi_connection, record, proxy):
        dbapi_connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")

    event.listen(dbengine, "checkout", short_timeout)
    other = sqlite3.connect(dbengine.url.database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
    finally:
        other.rollback()
        other.close()
        event.remove(dbengine, "checkout", short_timeout)
        dbengine.dispose()  # new connections get the usual pragmas again


@pytest.fixture
def sqlite_only(backend):
    if backend != "sqlite":
        pytest.skip("SQLite only: its write lock; PostgreSQL's errors are tested above")


def test_on_sqlite_a_lock_that_outlasts_the_busy_timeout_is_a_clean_503(
    sqlite_only, committed, dbengine, caplog
):
    """SQLite's analogue: no serialization failures, but a writer that waited out the busy
    timeout. That is a 503 at once, not retried: each attempt would wait as long again."""
    client, item_id = committed
    before = state(dbengine, item_id)
    form = client.get(f"/admin/topics/{item_id}").forms["item-form"]
    form["title"] = "Terkunci"
    with caplog.at_level(logging.WARNING, logger="pybackend"), sqlite_write_lock(dbengine):
        res = form.submit("action", value="save", expect_errors=True)
    assert res.status_int == 503, res.status
    assert res.headers["Retry-After"] == "5"
    assert "Layanan sedang tidak tersedia" in res.text and "Traceback" not in res.text
    locked = [r for r in caplog.records if "database is locked" in r.getMessage()]
    assert len(locked) == 1  # one attempt
    assert state(dbengine, item_id) == before


@pytest.mark.parametrize(
    "errors, status, calls",
    [
        ([psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected], 200, 3),
        ([psycopg.errors.SerializationFailure] * 3, 503, 3),
        ([psycopg.errors.OperationalError], 503, 1),  # a lost connection: not retried
    ],
)
@pytest.mark.parametrize("path", ["/topics/django", "/api/v1/topics/django"])
def test_the_html_and_json_error_views_mark_only_these_retryable(
    testapp, monkeypatch, path, errors, status, calls
):
    """However the error reaches them (a statement, or COMMIT after pyramid_tm let the
    session go), both 503 views mark a serialization failure or deadlock for pyramid_retry,
    and nothing else. A stand-in here, on both backends: the real ones are above."""
    public_item = content.public_item
    made = []

    def flaky(*args, **kwargs):
        made.append(path)
        if len(made) <= len(errors):
            raise OperationalError("SELECT", {}, errors[len(made) - 1]("injected"))
        return public_item(*args, **kwargs)

    monkeypatch.setattr(content, "public_item", flaky)
    # The view must run: a page an earlier test's commit stored would be answered first.
    monkeypatch.setattr(page_store.StoreReader, "load", lambda self, request, key: None)
    res = testapp.get(path, expect_errors=True)
    assert res.status_int == status
    assert len(made) == calls
