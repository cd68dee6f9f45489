"""Preview links: a draft for anyone holding the link, never cached, indexed or listed."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from pybackend.models import AuditEntry, PreviewLink
from pybackend.services import clock, editing
from tests.factories import make_topic
from tests.functional.admin_helpers import csrf, logged_in


@pytest.fixture
def draft(dbsession):
    item = make_topic(
        dbsession,
        "rahasia-draf",
        status="draft",
        texts={
            "id": ("Judul draf rahasia", "Ringkas", "Isi **draf**."),
            "en": ("Secret draft", "Short", "Draft body."),
        },
    )
    editing.ensure_initial_revisions(dbsession)
    return item


@pytest.fixture
def editor(testapp, dbsession):
    return logged_in(testapp, dbsession)


def edit_url(item):
    return f"/admin/topics/{item.id}"


def create_link(testapp, item, days="7", status=200):
    page = testapp.get(edit_url(item))
    return testapp.post(
        f"/admin/topics/{item.id}/previews",
        {"csrf_token": csrf(page), "days": days},
        status=status,
    )


def link_path(res):
    return urlsplit(res.html.find("input", id="preview-url")["value"]).path


def test_anyone_with_the_link_reads_the_draft(testapp, dbsession, draft, editor):
    path = link_path(create_link(testapp, draft))
    testapp.reset()  # logged out: no account needed
    res = testapp.get(path)
    assert "Judul draf rahasia" in res.text
    assert "<strong>draf</strong>" in res.text
    assert res.headers["X-Robots-Tag"].startswith("noindex")
    assert "no-store" in res.headers["Cache-Control"]
    assert "public" not in res.headers["Cache-Control"]
    assert res.html.find("meta", attrs={"name": "robots"})["content"].startswith("noindex")
    assert res.headers["Referrer-Policy"] == "no-referrer"
    assert "Surrogate-Key" not in res.headers and "ETag" not in res.headers
    assert "Secret draft" in testapp.get(path + "?lang=en").text
    # The draft is still nowhere else.
    testapp.get("/topics/rahasia-draf", status=404)
    for other in ("/sitemap.xml", "/feed.atom", "/search?q=rahasia"):
        assert "/preview/" not in testapp.get(other).text
        assert "Judul draf rahasia" not in testapp.get(other).text


def test_the_token_is_stored_hashed_and_creation_is_audited(testapp, dbsession, draft, editor):
    token = link_path(create_link(testapp, draft)).rsplit("/", 1)[1]
    row = dbsession.scalars(select(PreviewLink)).one()
    assert token not in row.token_hash and len(token) >= 43
    entry = dbsession.scalars(select(AuditEntry).where(AuditEntry.action == "preview.create")).one()
    assert token not in entry.detail


def test_revoked_and_expired_links_stop_working(testapp, dbsession, draft, editor, monkeypatch):
    path = link_path(create_link(testapp, draft, days="2"))
    page = testapp.get(edit_url(draft))
    revoke = page.html.select_one("#previews form.inline")
    assert revoke is not None
    testapp.post(revoke["action"], {"csrf_token": csrf(page)}, status=303)
    assert dbsession.scalars(select(AuditEntry).where(AuditEntry.action == "preview.revoke")).one()
    testapp.get(path, status=404)
    page = testapp.get(edit_url(draft))
    assert "dicabut" in page.html.select_one("#previews table").text

    path = link_path(create_link(testapp, draft, days="2"))
    testapp.get(path, status=200)
    later = clock.now() + dt.timedelta(days=2, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    testapp.get(path, status=404)


def test_bad_input_and_csrf(testapp, dbsession, draft, editor):
    for days in ("0", "31", "abc", ""):
        res = create_link(testapp, draft, days=days, status=400)
        assert res.html.select(".field-errors li")
    testapp.post(f"/admin/topics/{draft.id}/previews", {"days": "7"}, status=400)
    assert dbsession.scalars(select(PreviewLink)).first() is None
    testapp.get("/preview/" + "x" * 43, status=404)
    testapp.get("/preview/short", status=404)


def test_anonymous_cannot_create_or_revoke(testapp, dbsession, draft):
    page = testapp.get("/login")
    res = testapp.post(
        f"/admin/topics/{draft.id}/previews", {"csrf_token": csrf(page), "days": "7"}
    )
    assert res.status_int in (303, 403)
    assert dbsession.scalars(select(PreviewLink)).first() is None


def test_a_link_to_a_trashed_item_stops_working(testapp, dbsession, draft, editor):
    path = link_path(create_link(testapp, draft))
    editing.delete_item(dbsession, draft, draft.version, editor)
    testapp.get(path, status=404)
