"""Publish and unpublish times through the edit page: set, refused, listed, cancelled,
and applied (once) through the normal save path."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from pybackend.models import AuditEntry, ContentState, Revision, Schedule
from pybackend.services import clock, review, schedule
from tests.factories import make_topic
from tests.functional.admin_helpers import csrf, logged_in


@pytest.fixture
def editor(testapp, dbsession):
    return logged_in(testapp, dbsession)


def count(dbsession, model, *where):
    return dbsession.scalar(select(func.count()).select_from(model).where(*where))


def later(**delta):
    return (clock.now() + dt.timedelta(**delta)).strftime("%Y-%m-%d %H:%M")


def schedule_form(testapp, item):
    page = testapp.get(f"/admin/topics/{item.id}")
    return page.forms[f"schedule-form-{item.id}"]


def test_a_draft_gets_a_publish_and_an_unpublish_time(testapp, dbsession, editor):
    item = make_topic(dbsession, status="draft")
    generation = dbsession.scalar(select(ContentState.generation))
    form = schedule_form(testapp, item)
    form["publish_at"] = later(days=1)
    form["unpublish_at"] = later(days=8)
    page = form.submit("schedule", value="save", status=303).follow()
    assert "Jadwal disimpan." in page.text
    rows = schedule.pending_for(dbsession, item)
    assert [row.action for row in rows] == ["publish", "unpublish"]
    assert rows[0].user_id == editor.id
    revision = dbsession.scalars(select(Revision).where(Revision.item_id == item.id)).one()
    assert revision.action == "schedule" and "publish" in revision.comment
    assert (
        count(
            dbsession,
            AuditEntry,
            AuditEntry.action == "content.schedule",
            AuditEntry.object_id == item.id,
        )
        == 1
    )
    # Setting a time changes nothing readers see: no page is invalidated.
    assert dbsession.scalar(select(ContentState.generation)) == generation
    # The edit page and the dashboard list it, in UTC.
    section = page.html.find(id="schedule-title").parent
    assert "UTC" in section.get_text() and "Terbit" in section.get_text()
    dashboard = testapp.get("/admin/").html.find(id="scheduled-title").parent
    assert item.slug in str(dashboard) and "UTC" in dashboard.get_text()


@pytest.mark.parametrize(
    ("publish", "unpublish", "message"),
    [
        (later(minutes=-5), "", "sudah lewat"),
        ("besok pagi", "", "TTTT-BB-HH jj:mm"),
        (later(days=2), later(days=1), "sesudah waktu terbit"),
        ("", later(days=1), "belum terbit"),
        ("", "", "Isi waktu terbit"),
    ],
    ids=["past", "malformed", "unpublish-first", "unpublish-a-draft", "empty"],
)
def test_bad_times_are_form_errors_and_nothing_is_written(
    testapp, dbsession, editor, publish, unpublish, message
):
    item = make_topic(dbsession, status="draft")
    form = schedule_form(testapp, item)
    form["publish_at"] = publish
    form["unpublish_at"] = unpublish
    res = form.submit("schedule", value="save", status=400)
    assert message in res.text
    assert res.forms[f"schedule-form-{item.id}"]["publish_at"].value == publish
    assert count(dbsession, Schedule) == 0
    assert count(dbsession, Revision, Revision.item_id == item.id) == 0


def test_a_published_item_cannot_get_a_publish_time(testapp, dbsession, editor):
    item = make_topic(dbsession)
    form = schedule_form(testapp, item)
    form["publish_at"] = later(days=1)
    assert "sudah terbit" in form.submit("schedule", value="save", status=400).text


def test_schedules_need_csrf_and_a_login(testapp, dbsession):
    item = make_topic(dbsession, status="draft")
    url = f"/admin/topics/{item.id}/schedule"
    res = testapp.post(url, {"schedule": "save", "publish_at": later(days=1)}, status=303)
    assert "/login" in res.location
    logged_in(testapp, dbsession)
    testapp.post(url, {"schedule": "save", "publish_at": later(days=1)}, status=400)
    testapp.post(
        url, {"schedule": "nonsense", "csrf_token": csrf(testapp.get("/admin/"))}, status=400
    )
    assert count(dbsession, Schedule) == 0


def test_with_the_review_step_an_editor_cannot_schedule_a_publish(testapp, dbsession, editor):
    review.set_required(dbsession, None, True)
    item = make_topic(dbsession, status="draft")
    form = schedule_form(testapp, item)
    form["publish_at"] = later(days=1)
    assert "ditinjau" in form.submit("schedule", value="save", status=403).text
    assert count(dbsession, Schedule) == 0


def test_cancelling_is_a_revision_too(testapp, dbsession, editor):
    item = make_topic(dbsession, status="draft")
    form = schedule_form(testapp, item)
    form["publish_at"] = later(days=1)
    form.submit("schedule", value="save", status=303)
    schedule_form(testapp, item).submit("schedule", value="cancel", status=303)
    assert schedule.pending_for(dbsession, item) == []
    actions = [
        r.comment
        for r in dbsession.scalars(
            select(Revision).where(Revision.item_id == item.id).order_by(Revision.number)
        )
    ]
    assert actions[-1] == "cancelled"


def test_a_due_schedule_is_applied_once_through_the_save_path(testapp, dbsession, editor):
    item = make_topic(dbsession, status="draft")
    testapp.get(f"/topics/{item.slug}", status=404)
    row = Schedule(
        item_id=item.id,
        action="publish",
        user_id=editor.id,
        due_at=clock.now() - dt.timedelta(seconds=1),
    )
    dbsession.add(row)
    dbsession.flush()
    generation = dbsession.scalar(select(ContentState.generation))
    assert schedule.apply_one(dbsession, row.id, clock.now()) == "applied"
    assert schedule.apply_one(dbsession, row.id, clock.now()) is None  # claimed already
    dbsession.flush()
    assert item.status == "published"
    revision = dbsession.scalars(
        select(Revision).where(Revision.item_id == item.id).order_by(Revision.number.desc())
    ).first()
    assert (revision.action, revision.user_id) == ("publish", editor.id)
    assert (
        count(
            dbsession,
            AuditEntry,
            AuditEntry.action == "content.publish",
            AuditEntry.object_id == item.id,
        )
        == 1
    )
    # The change went through the session: pages, feeds and the sitemap follow.
    assert testapp.get(f"/topics/{item.slug}").status_int == 200
    assert item.slug in testapp.get("/feed.atom").text
    assert dbsession.scalar(select(ContentState.generation)) >= generation


def test_a_schedule_for_a_trashed_item_is_skipped(dbsession):
    item = make_topic(dbsession, status="draft", deleted_at=clock.now())
    row = Schedule(item_id=item.id, action="publish", due_at=clock.now())
    dbsession.add(row)
    dbsession.flush()
    assert schedule.apply_one(dbsession, row.id, clock.now()) == "skipped"
    assert item.status == "draft" and row.outcome == "skipped"
