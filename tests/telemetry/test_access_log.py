"""One access-log line per request, through logging; waitress's queue warnings bounded."""

import json
import logging
import os
import subprocess
import sys
import textwrap

import pytest
import webtest

from pybackend import main
from pybackend.telemetry.logfilters import RateLimitFilter
from tests.conftest import joined_client
from tests.functional.admin_helpers import logged_in

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def cached_app(app_settings, dbengine):
    return main({}, dbengine=dbengine, **{**app_settings, "pybackend.page_cache": "true"})


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger="pybackend.access")

    def read():
        records = [r for r in caplog.records if r.name == "pybackend.access"]
        caplog.clear()
        return records

    return read


def test_a_line_for_each_request_with_its_cache_outcome(cached_app, lines):
    client = webtest.TestApp(cached_app, extra_environ={"HTTP_HOST": "example.com"})
    lines()
    first = client.get("/topics/django")
    client.get("/topics/django")
    client.get("/topics/django", headers={"If-None-Match": first.headers["ETag"]}, status=304)
    client.get("/nowhere", status=404)
    records = lines()
    assert len(records) == 4
    assert records[0].cache in ("miss", "store")  # rendered now, or from rendered_pages
    assert [r.cache for r in records[1:3]] == ["hit", "304"]
    page = records[0]
    assert page.request_id == first.headers["X-Request-Id"]
    assert (page.method, page.route, page.path, page.status) == (
        "GET",
        "topic",
        "/topics/django",
        200,
    )
    assert page.bytes == len(first.body)
    assert page.duration_ms >= 0 and page.user == "-"
    assert page.getMessage().startswith(f"{page.request_id} GET topic /topics/django 200 ")
    assert page.getMessage().endswith(" -")
    assert (records[3].route, records[3].status, records[3].cache) == ("-", 404, "bypass")


def test_the_user_id_of_a_logged_in_editor(app, tm, dbsession, lines):
    client = joined_client(app, tm, dbsession)
    user = logged_in(client, dbsession, "ada", "editor")
    lines()
    client.get("/admin/")
    (record,) = lines()
    assert (record.route, record.user, record.cache) == ("admin.home", user.id, "bypass")
    assert record.getMessage().endswith(f" bypass {user.id}")


def test_a_path_cannot_forge_a_line(testapp, lines):
    lines()
    testapp.get("/topics/x%0a1.2.3.4%20GET%20admin", status=404)
    (record,) = lines()
    assert "\n" not in record.getMessage()
    assert "\\x0a" in record.path


def test_production_ini_writes_json_lines(tmp_path):
    """The ini's logging sections: python-json-logger, every field of the access line."""
    script = textwrap.dedent(
        f"""
        import logging
        from pyramid.paster import setup_logging
        setup_logging({os.path.join(ROOT, "production.ini")!r})
        fields = dict(request_id="r1", method="GET", route="topic", path="/topics/django",
                      status=200, bytes=10, duration_ms=1.5, cache="hit", user="-")
        logging.getLogger("pybackend.access").info("%(request_id)s", fields, extra=fields)
        logging.getLogger("pybackend.anything").debug("not at INFO in production")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    (line,) = done.stderr.splitlines()
    record = json.loads(line)
    assert record["message"] == "r1" and record["name"] == "pybackend.access"
    assert (record["route"], record["status"], record["cache"]) == ("topic", 200, "hit")


def test_the_queue_depth_flood_is_one_line_per_interval_with_a_count():
    now = [100.0]
    limit = RateLimitFilter(interval=10, clock=lambda: now[0])
    logger = logging.getLogger("test.queue")
    kept = []

    class Keep(logging.Handler):
        def emit(self, record):
            kept.append(record.getMessage())

    handler = Keep()
    logger.addHandler(handler)
    logger.addFilter(limit)
    logger.propagate = False
    try:
        for depth in range(1, 1001):
            logger.warning("Task queue depth is %d", depth)
            now[0] += 0.25  # 1 000 warnings over 250 s
        now[0] += 10
        logger.warning("Task queue depth is %d", 1)
    finally:
        logger.removeHandler(handler)
        logger.removeFilter(limit)
    assert len(kept) == 26
    assert kept[0] == "Task queue depth is 1"
    assert kept[1] == "Task queue depth is 41 (39 more like it in the last 10 s)"
    assert kept[-1].startswith("Task queue depth is 1 (")


def test_the_waitress_runner_puts_the_filter_on_waitress_queue_logger():
    from pybackend.telemetry.logfilters import limit_queue_warnings

    queue = logging.getLogger("waitress.queue")
    try:
        limit_queue_warnings(10)
        limit_queue_warnings(5)  # again: replaced, not stacked
        filters = [f for f in queue.filters if isinstance(f, RateLimitFilter)]
        assert [f.interval for f in filters] == [5]
        limit_queue_warnings(0)
        assert not [f for f in queue.filters if isinstance(f, RateLimitFilter)]
    finally:
        limit_queue_warnings(0)
