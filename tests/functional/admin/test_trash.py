"""The trash: deleted items are listed and come back with their links (DATA-3)."""

import pytest
from sqlalchemy import func, select

from pybackend.models import Link, Revision
from pybackend.services import editing
from tests.factories import make_example, make_link, make_topic
from tests.functional.admin_helpers import csrf, logged_in


@pytest.fixture
def editor(testapp, dbsession):
    return logged_in(testapp, dbsession)


@pytest.fixture
def trashed(dbsession, editor):
    """An example that uses a topic, deleted by the editor."""
    topic = make_topic(dbsession, slug="kerangka")
    example = make_example(
        dbsession, slug="toko-daring", texts={"id": ("Toko daring", "Ringkas.", "Isi.")}
    )
    make_link(dbsession, example, topic, note_id="untuk API")
    editing.record_revision(dbsession, example, "create", None)
    editing.delete_item(dbsession, example, example.version, editor, comment="salah")
    return example


def count(dbsession, model, *where):
    return dbsession.scalar(select(func.count()).select_from(model).where(*where))


def test_deleted_items_are_listed(testapp, trashed):
    page = testapp.get("/admin/trash")
    row = page.html.find("code", string="toko-daring").find_parent("tr")
    cells = [cell.get_text(" ", strip=True) for cell in row.find_all("td")]
    assert cells[0] == "Contoh"
    assert cells[1] == "Toko daring"
    assert cells[3].endswith("UTC")
    assert cells[4] == "ed"
    form = row.find("form")
    assert form["method"] == "post"
    assert form["action"] == f"/admin/trash/{trashed.id}/restore"
    assert form.find("input", attrs={"name": "csrf_token"})["value"]


def test_live_items_are_not_in_the_trash(testapp, dbsession, trashed):
    make_topic(dbsession, slug="masih-hidup")
    page = testapp.get("/admin/trash")
    assert "masih-hidup" not in page.text


def test_empty_trash(testapp, editor):
    page = testapp.get("/admin/trash")
    assert "Tempat sampah kosong." in page.text


def test_restore_brings_the_item_back_with_its_links(testapp, dbsession, trashed):
    testapp.get("/examples/toko-daring", status=404)
    links = count(dbsession, Link, Link.source_id == trashed.id)
    assert links == 1
    page = testapp.get("/admin/trash")
    res = testapp.post(f"/admin/trash/{trashed.id}/restore", {"csrf_token": csrf(page)}, status=303)
    assert res.location.endswith("/admin/trash")
    after = res.follow()
    assert "Dipulihkan: Toko daring." in after.text
    assert "toko-daring" not in after.html.find("div", class_="admin-main").get_text()
    assert trashed.deleted_at is None
    assert count(dbsession, Link, Link.source_id == trashed.id) == links
    public = testapp.get("/examples/toko-daring")
    assert public.status_int == 200
    assert "kerangka" in public.text  # the link to the topic is shown again
    actions = list(
        dbsession.scalars(
            select(Revision.action).where(Revision.item_id == trashed.id).order_by(Revision.number)
        )
    )
    assert actions == ["create", "delete", "restore"]


def test_restoring_a_live_item_changes_nothing(testapp, dbsession, editor):
    live = make_topic(dbsession)
    page = testapp.get("/admin/trash")
    before = count(dbsession, Revision)
    res = testapp.post(f"/admin/trash/{live.id}/restore", {"csrf_token": csrf(page)}, status=303)
    assert "tidak ada di tempat sampah" in res.follow().text
    assert count(dbsession, Revision) == before


def test_restore_without_csrf_is_400(testapp, dbsession, trashed):
    testapp.post(f"/admin/trash/{trashed.id}/restore", {}, status=400)
    testapp.post(f"/admin/trash/{trashed.id}/restore", {"csrf_token": "x"}, status=400)
    assert trashed.deleted_at is not None


def test_restore_is_post_only_and_404_for_unknown(testapp, dbsession, trashed):
    testapp.get(f"/admin/trash/{trashed.id}/restore", status=405)
    page = testapp.get("/admin/trash")
    testapp.post("/admin/trash/999999999/restore", {"csrf_token": csrf(page)}, status=404)


def test_trash_page_numbers(testapp, editor):
    testapp.get("/admin/trash?page=2", status=404)
    testapp.get("/admin/trash?page=abc", status=400)
