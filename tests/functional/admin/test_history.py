"""An item's history: revisions, one revision, word diffs, restoring an old one (DATA-2)."""

import pytest
from sqlalchemy import func, select

from pybackend.models import Revision
from pybackend.services import editing
from tests.factories import make_example, make_topic
from tests.functional.admin_helpers import csrf, logged_in


@pytest.fixture
def editor(testapp, dbsession):
    return logged_in(testapp, dbsession)


def edit_body(dbsession, item, user, body, comment=""):
    """Save a new Indonesian body through the editing service, as the edit form does."""
    snap = editing.snapshot(item)
    texts = {lang: {n: v[n] for n in editing.TEXT_FIELDS} for lang, v in snap["texts"].items()}
    texts["id"]["body"] = body
    draft = editing.Draft(fields={n: snap[n] for n in editing.ITEM_FIELDS}, texts=texts, links=None)
    return editing.update_item(dbsession, item, item.version, draft, user, comment=comment)


@pytest.fixture
def cat(dbsession, editor):
    """A topic with three revisions: black cat, white cat, white cat that sleeps."""
    item = make_topic(
        dbsession, slug="kucing", texts={"id": ("Kucing", "Ringkas.", "Kucing itu hitam.")}
    )
    editing.record_revision(dbsession, item, "create", editor, "pertama")
    edit_body(dbsession, item, editor, "Kucing itu putih.", comment="warna")
    edit_body(dbsession, item, editor, "Kucing itu putih dan tidur.")
    return item


def revisions(dbsession, item):
    return list(
        dbsession.scalars(
            select(Revision).where(Revision.item_id == item.id).order_by(Revision.number)
        )
    )


def url(item, suffix=""):
    return f"/admin/{item.type}s/{item.id}{suffix}"


def test_history_lists_revisions_newest_first(testapp, cat):
    page = testapp.get(url(cat, "/history"))
    assert "no-store" in page.headers["Cache-Control"]
    rows = page.html.select("table.history tbody tr")
    numbers = [row.find_all("td")[2].get_text(strip=True) for row in rows]
    assert numbers == ["#3", "#2", "#1"]
    assert [row.find_all("td")[3].get_text(strip=True) for row in rows] == [
        "Diubah",
        "Diubah",
        "Dibuat",
    ]
    assert all(row.find_all("td")[4].get_text(strip=True) == "ed" for row in rows)
    assert rows[1].find_all("td")[6].get_text(strip=True) == "warna"
    time = rows[0].find("time")
    assert time["datetime"].endswith("Z") and time.get_text().endswith("UTC")
    # Two revisions are picked already, so "compare" works at once, without JavaScript.
    form = page.html.find("form", id="compare-form")
    assert form["method"] == "get" and form["action"].endswith(url(cat, "/diff"))
    assert form.find("input", attrs={"name": "to", "checked": True})["value"] == "3"
    assert form.find("input", attrs={"name": "from", "checked": True})["value"] == "2"
    # Each old revision has a restore form carrying the CSRF token and the loaded version.
    for number in (1, 2):
        revert = page.html.find("form", id=f"revert-{number}")
        assert revert["method"] == "post"
        assert revert["action"].endswith(url(cat, f"/revisions/{number}/restore"))
        assert revert.find("input", attrs={"name": "csrf_token"})["value"]
        assert revert.find("input", attrs={"name": "version"})["value"] == str(cat.version)
    assert page.html.find("form", id="revert-3") is None
    assert page.html.find("a", href=url(cat, "/revisions/1"))


def test_compare_form_submits_to_the_diff(testapp, cat):
    page = testapp.get(url(cat, "/history"))
    diff = page.forms["compare-form"].submit()
    assert diff.status_int == 200
    assert "<ins> dan tidur</ins>" in diff.text


def test_diff_shows_the_changed_word(testapp, cat):
    page = testapp.get(url(cat, "/diff"), {"from": "1", "to": "2"})
    body = page.html.find("div", class_="diff")
    assert "<del>hitam</del><ins>putih</ins>" in str(body)
    assert "Isi (Markdown)" in page.text
    # Fields that did not change are not shown.
    assert "Judul (Inggris)" not in page.text


def test_diff_of_the_same_revision_says_so(testapp, cat):
    page = testapp.get(url(cat, "/diff"), {"from": "2", "to": "2"})
    assert "Kedua revisi ini sama." in page.text


def test_diff_escapes_the_text(testapp, dbsession, editor, cat):
    edit_body(dbsession, cat, editor, "Kucing <script>alert(1)</script> putih.")
    page = testapp.get(url(cat, "/diff"), {"from": "3", "to": "4"})
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;" in page.text


@pytest.mark.parametrize(
    "query",
    [
        "",
        "from=1",
        "to=2",
        "from=&to=2",
        "from=a&to=2",
        "from=1&to=-2",
        "from=1.0&to=2",
        "from=1&from=2&to=2",
        "from=1&to=99999999999999999999",
        "from=%EF%BC%91&to=2",  # a full-width digit one
        "from=%ff&to=2",
    ],
)
def test_diff_with_bad_numbers_is_400(testapp, cat, query):
    testapp.get(url(cat, "/diff") + "?" + query, status=400)


@pytest.mark.parametrize("query", ["from=1&to=9", "from=0&to=2", "from=999999999&to=1"])
def test_diff_with_unknown_revisions_is_404(testapp, cat, query):
    testapp.get(url(cat, "/diff") + "?" + query, status=404)


def test_revision_of_another_item_is_404(testapp, dbsession, cat):
    other = make_topic(dbsession)
    testapp.get(f"/admin/topics/{other.id}/revisions/1", status=404)
    testapp.get(f"/admin/examples/{cat.id}/history", status=404)
    testapp.get("/admin/topics/999999999/history", status=404)


def test_revision_page_shows_the_snapshot_escaped(testapp, dbsession, editor, cat):
    edit_body(dbsession, cat, editor, "<b>tebal</b> & tipis")
    page = testapp.get(url(cat, "/revisions/4"))
    pre = page.html.find("pre", class_="source")
    assert pre.get_text() == "<b>tebal</b> & tipis"
    assert "&lt;b&gt;tebal&lt;/b&gt; &amp; tipis" in page.text
    old = testapp.get(url(cat, "/revisions/1"))
    assert old.html.find("pre", class_="source").get_text() == "Kucing itu hitam."
    assert old.html.find("form", action=url(cat, "/revisions/1/restore"))
    testapp.get(url(cat, "/revisions/5"), status=404)


def test_revision_page_lists_links(testapp, dbsession, editor):
    topic = make_topic(dbsession, slug="django-x")
    example = make_example(dbsession, slug="instagram-x")
    from tests.factories import make_link

    make_link(dbsession, example, topic, note_id="catatan")
    editing.record_revision(dbsession, example, "create", editor)
    page = testapp.get(url(example, "/revisions/1"))
    assert "django-x" in page.text and "catatan" in page.text


def test_revert_makes_a_new_revision_with_the_old_text(testapp, dbsession, cat):
    page = testapp.get(url(cat, "/history"))
    form = page.html.find("form", id="revert-1")
    res = testapp.post(
        form["action"],
        {"csrf_token": csrf(page), "version": str(cat.version)},
        status=303,
    )
    assert res.location.endswith(url(cat, "/history"))
    history = res.follow()
    assert "Revisi #1 dipulihkan sebagai revisi baru #4." in history.text
    revs = revisions(dbsession, cat)
    assert [r.action for r in revs] == ["create", "update", "update", "revert"]
    # History is never rewritten: the old revisions are untouched.
    assert revs[1].data["texts"]["id"]["body"] == "Kucing itu putih."
    assert revs[3].data["texts"]["id"]["body"] == "Kucing itu hitam."
    assert cat.texts["id"].body == "Kucing itu hitam."
    public = testapp.get("/topics/kucing")
    assert "Kucing itu hitam." in public.text
    assert "putih" not in public.text


def test_revert_with_a_stale_version_is_409_and_changes_nothing(testapp, dbsession, editor, cat):
    page = testapp.get(url(cat, "/history"))
    loaded = cat.version
    edit_body(dbsession, cat, editor, "Kucing itu belang.")  # someone saves meanwhile
    before = len(revisions(dbsession, cat))
    res = testapp.post(
        url(cat, "/revisions/1/restore"),
        {"csrf_token": csrf(page), "version": str(loaded)},
        status=409,
    )
    assert "Halaman ini sudah diubah" in res.text
    assert len(revisions(dbsession, cat)) == before
    assert cat.texts["id"].body == "Kucing itu belang."


@pytest.mark.parametrize("version", [None, "", "abc", "1.5", "99999999999999999999"])
def test_revert_with_a_bad_version_is_400(testapp, dbsession, cat, version):
    page = testapp.get(url(cat, "/history"))
    data = {"csrf_token": csrf(page)}
    if version is not None:
        data["version"] = version
    before = len(revisions(dbsession, cat))
    testapp.post(url(cat, "/revisions/1/restore"), data, status=400)
    assert len(revisions(dbsession, cat)) == before


def test_revert_without_csrf_is_400_and_changes_nothing(testapp, dbsession, cat):
    before = dbsession.scalar(select(func.count()).select_from(Revision))
    testapp.post(url(cat, "/revisions/1/restore"), {"version": str(cat.version)}, status=400)
    testapp.post(
        url(cat, "/revisions/1/restore"),
        {"version": str(cat.version), "csrf_token": "wrong"},
        status=400,
    )
    assert dbsession.scalar(select(func.count()).select_from(Revision)) == before
    assert cat.texts["id"].body == "Kucing itu putih dan tidur."


def test_revert_is_post_only(testapp, cat):
    res = testapp.get(url(cat, "/revisions/1/restore"), status=405)
    assert "POST" in res.headers["Allow"]


def test_revert_of_a_missing_revision_is_404(testapp, cat):
    page = testapp.get(url(cat, "/history"))
    testapp.post(
        url(cat, "/revisions/42/restore"),
        {"csrf_token": csrf(page), "version": str(cat.version)},
        status=404,
    )


def test_revert_of_a_trashed_item_goes_to_the_trash(testapp, dbsession, editor, cat):
    page = testapp.get(url(cat, "/history"))
    editing.delete_item(dbsession, cat, cat.version, editor)
    before = len(revisions(dbsession, cat))
    res = testapp.post(
        url(cat, "/revisions/1/restore"),
        {"csrf_token": csrf(page), "version": str(cat.version)},
        status=303,
    )
    assert res.location.endswith("/admin/trash")
    assert len(revisions(dbsession, cat)) == before


def test_history_pages(testapp, cat):
    testapp.get(url(cat, "/history?page=2"), status=404)
    testapp.get(url(cat, "/history?page=0"), status=400)
    testapp.get(url(cat, "/history?page=x"), status=400)


def test_anonymous_goes_to_login(app, tm, dbsession):
    import webtest

    item = make_topic(dbsession)
    anonymous = webtest.TestApp(
        app,
        extra_environ={
            "HTTP_HOST": "example.com",
            "tm.active": True,
            "tm.manager": tm,
            "app.dbsession": dbsession,
        },
    )
    for suffix in ("/history", "/diff?from=1&to=1", "/revisions/1"):
        res = anonymous.get(url(item, suffix), status=303)
        assert "/login?next=" in res.location


def test_dashboard_links_to_history_and_edit_pages(testapp, dbsession, cat):
    make_topic(dbsession, slug="draf-baru", status="draft")
    page = testapp.get("/admin/")
    assert page.html.find("a", href=url(cat, "/history"))
    draft = page.html.find("a", string="Judul draf-baru")
    assert draft is not None and draft["href"].startswith("/admin/topics/")
    assert page.html.find("a", href="/admin/trash")
