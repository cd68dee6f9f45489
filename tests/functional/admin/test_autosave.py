"""Autosave and recovery through the app: private, no revision, no page touched, offered
back with a diff, restored through the version check, discarded on request."""

import json

import pytest
from sqlalchemy import func, select

from pybackend.models import Autosave, ContentState, Item, Revision
from tests.functional.admin_helpers import csrf, logged_in, login, make_user

AUTOSAVE = "/admin/autosave"


@pytest.fixture
def editor(testapp, dbsession):
    return logged_in(testapp, dbsession)


def django(dbsession):
    return dbsession.scalars(select(Item).where(Item.type == "topic", Item.slug == "django")).one()


def edit_url(item):
    return f"/admin/topics/{item.id}"


def fields_of(form):
    return {name: form[name].value or "" for name in ("slug", "title", "summary", "body")}


def post_autosave(testapp, token, item, version, status=200, **fields):
    payload = {
        "item_type": "topic",
        "item_id": item.id if item is not None else None,
        "version": str(version) if version is not None else "",
        "fields": fields,
    }
    return testapp.post(
        AUTOSAVE,
        json.dumps(payload),
        headers={"X-CSRF-Token": token},
        content_type="application/json",
        status=status,
    )


def generation(dbsession):
    return dbsession.scalar(select(ContentState.generation))


def count(dbsession, model, *where):
    return dbsession.scalar(select(func.count()).select_from(model).where(*where))


def test_an_autosave_is_private_and_touches_no_revision_and_no_page(testapp, dbsession, editor):
    item = django(dbsession)
    page = testapp.get(edit_url(item))
    form = page.forms["item-form"]
    before = (generation(dbsession), count(dbsession, Revision), item.version)
    public = testapp.get("/topics/django").body
    res = post_autosave(
        testapp,
        csrf(page),
        item,
        form["version"].value,
        **{**fields_of(form), "body": "Teks baru yang belum disimpan."},
    )
    assert res.json["newer"] is False
    assert "no-store" in res.headers["Cache-Control"]
    dbsession.expire_all()
    assert (generation(dbsession), count(dbsession, Revision), item.version) == before
    assert "Teks baru yang belum disimpan." not in testapp.get("/topics/django").text
    assert testapp.get("/topics/django").body == public
    row = dbsession.scalars(select(Autosave)).one()
    assert row.user_id == editor.id and row.item_id == item.id
    assert row.data["body"] == "Teks baru yang belum disimpan."
    # A second autosave replaces the first: one row per editor and item.
    post_autosave(testapp, csrf(page), item, form["version"].value, body="Lagi.")
    assert count(dbsession, Autosave) == 1


def test_the_offer_shows_a_diff_and_restoring_saves_through_the_form(testapp, dbsession, editor):
    item = django(dbsession)
    page = testapp.get(edit_url(item))
    form = page.forms["item-form"]
    original = form["body"].value
    post_autosave(
        testapp,
        csrf(page),
        item,
        form["version"].value,
        **{**fields_of(form), "body": original + "\n\nParagraf tambahan."},
    )
    offer = testapp.get(edit_url(item))
    section = offer.html.find(id="recovery")
    assert section is not None
    assert "Paragraf tambahan" in section.find("ins").get_text()
    # The form itself still holds the saved text until the editor restores.
    assert offer.forms["item-form"]["body"].value == original
    restored = testapp.get(edit_url(item) + "?restore=autosave")
    form = restored.forms["item-form"]
    assert form["body"].value.endswith("Paragraf tambahan.")
    assert form["version"].value == str(item.version)
    form.submit("action", value="save", status=303)
    dbsession.expire_all()
    assert item.texts["id"].body.endswith("Paragraf tambahan.")
    assert count(dbsession, Autosave) == 0  # saved: nothing left to recover
    assert testapp.get(edit_url(item)).html.find(id="recovery") is None


def test_discard_needs_csrf_and_removes_only_the_autosave(testapp, dbsession, editor):
    item = django(dbsession)
    page = testapp.get(edit_url(item))
    post_autosave(
        testapp,
        csrf(page),
        item,
        item.version,
        **{**fields_of(page.forms["item-form"]), "title": "Judul lain"},
    )
    testapp.post("/admin/autosave/discard", {"item_type": "topic", "item_id": item.id}, status=400)
    assert count(dbsession, Autosave) == 1
    offer = testapp.get(edit_url(item))
    res = offer.forms["autosave-discard"].submit(status=303)
    assert res.location.endswith(edit_url(item))
    assert count(dbsession, Autosave) == 0
    dbsession.expire_all()
    assert item.texts["id"].title == "Django"


def test_an_autosave_meeting_a_newer_save_goes_to_the_merge_screen(
    testapp, dbsession, editor, app, tm
):
    from tests.conftest import joined_client

    item = django(dbsession)
    page = testapp.get(edit_url(item))
    mine = page.forms["item-form"]
    loaded = mine["version"].value
    # Someone else saves the body meanwhile.
    other = joined_client(app, tm, dbsession)
    make_user(dbsession, "other")
    login(other, "other")
    theirs = other.get(edit_url(item)).forms["item-form"]
    theirs["body"] = "Teks mereka."
    theirs.submit("action", value="save", status=303)
    res = post_autosave(
        testapp, csrf(page), item, loaded, **{**fields_of(mine), "body": "Teks saya."}
    )
    assert res.json["newer"] is True
    dbsession.expire_all()
    assert item.texts["id"].body == "Teks mereka."  # the autosave overwrote nothing
    offer = testapp.get(edit_url(item))
    assert "memulihkan akan membawa Anda ke layar penggabungan" in offer.text
    restored = testapp.get(edit_url(item) + "?restore=autosave").forms["item-form"]
    assert restored["version"].value == loaded
    merge = restored.submit("action", value="save", status=409)
    assert merge.forms["item-form"]["body"].value == "Teks saya."
    assert "Teks mereka." in merge.html.find(id="conflict").get_text()
    dbsession.expire_all()
    assert item.texts["id"].body == "Teks mereka."
    # Mine is kept until I save it: a refused save loses nothing.
    assert dbsession.scalars(select(Autosave)).one().data["body"] == "Teks saya."


def test_a_new_item_s_autosave_is_offered_on_the_new_form(testapp, dbsession, editor):
    page = testapp.get("/admin/topics/new")
    post_autosave(testapp, csrf(page), None, None, slug="baru", title="Topik baru", kind="library")
    offer = testapp.get("/admin/topics/new")
    assert offer.html.find(id="recovery") is not None
    form = testapp.get("/admin/topics/new?restore=autosave").forms["item-form"]
    assert form["title"].value == "Topik baru" and form["slug"].value == "baru"
    form.submit("action", value="draft", status=303)
    assert count(dbsession, Autosave) == 0
    assert dbsession.scalars(select(Item).where(Item.slug == "baru")).one().status == "draft"


def test_an_autosave_is_never_offered_to_another_editor(testapp, dbsession, editor, app, tm):
    from tests.conftest import joined_client

    item = django(dbsession)
    page = testapp.get(edit_url(item))
    post_autosave(testapp, csrf(page), item, item.version, title="Rahasia saya")
    other = joined_client(app, tm, dbsession)
    make_user(dbsession, "other")
    login(other, "other")
    page = other.get(edit_url(item))
    assert page.html.find(id="recovery") is None and "Rahasia saya" not in page.text
    assert (
        other.get(edit_url(item) + "?restore=autosave").forms["item-form"]["title"].value
        == "Django"
    )


def test_the_endpoint_needs_a_login_and_csrf(testapp, dbsession):
    item = django(dbsession)
    res = testapp.post(AUTOSAVE, "{}", content_type="application/json", status=303)
    assert "/login" in res.location
    logged_in(testapp, dbsession)
    testapp.post(
        AUTOSAVE,
        json.dumps({"item_type": "topic", "item_id": item.id, "fields": {}}),
        content_type="application/json",
        status=400,
    )
    testapp.post(
        AUTOSAVE,
        json.dumps({"item_type": "topic", "item_id": item.id, "fields": {}}),
        headers={"X-CSRF-Token": "wrong"},
        content_type="application/json",
        status=400,
    )
    assert count(dbsession, Autosave) == 0


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("{", "application/json", 400),
        ("[]", "application/json", 400),
        ('{"item_type": "page", "fields": {}}', "application/json", 400),
        ('{"item_type": "topic", "item_id": "1", "fields": {}}', "application/json", 400),
        ('{"item_type": "topic", "item_id": 999999, "fields": {}}', "application/json", 404),
        ('{"item_type": "topic", "fields": {"body": 5}}', "application/json", 400),
        ('{"item_type": "topic", "version": "x1", "fields": {}}', "application/json", 400),
        ('{"item_type": "topic", "fields": {}}', "text/plain", 415),
        (
            '{"item_type": "topic", "fields": {"body": "' + "a" * 100_001 + '"}}',
            "application/json",
            400,
        ),
        (
            '{"item_type": "topic", "fields": {"body": "' + "a" * 1_600_000 + '"}}',
            "application/json",
            413,
        ),
    ],
    ids=[
        "broken",
        "list",
        "type",
        "id-string",
        "no-item",
        "not-text",
        "version",
        "plain",
        "long-field",
        "too-big",
    ],
)
def test_bad_autosaves_are_refused_and_nothing_is_stored(
    testapp, dbsession, editor, body, content_type, status
):
    token = csrf(testapp.get("/admin/topics/new"))
    testapp.post(
        AUTOSAVE, body, headers={"X-CSRF-Token": token}, content_type=content_type, status=status
    )
    assert count(dbsession, Autosave) == 0


def test_unknown_fields_are_not_stored(testapp, dbsession, editor):
    token = csrf(testapp.get("/admin/topics/new"))
    post_autosave(
        testapp,
        token,
        None,
        None,
        title="T",
        csrf_token="x",
        evil="y",
        **{"links-0-target": "flask", "links-99-target": "x"},
    )
    assert dbsession.scalars(select(Autosave)).one().data == {
        "title": "T",
        "links-0-target": "flask",
    }
