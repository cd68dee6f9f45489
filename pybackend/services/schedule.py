"""Scheduled publishing and expiry, applied on time by the processes that serve the site.

Every process's cache clock (services/cache.py, TagClock) already asks the database
about once a second what changed; it also asks for the earliest pending schedule (one
read of a partial index). When one is due, a short-lived thread applies it, each
schedule in its own transaction that first claims the row (``UPDATE ... WHERE done_at IS
NULL``): several processes may notice the same schedule, exactly one claims it. The
change itself goes through services/editing.py, so its revision, audit entry, stored
pages, cache keys, feeds, sitemap and search follow as for any save.
``pybackend-content INI publish-due`` does the same for operators who prefer a timer.
"""

import datetime as dt
import logging
import threading

import transaction
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import selectinload

from ..models import Item, ItemText, Schedule, get_tm_session
from . import audit, clock, editing

log = logging.getLogger(__name__)

ACTIONS = ("publish", "unpublish")
STATUS = {"publish": "published", "unpublish": "draft"}
_EARLIEST = text("SELECT min(due_at) FROM schedules WHERE done_at IS NULL")


def pending_for(dbsession, item):
    return list(
        dbsession.scalars(
            select(Schedule)
            .where(Schedule.item_id == item.id, Schedule.done_at.is_(None))
            .order_by(Schedule.due_at, Schedule.id)
        )
    )


def upcoming(dbsession, limit, offset=0):
    """Pending schedules, soonest first (the dashboard)."""
    return list(
        dbsession.scalars(
            select(Schedule)
            .where(Schedule.done_at.is_(None))
            .order_by(Schedule.due_at, Schedule.id)
            .offset(offset)
            .limit(limit)
            .options(
                selectinload(Schedule.item)
                .selectinload(Item.texts)
                .load_only(ItemText.lang, ItemText.title),
                selectinload(Schedule.user),
            )
        )
    )


def _describe(changes):
    return "; ".join(f"{action} {due:%Y-%m-%d %H:%M} UTC" for action, due in changes)


def set_times(dbsession, item, user, times, comment=""):
    """Replace the item's pending schedules by ``times`` ({"publish": dt|None, ...}).

    A revision (action ``schedule``) and an audit entry record it; no page changes.
    """
    now = clock.now()
    for row in pending_for(dbsession, item):
        row.done_at, row.outcome = now, "replaced"
    changes = [(action, times[action]) for action in ACTIONS if times.get(action)]
    for action, due in changes:
        dbsession.add(Schedule(item_id=item.id, action=action, due_at=due, user_id=user.id))
    dbsession.flush()
    summary = _describe(changes) or "cancelled"
    return editing.log_change(
        dbsession, item, "schedule", user, comment or summary, schedule=summary
    )


def earliest(connection):
    value = connection.execute(_EARLIEST).scalar()
    return clock.aware(dt.datetime.fromisoformat(value) if isinstance(value, str) else value)


def due_ids(dbsession, now):
    return list(
        dbsession.scalars(
            select(Schedule.id)
            .where(Schedule.done_at.is_(None), Schedule.due_at <= now)
            .order_by(Schedule.due_at, Schedule.id)
        )
    )


def claim(dbsession, schedule_id, now, outcome="applied"):
    """Take the schedule for this transaction; False if another process already did."""
    result = dbsession.execute(
        update(Schedule)
        .where(Schedule.id == schedule_id, Schedule.done_at.is_(None))
        .values(done_at=now, outcome=outcome)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def apply_one(dbsession, schedule_id, now):
    """Claim and apply one schedule in the caller's transaction; the outcome, or None."""
    if not claim(dbsession, schedule_id, now):
        return None
    schedule = dbsession.get(Schedule, schedule_id, populate_existing=True)
    item = dbsession.get(Item, schedule.item_id)
    status = STATUS[schedule.action]
    if item.deleted_at is not None or item.status == status:
        schedule.outcome = "skipped"
        audit.record(
            dbsession,
            f"schedule.{schedule.action}.skipped",
            user=schedule.user,
            obj=item,
            slug=item.slug,
            schedule=schedule.id,
        )
        return "skipped"
    editing.set_status(
        dbsession,
        item,
        status,
        schedule.user,
        schedule.action,
        f"scheduled {schedule.due_at:%Y-%m-%d %H:%M} UTC",
        scheduled=schedule.id,
    )
    return "applied"


def publish_due(session_factory, now=None, manager=None):
    """Apply every due schedule, each in its own transaction; the number applied."""
    manager = manager or transaction.manager
    now = now or clock.now()
    with manager:
        ids = due_ids(get_tm_session(session_factory), now)
    applied = 0
    for schedule_id in ids:
        try:
            with manager:
                outcome = apply_one(get_tm_session(session_factory), schedule_id, now)
        except Exception:
            log.exception("applying schedule %s failed", schedule_id)
            with manager:
                claim(get_tm_session(session_factory), schedule_id, now, outcome="failed")
            continue
        applied += outcome == "applied"
    return applied


class Scheduler:
    """Applies due schedules in a thread of its own, when the cache clock sees one."""

    def __init__(self, session_factory):
        self.session_factory = session_factory
        self.thread = None
        self.lock = threading.Lock()

    def check(self, connection):
        """A TagClock poll hook: start applying if a schedule is due (never waits for it)."""
        due = earliest(connection)
        if due is None or due > clock.now():
            return False
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._run, name="pybackend-schedule", daemon=True
                )
                self.thread.start()
        return True

    def _run(self):
        try:
            publish_due(self.session_factory)
        except Exception:
            log.exception("applying due schedules failed")

    def wait(self, timeout=10):
        """Until the current run is over (tests)."""
        thread = self.thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()


def count_pending(dbsession):
    return dbsession.scalar(
        select(func.count()).select_from(Schedule).where(Schedule.done_at.is_(None))
    )


def includeme(config):
    scheduler = Scheduler(config.registry["dbsession_factory"])
    config.registry["pybackend.scheduler"] = scheduler
    config.registry.setdefault("tag_clock_hooks", []).append(scheduler.check)
