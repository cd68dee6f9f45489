"""Fixtures of the fault suite: a seeded SQLite site served by ``pserve`` with the settings
production.ini ships (harness.py), and the file descriptors for many sockets."""

import resource

import pytest

from .harness import Server, environment, initialize, next_port, production_ini


@pytest.fixture(scope="session", autouse=True)
def many_sockets():
    """Room for 1 000+ client sockets in this process (and the servers it starts)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, 8192) if hard != resource.RLIM_INFINITY else 8192
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


@pytest.fixture(scope="module")
def sqlite_site(tmp_path_factory):
    """A seeded SQLite database with editor "ed": (directory, database URL, environment)."""
    directory = tmp_path_factory.mktemp("site")
    url = f"sqlite:///{directory}/site.sqlite"
    env = environment(url)
    initialize(production_ini(directory, next_port()), env)
    return directory, url, env


@pytest.fixture(scope="module")
def standalone(sqlite_site, tmp_path_factory):
    """pserve with production.ini's settings on the module's SQLite site."""
    directory = tmp_path_factory.mktemp("standalone")
    port = next_port()
    server = Server(production_ini(directory, port), port, sqlite_site[2], directory / "log")
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
