"""Creating, editing, previewing and deleting topics and examples through the forms."""

import pytest
from sqlalchemy import func, select

from pybackend.models import Item, Link, Revision
from pybackend.services import content
from tests.factories import make_topic
from tests.functional.admin_helpers import csrf, logged_in


@pytest.fixture
def editor(testapp, dbsession):
    return logged_in(testapp, dbsession)


def count(dbsession, model, *where):
    return dbsession.scalar(select(func.count()).select_from(model).where(*where))


def new_topic_form(testapp, **values):
    page = testapp.get("/admin/topics/new")
    form = page.forms["item-form"]
    defaults = {
        "slug": "litestar",
        "kind": "framework",
        "title": "Litestar",
        "summary": "Framework ASGI.",
        "body": "Isi dengan [Flask](topic:flask).",
        "en_title": "Litestar",
        "en_summary": "An ASGI framework.",
        "en_body": "Body.",
    }
    for name, value in {**defaults, **values}.items():
        form[name] = value
    return form


def test_create_as_draft_then_publish(testapp, dbsession, editor):
    res = new_topic_form(testapp).submit("action", value="draft", status=303)
    item = dbsession.scalars(select(Item).where(Item.slug == "litestar")).one()
    assert item.status == "draft"
    page = res.follow()
    assert "Tersimpan: Litestar." in page.text
    testapp.get("/topics/litestar", status=404)  # drafts are not public
    page.forms["item-form"].submit("action", value="publish", status=303)
    assert testapp.get("/topics/litestar").html.h1.get_text() == "Litestar"
    assert [
        r.action
        for r in dbsession.scalars(
            select(Revision).where(Revision.item_id == item.id).order_by(Revision.number)
        )
    ] == ["create", "publish"]


def test_edit_form_has_the_fields_the_issue_names(testapp, editor):
    django = testapp.get("/topics/django")
    assert django.status_int == 200
    page = testapp.get("/admin/topics")
    link = page.html.find("a", string="Django")
    form = testapp.get(link["href"]).forms["item-form"]
    for name in (
        "title",
        "summary",
        "body",
        "slug",
        "comment",
        "version",
        "csrf_token",
        "en_title",
        "en_summary",
        "en_body",
    ):
        assert name in form.fields, name
    assert form["title"].value == "Django"


def test_invalid_post_is_400_with_input_kept_and_nothing_written(testapp, dbsession, editor):
    before = count(dbsession, Item)
    res = new_topic_form(testapp, slug="Not A Slug", title="").submit(
        "action", value="draft", status=400
    )
    assert count(dbsession, Item) == before
    form = res.forms["item-form"]
    assert form["slug"].value == "Not A Slug"
    assert form["en_summary"].value == "An ASGI framework."
    errors = {ul["id"] for ul in res.html.select(".field-errors")}
    assert {"slug-errors", "title-errors"} <= errors


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "a" * 201),
        ("slug", "a" * 101),
        ("summary", "x" * 301),
        ("title", "nul\x00byte"),
        ("body", "bell\x07"),
        ("title", "evil\u202etxt"),
        ("slug", "evil\u202e"),
        ("slug", "double--dash"),
        ("slug", "-start"),
        ("website", "javascript:alert(1)"),
        ("package", "bad name!"),
        ("kind", "nonsense"),
        ("body", "x" * 100_001),
    ],
)
def test_bad_values_are_refused(testapp, dbsession, editor, field, value):
    before = count(dbsession, Item)
    fields = dict(new_topic_form(testapp).submit_fields())
    fields.update({field: value, "action": "draft"})
    res = testapp.post("/admin/topics/new", fields, status=400)
    assert res.html.select(".field-errors")
    assert count(dbsession, Item) == before


def test_duplicated_fields_are_refused(testapp, dbsession, editor):
    page = testapp.get("/admin/topics/new")
    token = csrf(page)
    body = [
        ("csrf_token", token),
        ("slug", "dup"),
        ("slug", "dup2"),
        ("kind", "library"),
        ("title", "T"),
        ("action", "draft"),
    ]
    testapp.post("/admin/topics/new", body, status=400)
    assert count(dbsession, Item, Item.slug.in_(["dup", "dup2"])) == 0


def test_text_is_normalised_to_nfc(testapp, dbsession, editor):
    new_topic_form(testapp, title="Cafe\u0301").submit("action", value="draft", status=303)
    item = dbsession.scalars(select(Item).where(Item.slug == "litestar")).one()
    assert item.texts["id"].title == "Caf\u00e9"


def test_posted_id_version_and_status_fields_are_ignored(testapp, dbsession, editor):
    form = new_topic_form(testapp)
    fields = dict(form.submit_fields())
    fields.update(
        {
            "id": "1",
            "version": "999",
            "status": "published",
            "deleted_at": "x",
            "created_by": "1",
            "role": "admin",
            "action": "draft",
        }
    )
    testapp.post("/admin/topics/new", fields, status=303)
    item = dbsession.scalars(select(Item).where(Item.slug == "litestar")).one()
    assert item.status == "draft" and item.id != 1 and item.version < 999


def test_rename_keeps_the_old_address(testapp, dbsession, editor):
    topic = make_topic(dbsession, slug="lama")
    form = testapp.get(f"/admin/topics/{topic.id}").forms["item-form"]
    form["slug"] = "baru"
    form.submit("action", value="save", status=303)
    assert testapp.get("/topics/lama", status=301).location.endswith("/topics/baru")


def test_links_are_edited_on_the_example_form(testapp, dbsession, editor):
    page = testapp.get("/admin/examples")
    href = page.html.find("a", string="Spotify")["href"]
    form = testapp.get(href).forms["item-form"]
    # Replace the first link with Flask (by its slug, as typed) and a note, keep the others.
    form["links-0-target"] = "Flask "
    form["links-0-note_id"] = "API kecil"
    form["links-0-note_en"] = "A small API"
    form.submit("action", value="save", status=303)
    res = testapp.get("/en/examples/spotify")
    uses = res.html.find("section", attrs={"aria-labelledby": "uses"})
    assert "A small API" in uses.get_text()


def test_link_to_unknown_item_is_refused(testapp, dbsession, editor):
    form = testapp.get(
        testapp.get("/admin/examples").html.find("a", string="Reddit")["href"]
    ).forms["item-form"]
    form["links-0-target"] = "999999"
    res = form.submit("action", value="save", status=400)
    errors = res.html.select_one("#links-0-target-errors").get_text()
    assert "Tidak ada topik dengan slug 999999." in errors


def test_preview_without_javascript_saves_nothing(testapp, dbsession, editor):
    before = count(dbsession, Item)
    res = new_topic_form(testapp, body="**tebal** <script>x</script>").submit(
        "action", value="preview", status=200
    )
    preview = res.html.select_one(".preview .prose")
    assert preview.find("strong").get_text() == "tebal"
    assert preview.find("script") is None
    assert count(dbsession, Item) == before


def test_live_preview_endpoint(testapp, editor):
    page = testapp.get("/admin/topics/new")
    res = testapp.post(
        "/admin/preview",
        {"body": "[Django](topic:django)", "lang": "en"},
        headers={"X-CSRF-Token": csrf(page)},
    )
    assert res.json["html"] == '<p><a href="/en/topics/django">Django</a></p>\n'
    testapp.post("/admin/preview", {"body": "x"}, status=400)  # no CSRF token


def test_delete_shows_impact_then_trashes(testapp, dbsession, editor):
    django = dbsession.scalars(select(Item).where(Item.slug == "django")).one()
    page = testapp.get(f"/admin/topics/{django.id}/delete")
    assert "1 hubungan" in page.text or "hubungan" in page.text
    [form] = [f for f in page.forms.values() if f.action.endswith("/delete")]
    form.submit(status=303)
    testapp.get("/topics/django", status=404)
    assert django.deleted_at is not None
    assert count(dbsession, Link, Link.target_id == django.id) > 0  # links kept


def test_delete_needs_post(testapp, dbsession, editor):
    django = dbsession.scalars(select(Item).where(Item.slug == "django")).one()
    testapp.put(f"/admin/topics/{django.id}/delete", status=405)


def test_list_filters(testapp, dbsession, editor):
    make_topic(dbsession, slug="cari-saya", status="draft")
    res = testapp.get("/admin/topics?status=draft&q=cari")
    assert "cari-saya" in res.text and "django" not in res.text
    testapp.get("/admin/topics?status=bogus", status=400)
    testapp.get("/admin/topics?q=%25_%5C", status=200)


def test_unknown_and_huge_ids(testapp, editor):
    testapp.get("/admin/topics/999999", status=404)
    testapp.get("/admin/topics/99999999999999999999999", status=404)
    testapp.get("/admin/topics/0x10", status=404)


def test_topic_id_under_examples_is_404(testapp, dbsession, editor):
    django = dbsession.scalars(select(Item).where(Item.slug == "django")).one()
    testapp.get(f"/admin/examples/{django.id}", status=404)


def test_anonymous_is_sent_to_login(testapp, dbsession):
    django = content.public_item(dbsession, "topic", "django")
    for path in (
        "/admin/",
        "/admin/topics",
        "/admin/topics/new",
        f"/admin/topics/{django.id}",
        f"/admin/topics/{django.id}/delete",
    ):
        res = testapp.get(path, status=303)
        assert "/login?next=" in res.location
