"""Pyramid's own tools on this app: pshell, pviews, proutes, ptweens and prequest."""

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from pyramid.scripting import prepare
from pyramid.scripts.pviews import PViewsCommand

from tests.functional.admin_helpers import make_user
from tests.functional.test_headers import every_get_path

BIN = os.path.dirname(sys.executable)


@pytest.fixture
def run_tool(ini_file, database_url, dbengine):
    """Run a console script of the venv on testing.ini and the test database (seeded)."""

    def run(tool, *args, options=(), stdin=None):
        env = {**os.environ, "DATABASE_URL": database_url}
        return subprocess.run(
            [os.path.join(BIN, tool), *options, ini_file, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )

    return run


def test_pshell_has_the_transaction_manager_a_session_and_the_models(run_tool):
    script = (
        "print('topics', len(dbsession.scalars(select(Topic)).all()))\n"
        "print('tm', type(tm).__name__, 'models', models.Item is Item)\n"
    )
    done = run_tool("pshell", options=["-p", "python"], stdin=script)
    assert done.returncode == 0, done.stderr
    count = int(done.stdout.split("topics ", 1)[1].split()[0])
    assert count >= 1
    assert "tm ThreadTransactionManager models True" in done.stdout


def test_pviews_finds_the_view_of_a_topic_page(run_tool):
    done = run_tool("pviews", "/topics/django")
    assert done.returncode == 0, done.stderr
    assert "route name: topic" in done.stdout
    assert "pybackend.views.topics.topic_detail" in done.stdout


def test_proutes_lists_every_route(run_tool, app):
    done = run_tool("proutes")
    assert done.returncode == 0, done.stderr
    names = {line.split()[0] for line in done.stdout.splitlines()[2:] if line.strip()}
    routes = {route.name for route in app.routes_mapper.get_routes()}
    assert routes <= names


def test_ptweens_shows_our_tweens_in_order(run_tool):
    done = run_tool("ptweens")
    assert done.returncode == 0, done.stderr
    chain = done.stdout.split("Implicit Tween Chain", 1)[1]
    order = [
        "pybackend.proxies.proxy_tween_factory",
        "pybackend.telemetry.telemetry_tween_factory",
        "pybackend.headers.headers_tween_factory",
        "pybackend.hosts.host_check_tween_factory",
        "pybackend.services.cache.page_cache_tween_factory",
        "pyramid_tm.tm_tween_factory",
    ]
    positions = [chain.index(name) for name in order]
    assert positions == sorted(positions)


def test_prequest_renders_a_page_through_the_whole_stack(run_tool):
    done = run_tool("prequest", "/en/examples/spotify", options=["-d"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("200 OK")
    assert "Content-Security-Policy:" in done.stdout
    assert "<title>Spotify · pybackend</title>" in done.stdout


def tool_environment(app, dbsession, user):
    """The tools' bootstrap, on the test app and transaction, logged in as ``user``.

    The admin area's route factories refuse an anonymous request before any view is
    looked up, so pviews needs someone logged in there, as a browser would.
    """

    def bootstrap(config_uri, options=None, request=None):
        request.environ["app.dbsession"] = dbsession
        request.environ["HTTP_HOST"] = "example.com"
        env = prepare(request=request, registry=app.registry)
        request.user_session = SimpleNamespace(user=user, user_id=user.id)
        return env

    return bootstrap


def test_pviews_finds_a_view_for_every_route(app, dbsession):
    user = make_user(dbsession, "ada", role="admin")  # the account pages load one
    dbsession.flush()
    bootstrap = tool_environment(app, dbsession, user)
    missing = []
    for path in every_get_path(app):
        if path == "/admin/users/1":
            path = f"/admin/users/{user.id}"
        command = PViewsCommand(["pviews", "testing.ini", path], quiet=True)
        command.bootstrap = bootstrap
        command.setup_logging = lambda *a, **k: None
        shown = []
        command.out = shown.append
        assert command.run() == 0, path
        if not any("View:" in line for line in shown):
            missing.append(path)
    assert missing == []
