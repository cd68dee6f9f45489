"""Every list of the editors' area comes a page at a time: the items lists (with their
prefix search and filters), the trash, the audit log, the accounts and an item's history.
Page 2 exists, a page past the end is a 404, a malformed page a 400; the links keep the
filters. The dashboard's lists lead to the whole lists."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import insert, select

from pybackend.models import Item, Revision, User
from pybackend.services import audit, editing
from tests.factories import bulk_topics, make_topic
from tests.functional.admin_helpers import logged_in

PER_PAGE = 50


@pytest.fixture
def admin(testapp, dbsession):
    return logged_in(testapp, dbsession, "boss", "admin")


def query_of(href):
    return {name: values[0] for name, values in parse_qs(urlsplit(href).query).items()}


def next_href(page):
    link = page.html.find("a", rel="next")
    return link["href"] if link else None


def items_rows(page):
    return [code.get_text() for code in page.html.select("table.data tbody tr code")]


def items_count(page):
    return len(items_rows(page))


BAD_PAGES = ("0", "-1", "abc", "1.5", "9999999", "")


def assert_pages(testapp, path, row_count, first_page_rows, params=None):
    """Page 1 full, page 2 with the rest, page 3 a 404, bad pages 400s."""
    params = dict(params or {})
    first = testapp.get(path, params)
    assert row_count(first) == first_page_rows
    href = next_href(first)
    assert href is not None, f"no next page on {path}"
    assert query_of(href) == {**{k: str(v) for k, v in params.items() if v}, "page": "2"}
    second = testapp.get(href)
    assert 0 < row_count(second) <= PER_PAGE
    assert second.html.find("a", rel="prev") is not None
    testapp.get(path, {**params, "page": "3"}, status=404)
    for bad in BAD_PAGES:
        testapp.get(path, {**params, "page": bad}, status=400)
    testapp.get(path, [*params.items(), ("page", "1"), ("page", "2")], status=400)
    return first, second


def test_topics_list_pages_by_slug(testapp, dbsession, admin):
    bulk_topics(dbsession, PER_PAGE + 30, prefix="urut")
    first, second = assert_pages(testapp, "/admin/topics", items_count, PER_PAGE, {"q": "urut"})
    assert items_rows(first) == [f"urut-{n:05d}" for n in range(PER_PAGE)]
    assert items_rows(second)[0] == f"urut-{PER_PAGE:05d}"
    # Without a search: the whole list, a page at a time, in slug order.
    page = testapp.get("/admin/topics")
    slugs = items_rows(page)
    assert len(slugs) == PER_PAGE and slugs == sorted(slugs)
    assert query_of(next_href(page)) == {"page": "2"}


def test_the_list_search_matches_slug_and_title_prefixes(testapp, dbsession, admin):
    bulk_topics(dbsession, 130, prefix="cari")
    make_topic(dbsession, slug="lain", texts={"id": ("Carilah Aku", "", "")})
    page = testapp.get("/admin/topics", {"q": "cari-0012"})
    assert items_rows(page) == [f"cari-{n:05d}" for n in range(120, 130)]
    assert next_href(page) is None
    # "Massal 12…" are titles; "carilah" a title prefix too, in any case.
    assert items_rows(testapp.get("/admin/topics", {"q": "massal 12"})) == [
        f"cari-{n:05d}" for n in [12, *range(120, 130)]
    ]
    assert items_rows(testapp.get("/admin/topics", {"q": "CARILAH"})) == ["lain"]
    assert items_rows(testapp.get("/admin/topics", {"q": "arilah"})) == []  # a prefix only


def test_status_and_translation_filters_page_and_keep_each_other(testapp, dbsession, admin):
    ids = bulk_topics(dbsession, PER_PAGE + 5, prefix="draf")
    dbsession.execute(
        Item.__table__.update()
        .where(Item.__table__.c.id.in_(ids))
        .values(status="draft", translation="stale")
    )
    first, _second = assert_pages(
        testapp, "/admin/topics", items_count, PER_PAGE, {"status": "draft", "translation": "stale"}
    )
    assert all(slug.startswith("draf-") for slug in items_rows(first))
    assert len(items_rows(testapp.get("/admin/topics", {"q": "draf", "status": "published"}))) == 0
    for name, value in (("status", "bogus"), ("translation", "current"), ("q", "a\x00")):
        testapp.get("/admin/topics", {name: value}, status=400)


def test_trash_pages(testapp, dbsession, admin):
    bulk_topics(dbsession, PER_PAGE + 3, prefix="buang", deleted=True)

    def rows(page):
        return len(page.html.select("table.admin-table tbody tr"))

    first, second = assert_pages(testapp, "/admin/trash", rows, PER_PAGE)
    assert rows(second) >= 3


def test_audit_log_pages(testapp, dbsession, admin):
    for n in range(PER_PAGE + 5):
        audit.record(dbsession, "content.update", username="halaman", detail_n=n)

    def rows(page):
        return len(page.html.select("table.audit tbody tr"))

    first, second = assert_pages(
        testapp, "/admin/audit", rows, PER_PAGE, {"username": "halaman", "action": "content.update"}
    )
    assert rows(second) == 5


def test_users_list_pages(testapp, dbsession, admin):
    now = dt.datetime.now(dt.UTC)
    dbsession.execute(
        insert(User.__table__),
        [
            {
                "username": f"pengguna-{n:03d}",
                "role": "editor",
                "password_hash": "x",
                "created_at": now,
                "password_changed_at": now,
                "version": 1,
            }
            for n in range(PER_PAGE + 5)
        ],
    )

    def rows(page):
        return len(page.html.select("table.admin-table tbody tr"))

    first, second = assert_pages(testapp, "/admin/users", rows, PER_PAGE)
    names = [a.get_text() for a in first.html.select("table.admin-table tbody a")]
    assert names == sorted(names)


def test_history_pages(testapp, dbsession, admin):
    topic = make_topic(dbsession, slug="banyak-revisi")
    for _ in range(PER_PAGE + 4):
        editing.record_revision(dbsession, topic, "update", admin, "lagi")

    def rows(page):
        return len(page.html.select("table.history tbody tr"))

    path = f"/admin/topics/{topic.id}/history"
    first, second = assert_pages(testapp, path, rows, PER_PAGE)
    assert rows(second) == 4
    numbers = dbsession.scalars(
        select(Revision.number).where(Revision.item_id == topic.id).order_by(Revision.number)
    ).all()
    # Newest first: page 2 ends with the first revision.
    assert second.html.select("table.history tbody tr")[-1].find(
        "a", href=f"/admin/topics/{topic.id}/revisions/{numbers[0]}"
    )


def test_dashboard_lists_lead_to_the_whole_lists(testapp, dbsession, admin):
    draft = make_topic(dbsession, slug="masih-draf", status="draft")
    stale = make_topic(dbsession, slug="terjemahan-lama")
    stale.texts["id"].body = "Isi baru."
    dbsession.flush()
    editing.log_change(dbsession, stale, "update", admin)
    missing = make_topic(dbsession, slug="belum-inggris", texts={"id": ("Belum", "", "")})
    assert (draft.translation, stale.translation, missing.translation) == (
        "current",
        "stale",
        "missing",
    )
    page = testapp.get("/admin/")
    for section, slug, query in (
        ("drafts-title", "masih-draf", {"status": "draft"}),
        ("stale-title", "terjemahan-lama", {"translation": "stale"}),
        ("missing-title", "belum-inggris", {"translation": "missing"}),
    ):
        box = page.html.find("section", attrs={"aria-labelledby": section})
        assert box.find("code", string=slug), section
        whole = box.find("a", href=lambda h: h and h.startswith("/admin/topics?"))
        assert query_of(whole["href"]) == query
        assert slug in items_rows(testapp.get(whole["href"]))
