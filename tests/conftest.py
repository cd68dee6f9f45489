"""Fixtures, after the starter template: the schema comes from the migrations, each test
runs in a transaction that is rolled back.

Database tests run on SQLite, and a second time on PostgreSQL when TEST_DATABASE_URL is set.
"""

import os

import alembic.command
import alembic.config
import pytest
import transaction
import webtest
from pyramid.scripting import prepare
from pyramid.testing import DummyRequest, testConfig
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from pybackend import main, models
from pybackend.services import passwords
from pybackend.services.seed import load_seed
from tests.scripts.databases import app_settings_for

# Argon2id at full strength costs ~0.2 s a hash; the tests hash hundreds of times. The
# production parameters are checked in tests/services/test_passwords.py.
passwords.configure_hasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)

# The environment must not point the tests at a real database.
os.environ.pop("DATABASE_URL", None)
os.environ.pop("PYBACKEND_SECRET", None)

HERE = os.path.dirname(__file__)
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session")
def ini_file():
    return os.path.abspath(os.path.join(HERE, "..", "testing.ini"))


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def database_url(backend, tmp_path_factory):
    if backend == "postgresql":
        return os.environ["TEST_DATABASE_URL"]
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


@pytest.fixture(scope="session")
def app_settings(ini_file, database_url, tmp_path_factory):
    return app_settings_for(ini_file, database_url, tmp_path_factory.mktemp("images"))


def run_migrations(connection, ini_file, revision="head", direction="upgrade"):
    cfg = alembic.config.Config(ini_file)
    cfg.attributes["connection"] = connection
    getattr(alembic.command, direction)(cfg, revision)


def drop_everything(engine):
    """Leave nothing behind from an earlier run (PostgreSQL keeps its data)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # Wait for whatever still holds a lock, as long as it takes (the app's
            # statement timeout is for requests).
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        models.Base.metadata.drop_all(bind=connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def dbengine(app_settings, ini_file):
    engine = models.get_engine(app_settings)
    drop_everything(engine)
    with engine.begin() as connection:
        run_migrations(connection, ini_file)
    with Session(bind=engine) as session:
        load_seed(session)
        session.commit()
    yield engine
    drop_everything(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def app(app_settings, dbengine):
    return main({}, dbengine=dbengine, **app_settings)


@pytest.fixture
def tm():
    tm = transaction.manager
    tm.begin()
    tm.doom()
    yield tm
    tm.abort()


@pytest.fixture
def dbsession(app, tm):
    session_factory = app.registry["dbsession_factory"]
    return models.get_tm_session(session_factory)


def joined_client(app, tm, dbsession):
    """A WebTest client whose requests join the test's transaction (rolled back after)."""
    return webtest.TestApp(
        app,
        extra_environ={
            "HTTP_HOST": "example.com",
            "tm.active": True,
            "tm.manager": tm,
            "app.dbsession": dbsession,
        },
    )


@pytest.fixture
def testapp(app, tm, dbsession):
    # Everything the app does in a test joins the test's transaction, which is rolled back.
    return joined_client(app, tm, dbsession)


@pytest.fixture
def app_request(app, tm, dbsession):
    """A real request for testing services that need one, joined to the test transaction."""
    with prepare(registry=app.registry) as env:
        request = env["request"]
        request.host = "example.com"
        request.dbsession = dbsession
        request.tm = tm
        yield request


@pytest.fixture
def dummy_request(tm, dbsession):
    request = DummyRequest()
    request.host = "example.com"
    request.dbsession = dbsession
    request.tm = tm
    return request


@pytest.fixture
def dummy_config(dummy_request):
    with testConfig(request=dummy_request) as config:
        yield config


def table_names(connection):
    return set(inspect(connection).get_table_names())
