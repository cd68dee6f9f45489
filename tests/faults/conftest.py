"""Fixtures of the fault suite: a seeded SQLite site served by ``pserve`` with the settings
production.ini ships (harness.py), and the file descriptors for many sockets."""

import contextlib
import resource
import shutil
import sqlite3

import pytest

from .databases import Cluster
from .harness import Server, environment, initialize, next_port, production_ini


@pytest.fixture(scope="session", autouse=True)
def many_sockets():
    """Room for 1 000+ client sockets in this process (and the servers it starts)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, 8192) if hard != resource.RLIM_INFINITY else 8192
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory):
    """A migrated, seeded SQLite file with editor "ed", made once and copied per use."""
    directory = tmp_path_factory.mktemp("seeded")
    path = directory / "site.sqlite"
    initialize(production_ini(directory, next_port()), environment(f"sqlite:///{path}"))
    with contextlib.closing(sqlite3.connect(path)) as db:  # all of it in the file we copy
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def sqlite_site(seeded_sqlite, tmp_path):
    """A copy of the seeded site for one test: (path, database URL, environment)."""
    path = tmp_path / "site.sqlite"
    shutil.copyfile(seeded_sqlite, path)
    url = f"sqlite:///{path}"
    return path, url, environment(url)


@pytest.fixture(scope="session")
def standalone(seeded_sqlite, tmp_path_factory):
    """pserve with production.ini's settings on a copy of the seeded site (read only)."""
    directory = tmp_path_factory.mktemp("standalone")
    path = directory / "site.sqlite"
    shutil.copyfile(seeded_sqlite, path)
    port = next_port()
    ini = production_ini(directory, port)
    server = Server(ini, port, environment(f"sqlite:///{path}"), directory / "log")
    yield server.start()
    server.stop()


@pytest.fixture
def serve(tmp_path):
    """serve(env, server=..., app=...): a started Server; stopped after the test."""
    servers = []

    def start(env, server=None, app=None):
        port = next_port()
        ini = production_ini(tmp_path, port, server=server, app=app)
        started = Server(ini, port, env, tmp_path / f"server-{port}.log").start()
        servers.append(started)
        return started

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def cluster():
    """The suite's own PostgreSQL cluster (databases.py), dropped at the end."""
    reason = Cluster.available()
    if reason:
        pytest.skip(reason)
    made = Cluster().create()
    yield made
    made.drop()


@pytest.fixture(scope="session")
def pg_site(cluster, tmp_path_factory):
    """The cluster's database, migrated and seeded, with editor "ed": (cluster, env)."""
    env = environment(cluster.url)
    initialize(production_ini(tmp_path_factory.mktemp("pg"), next_port()), env)
    return cluster, env


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request):
    """(database URL, environment) of a seeded site on each backend."""
    if request.param == "sqlite":
        _, url, env = request.getfixturevalue("sqlite_site")
        return url, env
    cluster, env = request.getfixturevalue("pg_site")
    return cluster.url, env
