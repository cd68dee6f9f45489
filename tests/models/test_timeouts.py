"""Bounded waits on the database: the ini settings reach the engine, and a wait that runs
out is an error the app answers with a 503 (issue 10)."""

import socket
import threading

import pytest
import webtest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from pybackend import main, models
from pybackend.services import content

SILENT_PORT = 7150  # in this suite's port range


def test_the_defaults_are_bounded_and_the_settings_are_read():
    assert models.timeouts({}) == {
        "connect_timeout": 3.0,
        "statement_timeout": 8.0,
        "pool_timeout": 3.0,
        "busy_timeout": 5.0,
    }
    assert models.timeouts({"pybackend.db.busy_timeout": "0.25"})["busy_timeout"] == 0.25
    with pytest.raises(ValueError, match="statement_timeout"):
        models.timeouts({"pybackend.db.statement_timeout": "0"})


def test_the_timeouts_reach_the_engine(app_settings, backend):
    settings = {
        **app_settings,
        "pybackend.db.busy_timeout": "0.25",
        "pybackend.db.pool_timeout": "0.5",
        "pybackend.db.statement_timeout": "1.5",
    }
    engine = models.get_engine(settings)
    try:
        assert engine.pool.timeout() == 0.5
        with engine.connect() as connection:
            if backend == "sqlite":
                assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 250
            else:
                assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "1500ms"
        assert engine.dialect.pybackend_watchdog.limit == 2.5  # the statement's, plus 1 s
    finally:
        engine.dispose()


@pytest.fixture
def silent_server():
    """A socket that accepts connections and never says a word (a hung database)."""
    server = socket.create_server(("127.0.0.1", SILENT_PORT))
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"postgresql://nobody:nothing@127.0.0.1:{SILENT_PORT}/none"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_a_database_that_never_answers_fails_the_connect(silent_server):
    engine = models.get_engine(
        {"sqlalchemy.url": silent_server, "pybackend.db.connect_timeout": "2"}
    )
    try:
        with pytest.raises(OperationalError), engine.connect():
            pass
    finally:
        engine.dispose()


def test_a_database_that_never_answers_is_a_503_and_readyz_says_so(app_settings, silent_server):
    settings = {**app_settings, "sqlalchemy.url": silent_server}
    settings["pybackend.db.connect_timeout"] = "2"
    settings.pop("dbengine", None)
    client = webtest.TestApp(main({}, **settings), extra_environ={"HTTP_HOST": "example.com"})
    res = client.get("/topics/django", expect_errors=True)
    assert res.status_int == 503 and res.headers["Retry-After"] == "5"
    ready = client.get("/readyz", expect_errors=True)
    assert ready.status_int == 503 and ready.json["status"] == "unavailable"


def app_with(app_settings, **overrides):
    settings = {**app_settings, **overrides}
    application = main({}, **settings)
    client = webtest.TestApp(application, extra_environ={"HTTP_HOST": "example.com"})
    return client, application.registry["dbengine"]


def test_no_free_connection_in_the_pool_in_time_is_a_503(app_settings, dbengine):
    client, engine = app_with(
        app_settings,
        **{
            "sqlalchemy.pool_size": "1",
            "sqlalchemy.max_overflow": "0",
            "pybackend.db.pool_timeout": "0.2",
        },
    )
    try:
        held = engine.connect()  # the only connection, taken
        held.exec_driver_sql("SELECT 1")
        with pytest.raises(PoolTimeout):
            engine.connect()
        res = client.get("/topics/django", expect_errors=True)
        assert res.status_int == 503 and res.headers["Retry-After"] == "5"
        held.close()
        assert client.get("/topics/django").status_int == 200  # and back, no restart
    finally:
        engine.dispose()


SLOW = {
    # A statement that runs for seconds.
    "postgresql": "SELECT pg_sleep(3)",
    "sqlite": (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000)"
        " SELECT count(*) FROM n"
    ),
}


def slow_reader(monkeypatch):
    """The topic page's route factory runs a slow statement (apps here have no page store,
    which would serve a page another test stored without asking the factory)."""

    def public_item(dbsession, *args, **kwargs):
        dbsession.execute(text(SLOW[dbsession.get_bind().dialect.name]))

    monkeypatch.setattr(content, "public_item", public_item)


def test_a_statement_past_the_statement_timeout_is_a_503(
    app_settings, dbengine, backend, monkeypatch
):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's statement_timeout; SQLite's bound is the watchdog, below")
    client, engine = app_with(
        app_settings, **{"pybackend.db.statement_timeout": "0.3", "pybackend.page_store": "false"}
    )
    try:
        slow_reader(monkeypatch)
        res = client.get("/topics/django", expect_errors=True)
        assert res.status_int == 503 and res.headers["Retry-After"] == "5"
    finally:
        engine.dispose()


def test_the_watchdog_cuts_a_statement_the_server_does_not_end(app_settings, dbengine):
    """The server's own timeout is longer, or the server hangs: the watchdog ends the wait
    with the driver's error, and the engine's next connection works."""
    engine = models.get_engine(app_settings)
    try:
        engine.dialect.pybackend_watchdog.limit = 0.3
        with pytest.raises(OperationalError), engine.connect() as connection:
            connection.exec_driver_sql(SLOW[engine.dialect.name].replace("3", "1"))
        assert engine.dialect.pybackend_watchdog.cuts == 1
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()


def test_a_request_the_watchdog_cut_is_a_503(app_settings, dbengine, backend, monkeypatch):
    if backend != "sqlite":
        pytest.skip("the PostgreSQL cut is tested on the engine above")
    client, engine = app_with(app_settings, **{"pybackend.page_store": "false"})
    try:
        engine.dialect.pybackend_watchdog.limit = 0.3
        with monkeypatch.context() as patch:
            slow_reader(patch)
            res = client.get("/topics/django", expect_errors=True)
        assert res.status_int == 503 and res.headers["Retry-After"] == "5"
        assert client.get("/topics/django").status_int == 200
    finally:
        engine.dispose()
