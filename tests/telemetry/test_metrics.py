"""/metrics: Prometheus text, from allowed addresses only, summed over processes."""

import os
import subprocess
import sys
import textwrap

import pytest
import transaction
import webtest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from pybackend import main, models
from pybackend.models import Item

ALLOWED = {"REMOTE_ADDR": "127.0.0.1"}


def make_client(app_settings, dbengine, **overrides):
    settings = {
        **app_settings,
        "pybackend.page_cache": "true",
        "pybackend.metrics_allow": "127.0.0.1 10.0.0.0/8",
        **overrides,
    }
    return webtest.TestApp(
        main({}, dbengine=dbengine, **settings), extra_environ={"HTTP_HOST": "example.com"}
    )


@pytest.fixture
def client(app_settings, dbengine):
    return make_client(app_settings, dbengine, **{"pybackend.generation_ttl": "0"})


def samples(client):
    res = client.get("/metrics", extra_environ=ALLOWED)
    assert res.content_type == "text/plain"
    found = {}
    for family in text_string_to_metric_families(res.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found, name, **labels):
    return found.get((name, tuple(sorted(labels.items()))), 0)


def test_requests_latency_and_cache_outcomes(client):
    client.get("/topics/django")
    client.get("/topics/django")
    client.get("/nowhere", status=404)
    found = samples(client)
    count = "pybackend_request_duration_seconds_count"
    assert value(found, count, route="topic", status="200") == 2
    assert value(found, count, route="-", status="404") == 1
    buckets = [k for k in found if k[0] == "pybackend_request_duration_seconds_bucket"]
    assert len(buckets) >= 10
    assert value(found, "pybackend_page_cache_total", outcome="hit") == 1
    assert (
        value(found, "pybackend_page_cache_total", outcome="miss")
        + value(found, "pybackend_page_cache_total", outcome="store")
        == 1
    )
    assert ("pybackend_db_pool_checked_out", ()) in found
    assert ("pybackend_db_pool_idle", ()) in found


def test_metrics_are_never_cached(client):
    first = client.get("/metrics", extra_environ=ALLOWED)
    second = client.get("/metrics", extra_environ=ALLOWED)
    assert first.headers["Cache-Control"] == "no-store"
    assert "ETag" not in second.headers and "Surrogate-Key" not in second.headers
    assert (
        'pybackend_request_duration_seconds_count{route="metrics",status="200"} 1.0' in second.text
    )


def test_search_time(client):
    client.get("/search?q=django")
    client.get("/api/v1/search?q=flask&lang=en")
    found = samples(client)
    assert value(found, "pybackend_search_duration_seconds_count", lang="id") == 1
    assert value(found, "pybackend_search_duration_seconds_count", lang="en") == 1


def test_invalidation_lag_after_an_edit(client):
    factory = client.app.registry["dbsession_factory"]
    client.get("/topics/django")

    def set_title(title):
        with transaction.manager:
            session = models.get_tm_session(factory)
            item = session.scalars(select(Item).where(Item.slug == "django")).one()
            previous, item.texts["id"].title = item.texts["id"].title, title
        return previous

    before = value(samples(client), "pybackend_invalidation_lag_seconds_count")
    previous = set_title("Django (lag)")
    try:
        assert "Django (lag)" in client.get("/topics/django").text
        found = samples(client)
        assert value(found, "pybackend_invalidation_lag_seconds_count") == before + 1
        assert value(found, "pybackend_invalidation_lag_seconds_sum") < 60
    finally:
        set_title(previous)


@pytest.mark.parametrize(
    ("environ", "headers"),
    [
        ({"REMOTE_ADDR": "192.0.2.7"}, {}),
        ({}, {}),  # no address at all
        # A trusted proxy on this host forwarding a reader from outside.
        ({"REMOTE_ADDR": "127.0.0.1"}, {"X-Forwarded-For": "203.0.113.9"}),
    ],
)
def test_other_addresses_get_a_404(app_settings, dbengine, environ, headers):
    client = make_client(app_settings, dbengine, **{"pybackend.trusted_proxies": "127.0.0.1"})
    res = client.get("/metrics", extra_environ=environ, headers=headers, status=404)
    assert "pybackend_request_duration_seconds" not in res.text


def test_allowed_behind_a_trusted_proxy(app_settings, dbengine):
    client = make_client(app_settings, dbengine, **{"pybackend.trusted_proxies": "127.0.0.1"})
    res = client.get(
        "/metrics",
        extra_environ={"REMOTE_ADDR": "127.0.0.1"},
        headers={"X-Forwarded-For": "10.1.2.3"},
    )
    assert "pybackend_request_duration_seconds" in res.text


def test_several_processes_share_one_directory(tmp_path, ini_file, database_url, dbengine):
    """Two processes serve requests; a third answers /metrics with the sum of both."""
    directory = tmp_path / "metrics"
    directory.mkdir()
    script = textwrap.dedent(
        f"""
        import sys, webtest
        from pyramid.paster import get_appsettings
        from pybackend import main
        settings = get_appsettings({ini_file!r})
        settings["pybackend.metrics_dir"] = {str(directory)!r}
        settings["pybackend.metrics_allow"] = "127.0.0.1"
        host = {{"HTTP_HOST": "example.com"}}
        client = webtest.TestApp(main({{}}, **settings), extra_environ=host)
        for _ in range(int(sys.argv[1])):
            client.get("/healthz")
        if sys.argv[2] == "show":
            print(client.get("/metrics", extra_environ={{"REMOTE_ADDR": "127.0.0.1"}}).text)
        """
    )
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)

    def run(requests, show):
        done = subprocess.run(
            [sys.executable, "-c", script, str(requests), show],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run(2, "no")
    run(3, "no")
    shown = run(1, "show")
    assert 'pybackend_request_duration_seconds_count{route="healthz",status="200"} 6.0' in shown
    # The live gauges of the two processes that exited are gone; the third's remain.
    live = [name for name in os.listdir(directory) if name.startswith("gauge_live")]
    assert live == []  # the third exited too, and said so
