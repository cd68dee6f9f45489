"""Scheduled publishing across processes: two app instances share the test database, as
two waitress processes share one in production. Each due schedule is applied exactly
once, by whichever process notices it first, and every process then serves the change.
"""

import datetime as dt
import os
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import transaction
from sqlalchemy import func, select, text

from pybackend import models
from pybackend.models import Item, Revision, Schedule
from pybackend.services import clock, schedule
from tests.functional.test_invalidation import Site, make_app, settle


@pytest.fixture(scope="module")
def apps(app_settings, dbengine):
    with dbengine.connect() as connection:
        last_audit = connection.scalar(text("SELECT max(id) FROM audit_log")) or 0
    yield make_app(app_settings, dbengine), make_app(app_settings, dbengine)
    # The items are purged with their history and schedules; their audit entries go too.
    with dbengine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE id > :n"), {"n": last_audit})


@pytest.fixture
def site(apps):
    site = Site(apps[0])
    yield site
    site.cleanup()  # purging an item removes its schedules and revisions


def due_now(site, item_id, action="publish"):
    def add(session):
        row = Schedule(item_id=item_id, action=action, due_at=clock.now() - dt.timedelta(seconds=1))
        session.add(row)
        session.flush()
        return row.id

    return site.run(add)


def facts(site, item_id, schedule_id):
    def read(session):
        item = session.get(Item, item_id)
        actions = list(
            session.scalars(
                select(Revision.action).where(Revision.item_id == item_id).order_by(Revision.number)
            )
        )
        row = session.get(Schedule, schedule_id)
        return item.status, actions, row.outcome, row.done_at is not None

    return site.run(read)


def test_two_processes_racing_for_one_schedule_apply_it_once(apps, site):
    item_id, slug = site.topic("Terjadwal", publish=False)
    schedule_id = due_now(site, item_id)
    factories = [app.app.registry["dbsession_factory"] for app in apps]
    start = threading.Barrier(2)
    results = []

    def run(factory):
        start.wait()
        results.append(schedule.publish_due(factory))

    threads = [threading.Thread(target=run, args=(f,)) for f in factories]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [0, 1]
    assert facts(site, item_id, schedule_id) == (
        "published",
        ["create", "publish"],
        "applied",
        True,
    )
    for app in apps:
        settle(app, f"/topics/{slug}", lambda res: res.status_int == 200)


def test_a_reader_s_request_applies_a_due_schedule_and_every_process_follows(apps, site):
    item_id, slug = site.topic("Kedaluwarsa", publish=True)
    first, second = apps
    settle(second, f"/topics/{slug}", lambda res: res.status_int == 200)
    schedule_id = due_now(site, item_id, action="unpublish")
    # Any anonymous request lets the process's cache clock look; it starts the work.
    scheduler = second.app.registry["pybackend.scheduler"]
    settle(second, "/", lambda res: scheduler.thread is not None)
    assert scheduler.wait(30)
    assert facts(site, item_id, schedule_id)[:3] == ("draft", ["create", "unpublish"], "applied")
    for app in (first, second):
        settle(app, f"/topics/{slug}", lambda res: res.status_int == 404)
        settle(app, "/sitemap.xml", lambda res: slug not in res.text)
        settle(app, "/feed.atom", lambda res: f"/topics/{slug}" not in res.text)


def timer_command(ini):
    """deploy/pybackend-publish-due.service's ExecStart, on this venv and ``ini``."""
    unit = (Path(__file__).parents[2] / "deploy" / "pybackend-publish-due.service").read_text()
    (line,) = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    argv = shlex.split(line.removeprefix("ExecStart="))
    assert argv[0] == "/srv/pybackend/venv/bin/pybackend-content"
    assert argv[1] == "/etc/pybackend/production.ini"
    return [str(Path(sys.executable).parent / "pybackend-content"), str(ini), *argv[2:]]


def test_the_timer_s_command_applies_what_is_due(apps, site, tmp_path, backend, database_url):
    from tests.scripts.databases import write_ini

    item_id, slug = site.topic("Lewat perintah", publish=False)
    schedule_id = due_now(site, item_id)
    ini = write_ini(tmp_path, database_url)
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        timer_command(ini), capture_output=True, text=True, env=environ, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "Applied 1 due schedules." in done.stdout
    assert facts(site, item_id, schedule_id)[:3] == ("published", ["create", "publish"], "applied")
    settle(apps[1], f"/topics/{slug}", lambda res: res.status_int == 200)
    search = settle(apps[1], "/search?q=perintah", lambda res: slug in res.text)
    assert search.status_int == 200
    with transaction.manager:
        session = models.get_tm_session(apps[0].app.registry["dbsession_factory"])
        assert (
            session.scalar(
                select(func.count())
                .select_from(Schedule)
                .where(Schedule.item_id == item_id, Schedule.done_at.is_(None))
            )
            == 0
        )
