"""The review step: a site setting for administrators; editors submit, administrators
approve (publish) or send back with a comment; every step a revision and an audit entry."""

import pytest
from sqlalchemy import func, select

from pybackend.models import AuditEntry, ReviewRequest, Revision
from pybackend.services import review
from tests.conftest import joined_client
from tests.factories import make_topic
from tests.functional.admin_helpers import csrf, logged_in, login, make_user


def count(dbsession, model, *where):
    return dbsession.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def admin(app, tm, dbsession):
    client = joined_client(app, tm, dbsession)
    make_user(dbsession, "boss", role="admin")
    login(client, "boss")
    return client


@pytest.fixture
def editor(testapp, dbsession):
    logged_in(testapp, dbsession)
    return testapp


def buttons(page):
    """The actions the edit form's buttons offer."""
    return [b["value"] for b in page.html.select("#item-form button[name=action]")]


def actions(dbsession, item):
    return [
        r.action
        for r in dbsession.scalars(
            select(Revision).where(Revision.item_id == item.id).order_by(Revision.number)
        )
    ]


def turn_on(admin):
    form = admin.get("/admin/settings").forms["settings-form"]
    form["review_required"] = True
    return form.submit(status=303)


def test_only_administrators_change_the_setting_and_it_is_audited(admin, editor, dbsession):
    editor.get("/admin/settings", status=403)
    assert "/admin/settings" not in editor.get("/admin/").text
    turn_on(admin)
    assert review.required(dbsession)
    assert count(dbsession, AuditEntry, AuditEntry.action == "settings.change") == 1
    token = csrf(editor.get("/admin/"))
    editor.post("/admin/settings", {"csrf_token": token}, status=403)
    admin.post("/admin/settings", {"review_required": "y"}, status=400)  # no CSRF token
    assert review.required(dbsession)


def test_an_editor_submits_and_an_administrator_approves(admin, editor, dbsession):
    turn_on(admin)
    item = make_topic(dbsession, status="draft")
    page = editor.get(f"/admin/topics/{item.id}")
    form = page.forms["item-form"]
    assert buttons(page) == ["preview", "save", "submit"]
    # Publishing directly is refused, with the text kept in the form.
    form["body"] = "Teks untuk ditinjau."
    fields = [*form.submit_fields(), ("action", "publish")]
    refused = editor.post(f"/admin/topics/{item.id}", fields, status=403)
    assert "ditinjau" in refused.text
    assert refused.forms["item-form"]["body"].value == "Teks untuk ditinjau."
    assert item.status == "draft"
    form.submit("action", value="submit", status=303)
    assert actions(dbsession, item) == ["update", "submit"]
    assert dbsession.get(ReviewRequest, item.id).state == "pending"
    assert "Menunggu tinjauan administrator" in editor.get("/admin/").text
    # The administrator sees it waiting and decides on the edit page.
    dashboard = admin.get("/admin/").html.find(id="review-title").parent
    assert item.slug in str(dashboard)
    decision = admin.get(f"/admin/topics/{item.id}").forms[f"review-form-{item.id}"]
    decision.submit("decision", value="approve", status=303)
    dbsession.expire_all()
    assert item.status == "published" and dbsession.get(ReviewRequest, item.id) is None
    assert actions(dbsession, item) == ["update", "submit", "approve"]
    assert editor.get(f"/topics/{item.slug}").status_int == 200
    assert count(dbsession, AuditEntry, AuditEntry.action == "content.approve") == 1


def test_sending_back_needs_a_comment_and_the_editor_sees_it(admin, editor, dbsession):
    turn_on(admin)
    item = make_topic(dbsession, status="draft")
    editor.get(f"/admin/topics/{item.id}").forms["item-form"].submit(
        "action", value="submit", status=303
    )
    decision = admin.get(f"/admin/topics/{item.id}").forms[f"review-form-{item.id}"]
    res = decision.submit("decision", value="return", status=400)
    assert "Tulis apa yang perlu diubah." in res.text
    decision["comment"] = "Tambahkan contoh kode."
    decision.submit("decision", value="return", status=303)
    assert dbsession.get(ReviewRequest, item.id).state == "returned"
    assert item.status == "draft"
    assert actions(dbsession, item)[-1] == "return"
    returned = editor.get("/admin/").html.find(id="returned-title").parent
    assert "Tambahkan contoh kode." in returned.get_text()


def test_editors_cannot_decide_and_a_stale_decision_is_refused(admin, editor, dbsession):
    turn_on(admin)
    item = make_topic(dbsession, status="draft")
    editor.get(f"/admin/topics/{item.id}").forms["item-form"].submit(
        "action", value="submit", status=303
    )
    token = csrf(editor.get("/admin/"))
    editor.post(
        f"/admin/topics/{item.id}/review",
        {"csrf_token": token, "decision": "approve", "version": str(item.version)},
        status=403,
    )
    decision = admin.get(f"/admin/topics/{item.id}").forms[f"review-form-{item.id}"]
    # The editor saves again after the administrator loaded the page.
    form = editor.get(f"/admin/topics/{item.id}").forms["item-form"]
    form["summary"] = "Diubah lagi."
    form.submit("action", value="save", status=303)
    res = decision.submit("decision", value="approve", status=409)
    assert "baru saja diubah" in res.text
    assert item.status == "draft"
    admin.post(
        f"/admin/topics/{item.id}/review",
        {"csrf_token": csrf(res), "decision": "maybe", "version": str(item.version)},
        status=400,
    )


def test_without_the_review_step_submit_is_refused(editor, dbsession):
    item = make_topic(dbsession, status="draft")
    form = editor.get(f"/admin/topics/{item.id}").forms["item-form"]
    assert "submit" not in [b.value for b in form.fields.get("action", [])]
    fields = [*form.submit_fields(), ("action", "submit")]
    res = editor.post(f"/admin/topics/{item.id}", fields, status=400)
    assert "Tahap tinjauan tidak aktif" in res.text
    assert count(dbsession, ReviewRequest) == 0


def published(dbsession, body):
    return make_topic(dbsession, texts={"id": ("Judul", "Ringkasan", body)}, status="published")


def live_text(editor, item):
    return editor.get(f"/topics/{item.slug}").html.select_one(".prose").get_text()


def test_an_editor_s_changes_to_a_published_page_wait_for_approval(admin, editor, dbsession):
    turn_on(admin)
    item = published(dbsession, "Teks yang terbit.")
    before = (item.version, live_text(editor, item))
    page = editor.get(f"/admin/topics/{item.id}")
    assert buttons(page) == ["preview", "save", "draft"]  # save sends for review
    assert "Ajukan perubahan untuk ditinjau" in page.text
    form = page.forms["item-form"]
    form["body"] = "Teks baru yang menunggu."
    form["comment"] = "usul"
    form.submit("action", value="save", status=303)
    dbsession.expire_all()
    # Readers see the page as it was; the item did not move.
    assert (item.version, live_text(editor, item)) == before
    assert "Teks baru yang menunggu." not in before[1]
    row = dbsession.get(ReviewRequest, item.id)
    assert (row.state, row.proposal) == ("pending", actions(dbsession, item).index("propose") + 1)
    assert count(dbsession, AuditEntry, AuditEntry.action == "content.propose") == 1
    # The editor goes on from their proposal, not from the live text.
    again = editor.get(f"/admin/topics/{item.id}")
    assert again.forms["item-form"]["body"].value == "Teks baru yang menunggu."
    assert "belum terbit" in again.text
    # The administrator sees the published text in the form and the proposal linked.
    page = admin.get(f"/admin/topics/{item.id}")
    assert page.forms["item-form"]["body"].value == "Teks yang terbit."
    proposal = page.html.select_one("p.proposal a")["href"]
    assert "Teks baru yang menunggu." in admin.get(proposal).text
    page.forms[f"review-form-{item.id}"].submit("decision", value="approve", status=303)
    dbsession.expire_all()
    assert "Teks baru yang menunggu." in live_text(editor, item)
    assert item.version > before[0] and item.status == "published"
    assert actions(dbsession, item)[-2:] == ["propose", "approve"]
    assert dbsession.get(ReviewRequest, item.id) is None


def test_a_proposal_made_stale_by_a_later_save_is_not_approved(admin, editor, dbsession):
    turn_on(admin)
    item = published(dbsession, "Awal.")
    form = editor.get(f"/admin/topics/{item.id}").forms["item-form"]
    form["body"] = "Usulan editor."
    form.submit("action", value="save", status=303)
    # An administrator saves the live page meanwhile.
    page = admin.get(f"/admin/topics/{item.id}")
    mine = page.forms["item-form"]
    mine["title"] = "Judul dari admin"
    mine.submit("action", value="save", status=303)
    decision = admin.get(f"/admin/topics/{item.id}").forms[f"review-form-{item.id}"]
    decision.submit("decision", value="approve", status=409)
    dbsession.expire_all()
    assert item.text("id").title == "Judul dari admin" and item.text("id").body == "Awal."
    assert dbsession.get(ReviewRequest, item.id).state == "pending"  # still waiting


def test_an_editor_cannot_revert_a_published_page_past_review(admin, editor, dbsession):
    turn_on(admin)
    item = published(dbsession, "Versi satu.")
    page = admin.get(f"/admin/topics/{item.id}").forms["item-form"]
    page["body"] = "Versi dua."
    page.submit("action", value="save", status=303)
    dbsession.expire_all()
    first = dbsession.scalars(
        select(Revision).where(Revision.item_id == item.id).order_by(Revision.number)
    ).first()
    history = editor.get(f"/admin/topics/{item.id}/history")
    editor.post(
        f"/admin/topics/{item.id}/revisions/{first.number}/restore",
        {"csrf_token": csrf(history), "version": str(item.version)},
        status=303,
    )
    dbsession.expire_all()
    assert item.text("id").body == "Versi dua."  # still live
    assert dbsession.get(ReviewRequest, item.id).proposal is not None
