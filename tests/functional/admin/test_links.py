"""Links on the edit form: slug fields checked on the server (no list of every topic in
the page), the lookup endpoint behind the picker, and a form whose size does not grow
with the number of topics."""

import pytest
from sqlalchemy import func, select

from pybackend.models import Item, Link, Revision
from pybackend.services import editing
from pybackend.services.lookup import LOOKUP_LIMIT
from tests.factories import bulk_topics, make_example, make_topic
from tests.functional.admin_helpers import csrf, logged_in

MANY = 3000


@pytest.fixture
def editor(testapp, dbsession):
    return logged_in(testapp, dbsession)


def by_slug(dbsession, slug, item_type="topic"):
    return dbsession.scalars(select(Item).where(Item.type == item_type, Item.slug == slug)).one()


def links_of(dbsession, item):
    return [(link.target.slug, link.kind, link.note_id) for link in editing.item_links(item)]


def revision_count(dbsession, item):
    return dbsession.scalar(
        select(func.count()).select_from(Revision).where(Revision.item_id == item.id)
    )


def edit_form(testapp, item):
    return testapp.get(f"/admin/{item.type}s/{item.id}").forms["item-form"]


def target_errors(res, row=0):
    errors = res.html.select_one(f"#links-{row}-target-errors")
    assert errors is not None, "no error next to the slug field"
    field = res.html.select_one(f"#links-{row}-target")
    assert field["aria-invalid"] == "true"
    assert f"links-{row}-target-errors" in field["aria-describedby"].split()
    return errors.get_text(" ", strip=True)


# ---------- The edit form does not grow with the number of topics ----------


def test_edit_form_size_does_not_grow_with_the_number_of_topics(testapp, dbsession, editor):
    django = by_slug(dbsession, "django")
    spotify = by_slug(dbsession, "spotify", "example")
    few = {
        item.id: len(testapp.get(f"/admin/{item.type}s/{item.id}").body)
        for item in (django, spotify)
    }
    new_few = len(testapp.get("/admin/topics/new").body)

    bulk_topics(dbsession, MANY)
    assert dbsession.scalar(select(func.count()).select_from(Item)) > MANY
    for item in (django, spotify):
        page = testapp.get(f"/admin/{item.type}s/{item.id}")
        assert len(page.body) < 100_000
        # The same page, give or take a few bytes (the CSRF token, a version number).
        assert abs(len(page.body) - few[item.id]) < 200, (len(page.body), few[item.id])
        assert "massal-0" not in page.text  # no topic is listed in the page
        assert page.html.select("select[name$='-target']") == []
    assert abs(len(testapp.get("/admin/topics/new").body) - new_few) < 200


def test_link_rows_are_slug_fields_with_the_current_links(testapp, dbsession, editor):
    spotify = by_slug(dbsession, "spotify", "example")
    form = edit_form(testapp, spotify)
    current = [slug for slug, _kind, _note in links_of(dbsession, spotify)]
    assert current
    shown = [form[f"links-{n}-target"].value for n in range(len(current))]
    assert shown == current
    # Three empty rows to add links, all plain text fields.
    assert form[f"links-{len(current)}-target"].value == ""
    field = testapp.get(f"/admin/examples/{spotify.id}").html.select_one("#links-0-target")
    assert field.name == "input" and field["type"] == "text"


# ---------- Without JavaScript: slugs checked on the server ----------


def test_a_valid_slug_saves_the_link(testapp, dbsession, editor):
    topic = make_topic(dbsession, slug="tanpa-tautan")
    form = edit_form(testapp, topic)
    form["links-0-target"] = "  Django "  # as typed: trimmed and lowered
    form["links-0-kind"] = "alternative_to"
    form["links-0-note_id"] = "Sama-sama kerangka web."
    form.submit("action", value="save", status=303)
    assert links_of(dbsession, topic) == [("django", "alternative_to", "Sama-sama kerangka web.")]
    latest = dbsession.scalars(
        select(Revision).where(Revision.item_id == topic.id).order_by(Revision.number.desc())
    ).first()
    assert [(link["target_slug"], link["kind"]) for link in latest.data["links"]] == [
        ("django", "alternative_to")
    ]
    # The form shows it again as a slug.
    assert edit_form(testapp, topic)["links-0-target"].value == "django"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("tidak-ada-xyz", "Tidak ada topik dengan slug tidak-ada-xyz."),
        ("Bukan Slug!", "Bukan slug"),
        ("100%_x", "Bukan slug"),
        ("spotify", "Tidak ada topik dengan slug spotify."),  # an example, not a topic
    ],
)
def test_an_unknown_slug_is_a_400_with_the_input_kept_and_nothing_written(
    testapp, dbsession, editor, typed, message
):
    reddit = by_slug(dbsession, "reddit", "example")
    before = (links_of(dbsession, reddit), reddit.version, revision_count(dbsession, reddit))
    form = edit_form(testapp, reddit)
    form["title"] = "Reddit diubah"
    form["links-0-target"] = typed
    res = form.submit("action", value="save", status=400)
    assert message in target_errors(res)
    assert res.html.select_one("#form-errors") is not None
    kept = res.forms["item-form"]
    assert kept["links-0-target"].value == typed.strip().lower()
    assert kept["title"].value == "Reddit diubah"
    dbsession.refresh(reddit)
    after = (links_of(dbsession, reddit), reddit.version, revision_count(dbsession, reddit))
    assert after == before
    assert reddit.texts["id"].title == "Reddit"


def test_a_self_link_is_refused(testapp, dbsession, editor):
    django = by_slug(dbsession, "django")
    before = links_of(dbsession, django)
    form = edit_form(testapp, django)
    empty_row = len(before)  # the first of the empty rows
    form[f"links-{empty_row}-target"] = "django"
    res = form.submit("action", value="save", status=400)
    assert "Halaman tidak dapat menautkan dirinya sendiri." in target_errors(res, empty_row)
    assert links_of(dbsession, django) == before


def test_a_duplicate_link_is_refused(testapp, dbsession, editor):
    example = make_example(dbsession, slug="ganda")
    form = edit_form(testapp, example)
    form["links-0-target"] = "flask"
    form["links-1-target"] = "flask"
    res = form.submit("action", value="save", status=400)
    assert "Tautan ke flask ini sudah ada di baris lain." in target_errors(res, 1)
    assert links_of(dbsession, example) == []


def test_a_trashed_topic_cannot_be_linked(testapp, dbsession, editor):
    gone = make_topic(dbsession, slug="sudah-dihapus")
    editing.delete_item(dbsession, gone, gone.version, editor)
    example = make_example(dbsession, slug="pemakai")
    form = edit_form(testapp, example)
    form["links-0-target"] = "sudah-dihapus"
    res = form.submit("action", value="save", status=400)
    assert "Tidak ada topik dengan slug sudah-dihapus." in target_errors(res)
    assert (
        dbsession.scalar(select(func.count()).select_from(Link).where(Link.target_id == gone.id))
        == 0
    )


def test_a_new_example_links_topics_by_slug(testapp, dbsession, editor):
    form = testapp.get("/admin/examples/new").forms["item-form"]
    form["slug"] = "contoh-baru"
    form["title"] = "Contoh baru"
    form["website"] = "https://contoh.example/"
    form["links-0-target"] = "flask"
    form["links-0-note_id"] = "API-nya."
    form["links-1-target"] = "celery"
    form.submit("action", value="publish", status=303)
    example = by_slug(dbsession, "contoh-baru", "example")
    assert links_of(dbsession, example) == [("flask", "uses", "API-nya."), ("celery", "uses", "")]


# ---------- GET /admin/lookup: the picker's suggestions ----------


def lookup(testapp, status=200, **params):
    return testapp.get("/admin/lookup", {"type": "topic", **params}, status=status)


def test_lookup_matches_slug_and_title_prefixes(testapp, dbsession, editor):
    django = by_slug(dbsession, "django")
    drf = by_slug(dbsession, "django-rest-framework")
    res = lookup(testapp, q="dja")
    assert res.content_type == "application/json"
    assert "no-store" in res.headers["Cache-Control"]
    assert "private" in res.headers["Cache-Control"]
    assert res.json == {
        "results": [
            {"id": django.id, "slug": "django", "title": "Django"},
            {"id": drf.id, "slug": "django-rest-framework", "title": "Django REST Framework"},
        ]
    }
    # Titles, whatever the case; a prefix, not a substring.
    make_topic(dbsession, slug="zzz-lain", texts={"id": ("Penjadwal Tugas", "", "")})
    assert [r["slug"] for r in lookup(testapp, q="PENJAD").json["results"]] == ["zzz-lain"]
    assert lookup(testapp, q="jadwal").json["results"] == []
    assert lookup(testapp, q="").json["results"] == []
    # Topics only for type=topic; examples are another type.
    assert lookup(testapp, q="spotify").json["results"] == []
    assert [r["slug"] for r in lookup(testapp, type="example", q="spot").json["results"]] == [
        "spotify"
    ]


def test_lookup_leaves_out_the_item_edited_and_the_trash(testapp, dbsession, editor):
    django = by_slug(dbsession, "django")
    drf = by_slug(dbsession, "django-rest-framework")
    slugs = [r["slug"] for r in lookup(testapp, q="django").json["results"]]
    assert slugs == ["django", "django-rest-framework"]
    results = lookup(testapp, q="django", exclude=str(django.id)).json["results"]
    assert [r["slug"] for r in results] == ["django-rest-framework"]
    editing.delete_item(dbsession, drf, drf.version, editor)
    assert lookup(testapp, q="django", exclude=str(django.id)).json["results"] == []
    gone = make_topic(dbsession, slug="djangoish")
    assert "djangoish" in [r["slug"] for r in lookup(testapp, q="djangoi").json["results"]]
    editing.delete_item(dbsession, gone, gone.version, editor)
    assert lookup(testapp, q="djangoi").json["results"] == []


def test_lookup_is_bounded_and_ordered_by_slug(testapp, dbsession, editor):
    bulk_topics(dbsession, MANY)
    results = lookup(testapp, q="massal-0").json["results"]
    assert len(results) == LOOKUP_LIMIT
    assert [r["slug"] for r in results] == [f"massal-{n:05d}" for n in range(LOOKUP_LIMIT)]
    # By title: "Massal 12", "Massal 120"… all start with "massal 12".
    titles = [r["title"] for r in lookup(testapp, q="Massal 12").json["results"]]
    assert titles and len(titles) <= LOOKUP_LIMIT
    assert all(title.startswith("Massal 12") for title in titles)
    assert lookup(testapp, q="massal-02999").json["results"][0]["title"] == "Massal 2999"


@pytest.mark.parametrize(
    "params",
    [
        {"type": "user", "q": "a"},
        {"type": "", "q": "a"},
        {"type": ["topic", "topic"], "q": "a"},
        {"type": "topic", "q": "x" * 101},
        {"type": "topic", "q": "a\x00b"},
        {"type": "topic", "q": "a", "exclude": "abc"},
        {"type": "topic", "q": "a", "exclude": "9" * 30},
    ],
)
def test_lookup_refuses_bad_parameters(testapp, editor, params):
    testapp.get("/admin/lookup", params, status=400)


def test_lookup_needs_an_editor(testapp, dbsession):
    res = testapp.get("/admin/lookup", {"type": "topic", "q": "dja"}, status=303)
    assert "/login?next=" in res.location
    res = testapp.get(
        "/admin/lookup",
        {"type": "topic", "q": "dja"},
        headers={"Accept": "application/json"},
        status=303,
    )
    assert "/login?next=" in res.location


def test_lookup_answers_no_one_after_logout(testapp, dbsession, editor):
    assert lookup(testapp, q="dja").json["results"]
    testapp.post("/logout", {"csrf_token": csrf(testapp.get("/admin/"))}, status=303)
    res = testapp.get("/admin/lookup", {"type": "topic", "q": "dja"}, status=303)
    assert "/login?next=" in res.location
