"""Anonymous reads from a real PostgreSQL streaming replica (models/replica.py).

A primary and a replica made with ``pg_basebackup -R``, as clusters of our own on ports
5450 and 5451 (tests/deploy/clusters.py); skipped where that cannot be done. The replica's
replay is paused to make it fall behind on purpose: what a reader then gets shows which
database answered.
"""

import time
import zlib

import alembic.command
import alembic.config
import pytest
import transaction
import webtest
from pyramid.paster import get_appsettings
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from pybackend import main, models
from pybackend.config import normalize_database_url
from pybackend.models import Item
from pybackend.scripts.content import render_pages
from pybackend.services import accounts, editing
from pybackend.services.seed import load_seed
from tests.deploy.clusters import Clusters, unavailable
from tests.functional.admin_helpers import PASSWORD, login

PORTS = (5450, 5451)
PRIMARY_ONLY = "Judul yang hanya ada di primer"

pytestmark = pytest.mark.skipif(bool(unavailable(PORTS)), reason=str(unavailable(PORTS)))


def wait_for(predicate, what, seconds=15):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"{what} did not happen in {seconds} s"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def clusters():
    made = Clusters("pybackend_replica_test", *PORTS)
    made.create()
    yield made
    made.remove()


@pytest.fixture(scope="module")
def primary(clusters, ini_file):
    engine = create_engine(normalize_database_url(clusters.primary_url))
    with engine.begin() as connection:
        cfg = alembic.config.Config(ini_file)
        cfg.attributes["connection"] = connection
        alembic.command.upgrade(cfg, "head")
    with Session(bind=engine) as session:
        load_seed(session)
        accounts.create_user(session, "ed", PASSWORD, "editor")
        session.commit()
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def app_settings(ini_file):
    # Not the suite's app_settings: these tests make their own PostgreSQL, once.
    return dict(get_appsettings(ini_file))


@pytest.fixture(scope="module")
def site(clusters, primary, app_settings):
    settings = {
        **app_settings,
        "sqlalchemy.url": clusters.primary_url,
        "sqlalchemy.replica_url": clusters.replica_url,
        "pybackend.page_cache": "false",
        "pybackend.generation_ttl": "0.1",
        "pybackend.replica_check_interval": "0.1",
        "pybackend.replica_max_lag": "60",
    }
    app = main({}, **settings)
    render_pages(app.registry, quiet=True)
    monitor = app.registry["replica"]
    generation = primary_generation(primary)
    wait_for(lambda: monitor.usable(generation), "the replica catching up")
    yield webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"}), monitor
    monitor.engine.dispose()


def primary_generation(engine):
    with engine.connect() as connection:
        return connection.scalar(text("SELECT generation FROM content_state"))


def title_in_primary_only(primary, slug):
    """Change the title on the primary without telling the caches (no new generation)."""
    with primary.begin() as connection:
        item_id = connection.scalar(text("SELECT id FROM items WHERE slug = :s"), {"s": slug})
        old = connection.scalar(
            text("SELECT title FROM item_texts WHERE item_id = :i AND lang = 'id'"), {"i": item_id}
        )
        connection.execute(
            text("UPDATE item_texts SET title = :t WHERE item_id = :i AND lang = 'id'"),
            {"t": PRIMARY_ONLY, "i": item_id},
        )
        page = zlib.compress(f"<h1>{PRIMARY_ONLY}</h1>".encode())
        connection.execute(
            text("UPDATE rendered_pages SET body = :b WHERE key = :k"),
            {"b": page, "k": f"/topics/{slug}"},
        )
    return item_id, old


@pytest.fixture
def paused(clusters):
    clusters.pause_replay()
    yield
    clusters.resume_replay()


def test_anonymous_reads_come_from_the_replica_until_it_lags(site, primary, paused):
    app, monitor = site
    item_id, old_title = title_in_primary_only(primary, "pyramid")
    try:
        # The replica has not replayed the change: an anonymous reader gets its copy.
        assert PRIMARY_ONLY not in app.get("/topics/pyramid").text
        assert PRIMARY_ONLY not in app.get("/topics").text
        # An editor with a session reads the primary.
        editor = webtest.TestApp(app.app, extra_environ={"HTTP_HOST": "example.com"})
        login(editor, "ed")
        assert PRIMARY_ONLY in editor.get("/topics/pyramid").text
        # Once the replica lags more than the limit, anonymous reads go to the primary.
        monitor.max_lag = 0.5
        wait_for(lambda: PRIMARY_ONLY in app.get("/topics/pyramid").text, "reading the primary")
        assert app.get("/readyz").json["replica"]["state"] == "lagging"
    finally:
        monitor.max_lag = 60
        with primary.begin() as connection:
            connection.execute(
                text("UPDATE item_texts SET title = :t WHERE item_id = :i AND lang = 'id'"),
                {"t": old_title, "i": item_id},
            )


def test_an_edit_is_never_read_or_cached_old_from_a_replica_behind_it(site, clusters):
    app, monitor = site
    cached = webtest.TestApp(
        main({}, **{**app.app.registry.settings, "pybackend.page_cache": "true"}),
        extra_environ={"HTTP_HOST": "example.com"},
    )
    assert "Judul baru dari editor" not in cached.get("/topics/flask").text  # now in memory
    clusters.pause_replay()
    try:
        factory = app.app.registry["dbsession_factory"]
        with transaction.manager:
            session = models.get_tm_session(factory)
            item = session.get(
                Item, session.scalar(text("SELECT id FROM items WHERE slug = 'flask'"))
            )
            snapshot = editing.snapshot(item)
            texts = snapshot["texts"]
            texts["id"] = {**texts["id"], "title": "Judul baru dari editor"}
            fields = {name: snapshot[name] for name in editing.ITEM_FIELDS}
            draft = editing.Draft(fields=fields, texts=texts, links=list(snapshot["links"]))
            editing.update_item(session, item, item.version, draft, None)
        # The replica is behind this edit (its replay is paused, the lag limit is a
        # minute): both processes read the edit from the primary, and neither caches the
        # replica's old copy.
        assert "Judul baru dari editor" in app.get("/topics/flask").text
        wait_for(
            lambda: "Judul baru dari editor" in cached.get("/topics/flask").text,
            "the other process seeing the edit",
        )
        assert not monitor.usable(primary_generation(monitor.primary))
    finally:
        clusters.resume_replay()
    wait_for(lambda: monitor.usable(primary_generation(monitor.primary)), "the replica catching up")
    assert "Judul baru dari editor" in cached.get("/topics/flask").text


def test_reads_go_on_while_the_replica_is_down_and_return_to_it(site, clusters):
    app, monitor = site
    assert app.get("/readyz").json["replica"]["state"] == "ok"
    clusters.stop_replica()
    try:
        for path in ("/topics/django", "/topics", "/", "/search?q=django"):
            assert app.get(path).status_int == 200
        res = app.get("/readyz")
        assert res.json["status"] == "ok" and res.json["replica"]["state"] == "unreachable"
    finally:
        clusters.start_replica()
    wait_for(lambda: monitor.usable(), "the replica coming back")
    assert app.get("/readyz").json["replica"]["state"] == "ok"
    assert app.get("/topics/django").status_int == 200


def test_readyz_is_503_when_the_primary_is_read_only(clusters, primary, app_settings):
    settings = {**app_settings, "sqlalchemy.url": clusters.replica_url}
    app = webtest.TestApp(main({}, **settings), extra_environ={"HTTP_HOST": "example.com"})
    res = app.get("/readyz", status=503)
    assert res.json["database"] == "read-only"
