"""Bulk actions: a confirmation that lists what changes, one transaction, a revision and
an audit entry per item, bounded at any size of the list."""

import pytest
from sqlalchemy import func, select

from pybackend.models import AuditEntry, Item, Revision
from pybackend.services import bulk, editing
from tests.factories import bulk_topics, make_topic
from tests.functional.admin_helpers import csrf, logged_in


@pytest.fixture
def editor(testapp, dbsession):
    return logged_in(testapp, dbsession)


@pytest.fixture
def drafts(dbsession):
    items = [make_topic(dbsession, f"massa-draf-{n}", status="draft") for n in range(3)]
    editing.ensure_initial_revisions(dbsession)
    return items


def count(dbsession, model, *where):
    return dbsession.scalar(select(func.count()).select_from(model).where(*where))


def confirm_page(testapp, action, ids=(), scope="selected", url="/admin/topics", **filters):
    page = testapp.get(url, params=filters)
    form = {"csrf_token": csrf(page), "action": action, "scope": scope, **filters}
    form["ids"] = [str(i) for i in ids]
    return testapp.post(url.rstrip("/") + "/bulk", form)


def confirm(testapp, page, status=303):
    form = page.html.find("input", attrs={"name": "confirm"}).find_parent("form")
    fields = [(i["name"], i.get("value", "")) for i in form.find_all("input") if i.get("name")]
    return testapp.post(form["action"], fields, status=status)


def test_publish_the_checked_rows(testapp, dbsession, editor, drafts):
    chosen = drafts[:2]
    page = confirm_page(testapp, "publish", [item.id for item in chosen])
    listed = [code.text for code in page.html.select("table code")]
    assert listed == ["massa-draf-0", "massa-draf-1"]
    assert all(item.status == "draft" for item in drafts)  # nothing before confirming
    confirm(testapp, page)
    assert [item.status for item in drafts] == ["published", "published", "draft"]
    for item in chosen:
        assert count(dbsession, Revision, Revision.item_id == item.id, Revision.action == "publish")
        assert count(dbsession, AuditEntry, AuditEntry.object_id == item.id,
                     AuditEntry.action == "content.publish")  # fmt: skip
    testapp.get("/topics/massa-draf-0", status=200)  # invalidated: readers see it at once


def test_all_matching_a_filter_then_trash_and_restore(testapp, dbsession, editor, drafts):
    page = confirm_page(testapp, "trash", scope="all", q="massa-draf")
    assert len(page.html.select("table code")) == 3
    confirm(testapp, page)
    assert all(item.deleted_at is not None for item in drafts)
    page = confirm_page(testapp, "restore", [drafts[0].id], url="/admin/trash")
    confirm(testapp, page)
    assert drafts[0].deleted_at is None and drafts[1].deleted_at is not None
    assert count(dbsession, Revision, Revision.action == "restore") == 1


def test_items_changed_since_the_confirmation_are_left_alone(testapp, dbsession, editor, drafts):
    page = confirm_page(testapp, "publish", [item.id for item in drafts])
    editing.set_status(dbsession, drafts[0], "draft", editor, comment="someone else")
    res = confirm(testapp, page).follow()
    assert "diubah orang lain" in res.text
    assert drafts[0].status == "draft"
    assert [item.status for item in drafts[1:]] == ["published", "published"]


def test_items_already_in_that_state_are_not_listed(testapp, dbsession, editor, drafts):
    page = confirm_page(testapp, "unpublish", [item.id for item in drafts])
    assert page.html.find("input", attrs={"name": "confirm"}) is None
    assert "Tidak ada halaman yang akan berubah" in page.text


def test_bad_input(testapp, dbsession, editor, drafts):
    page = testapp.get("/admin/topics")
    token = csrf(page)
    testapp.post("/admin/topics/bulk", {"action": "publish", "ids": "1"}, status=400)  # no CSRF
    for form in (
        {"action": "purge", "ids": str(drafts[0].id)},
        {"action": "restore", "ids": str(drafts[0].id)},  # only from the trash
        {"action": "publish", "ids": "x"},
        {"action": "publish", "scope": "everything"},
        {"action": "publish", "confirm": "1", "item": "1:x"},
        {"action": "publish", "confirm": "1"},
        {"action": "publish", "confirm": "1", "item": f"{drafts[0].id}:1", "comment": "a\x00b"},
        {"action": "publish", "status": "gone", "scope": "all"},
    ):
        testapp.post("/admin/topics/bulk", {"csrf_token": token, **form}, status=400)
    res = testapp.post(
        "/admin/topics/bulk", {"csrf_token": token, "action": "publish"}, status=303
    ).follow()
    assert "Pilih dulu" in res.text
    assert all(item.status == "draft" for item in drafts)


def test_anonymous_is_sent_to_login(testapp, drafts):
    page = testapp.get("/login")
    res = testapp.post(
        "/admin/topics/bulk", {"csrf_token": csrf(page), "action": "publish"}, status=303
    )
    assert "/login" in res.location


def test_all_matching_is_bounded_and_says_so(testapp, dbsession, editor):
    bulk_topics(dbsession, bulk.MAX_ITEMS + 5, prefix="banyak")
    page = confirm_page(testapp, "unpublish", scope="all", q="banyak", status="published")
    rows = page.html.select("table tbody tr")
    assert len(rows) == bulk.MAX_ITEMS
    assert f"paling banyak {bulk.MAX_ITEMS}" in page.text
    confirm(testapp, page)
    left = count(dbsession, Item, Item.slug.startswith("banyak-"), Item.status == "published")
    assert left == 5


def bulk_choices(testapp):
    select_ = testapp.get("/admin/topics").html.find("select", id="bulk-action")
    return [option["value"] for option in select_.find_all("option")]


def test_with_review_on_editors_submit_in_bulk_and_cannot_publish(
    testapp, dbsession, editor, drafts
):
    from pybackend.models import ReviewRequest
    from pybackend.services import review

    assert bulk_choices(testapp) == ["publish", "unpublish", "trash"]
    review.set_required(dbsession, None, True)
    assert bulk_choices(testapp) == ["submit", "unpublish", "trash"]
    # Publishing past the review step is refused, even by a hand-made POST.
    page = testapp.get("/admin/topics")
    res = testapp.post(
        "/admin/topics/bulk",
        {"csrf_token": csrf(page), "action": "publish", "scope": "selected",
         "ids": [str(drafts[0].id)]},
        status=403,
    )  # fmt: skip
    assert "ditinjau" in res.text
    # The first is waiting already: only the other two are listed, and submitted.
    review.submit(dbsession, drafts[0], editor)
    page = confirm_page(testapp, "submit", [item.id for item in drafts])
    assert [code.text for code in page.html.select("table code")] == [
        "massa-draf-1",
        "massa-draf-2",
    ]
    confirm(testapp, page)
    rows = dbsession.scalars(select(ReviewRequest).order_by(ReviewRequest.item_id)).all()
    assert [(row.item_id, row.state, row.submitted_by) for row in rows] == [
        (item.id, "pending", editor.id) for item in drafts
    ]
    assert [item.status for item in drafts] == ["draft"] * 3  # submitted, not published
    for item in drafts[1:]:
        assert count(dbsession, Revision, Revision.item_id == item.id, Revision.action == "submit")
    assert count(dbsession, AuditEntry, AuditEntry.action == "bulk.submit") == 1


def test_submitting_in_bulk_needs_the_review_step_on(testapp, dbsession, editor, drafts):
    page = testapp.get("/admin/topics")
    testapp.post(
        "/admin/topics/bulk",
        {"csrf_token": csrf(page), "action": "submit", "scope": "selected",
         "ids": [str(drafts[0].id)]},
        status=400,
    )  # fmt: skip
