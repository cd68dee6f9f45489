"""The Atom feeds, one per language, through the whole stack."""

import datetime as dt
import xml.etree.ElementTree as ET

import feedparser
import pytest
from sqlalchemy import update

from pybackend.metadata import w3c_datetime
from pybackend.models import Item, SlugHistory
from pybackend.views import feeds
from tests.factories import make_example, make_topic

BASE = "http://example.com"
ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def get_feed(testapp, path):
    res = testapp.get(path, status=200)
    assert res.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert res.body.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(res.body)
    assert root.tag == f"{ATOM}feed"
    parsed = feedparser.parse(res.body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return res, root, parsed


def entry_by_title(parsed, title):
    [entry] = [e for e in parsed.entries if e.title == title]
    return entry


def local(url):
    assert url.startswith(BASE + "/"), url
    return url[len(BASE) :]


def in_the_future(minutes=1):
    return dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)


@pytest.mark.parametrize("path, lang", [("/feed.atom", "id"), ("/en/feed.atom", "en")])
def test_feed_is_valid_atom_with_the_required_elements(testapp, path, lang):
    res, root, parsed = get_feed(testapp, path)
    assert root.get(XML_LANG) == lang
    for tag in ("id", "title", "subtitle", "updated", "author"):
        assert root.find(f"{ATOM}{tag}") is not None, tag
    assert parsed.feed.id.startswith("tag:example.com,2026:")
    links = {(link.rel, link.type): link.href for link in parsed.feed.links}
    assert links[("self", "application/atom+xml")] == BASE + path
    home = "/" if lang == "id" else "/en/"
    assert links[("alternate", "text/html")] == BASE + home
    assert parsed.feed.author == "pybackend"
    # The seed has 20-odd public items: all of them, each with what Atom requires.
    assert 10 < len(parsed.entries) <= feeds.FEED_ENTRIES
    newest = max(e.updated_parsed for e in parsed.entries)
    assert parsed.feed.updated_parsed == newest
    for entry in root.findall(f"{ATOM}entry"):
        for tag in ("id", "title", "updated", "published", "link", "content", "category"):
            assert entry.find(f"{ATOM}{tag}") is not None, tag
        assert entry.find(f"{ATOM}updated").text.endswith("Z")
        assert entry.find(f"{ATOM}content").get("type") == "html"


def test_feeds_are_in_their_language_and_link_to_pages_that_answer(testapp):
    _, _, indonesian = get_feed(testapp, "/feed.atom")
    _, _, english = get_feed(testapp, "/en/feed.atom")
    django_id = entry_by_title(indonesian, "Django")
    django_en = entry_by_title(english, "Django")
    assert django_id.link == BASE + "/topics/django"
    assert django_en.link == BASE + "/en/topics/django"
    assert "Framework web Python" in django_id.summary
    assert "Python web framework" in django_en.summary
    assert {tag.term for tag in django_en.tags} == {"topic", "framework"}
    assert "example" in {tag.term for tag in entry_by_title(english, "Reddit").tags}
    # Ids are per language: the two feeds are two different streams.
    assert django_id.id != django_en.id
    for parsed in (indonesian, english):
        for entry in parsed.entries:
            testapp.get(local(entry.link), status=200)


def test_entry_content_is_escaped_html_with_absolute_links(testapp):
    res, root, parsed = get_feed(testapp, "/en/feed.atom")
    python = entry_by_title(parsed, "Python")
    html = python.content[0].value
    assert python.content[0].type == "text/html"
    assert f'href="{BASE}/en/topics/django"' in html
    assert 'href="/' not in html
    # In the document itself the HTML is text, not markup.
    assert b"&lt;p&gt;" in res.body
    for entry in root.iter(f"{ATOM}content"):
        assert len(entry) == 0


def test_newest_change_comes_first_counting_text_edits(testapp, dbsession):
    make_topic(dbsession, slug="brand-new", updated_at=in_the_future(1))
    older = make_topic(dbsession, slug="edited-later")
    older.texts["en"].title = "Edited later"
    older.texts["en"].updated_at = in_the_future(5)
    dbsession.flush()
    _, _, parsed = get_feed(testapp, "/en/feed.atom")
    assert [e.title for e in parsed.entries[:2]] == ["Edited later", "Title brand-new"]
    assert parsed.feed.updated_parsed == parsed.entries[0].updated_parsed


def test_feed_holds_at_most_fifty_entries(testapp, dbsession):
    for n in range(feeds.FEED_ENTRIES + 5):
        make_example(dbsession, slug=f"many-{n}")
    _, _, parsed = get_feed(testapp, "/feed.atom")
    assert len(parsed.entries) == feeds.FEED_ENTRIES


def test_entry_id_survives_a_slug_change(testapp, dbsession):
    topic = make_topic(dbsession, slug="before-the-rename", updated_at=in_the_future())
    _, _, parsed = get_feed(testapp, "/feed.atom")
    before = entry_by_title(parsed, "Judul before-the-rename")
    assert before.id == f"tag:example.com,2026:id/topic/{topic.id}"

    topic.old_slugs.append(SlugHistory(type="topic", slug=topic.slug))
    topic.slug = "after-the-rename"
    dbsession.flush()
    _, _, parsed = get_feed(testapp, "/feed.atom")
    after = entry_by_title(parsed, "Judul before-the-rename")
    assert after.id == before.id
    assert after.link == BASE + "/topics/after-the-rename"
    testapp.get(local(before.link), status=301)


@pytest.mark.parametrize("hidden", ["draft", "deleted"])
def test_hidden_items_never_appear(testapp, dbsession, hidden):
    fields = {"status": "draft"} if hidden == "draft" else {"deleted_at": dt.datetime.now(dt.UTC)}
    make_topic(dbsession, slug="not-for-readers", updated_at=in_the_future(), **fields)
    make_example(dbsession, slug="not-for-readers", updated_at=in_the_future(), **fields)
    for path in ("/feed.atom", "/en/feed.atom"):
        res, _, parsed = get_feed(testapp, path)
        assert "not-for-readers" not in res.text
        assert all("not-for-readers" not in e.link for e in parsed.entries)


def test_missing_translation_falls_back_to_indonesian_marked_as_such(testapp, dbsession):
    make_topic(
        dbsession,
        slug="belum-ada",
        texts={"id": ("Belum diterjemahkan", "Ringkasan", "Isi."), "en": None},
        updated_at=in_the_future(),
    )
    _, root, parsed = get_feed(testapp, "/en/feed.atom")
    entry = entry_by_title(parsed, "Belum diterjemahkan")
    assert entry.link == BASE + "/en/topics/belum-ada"
    [element] = [
        e for e in root.findall(f"{ATOM}entry") if e.findtext(f"{ATOM}title") == entry.title
    ]
    assert element.get(XML_LANG) == "id"
    translated = [e for e in root.findall(f"{ATOM}entry") if e is not element]
    assert all(e.get(XML_LANG) is None for e in translated)


def test_markup_and_control_characters_in_texts_stay_text(testapp, dbsession):
    make_topic(
        dbsession,
        slug="nasty",
        texts={
            "id": ("<script>alert(1)</script> & co\x07", "<b>ringkas</b>", "<script>x</script>"),
            "en": None,
        },
        updated_at=in_the_future(),
    )
    res, root, parsed = get_feed(testapp, "/feed.atom")
    assert b"<script>" not in res.body
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</title>" in res.body
    entry = entry_by_title(parsed, "<script>alert(1)</script> & co")
    assert entry.summary == "<b>ringkas</b>"
    # The body went through the Markdown sanitiser: no script survives even as text HTML.
    assert "<script" not in entry.content[0].value


def test_dates_are_rfc3339_in_utc(testapp, dbsession):
    # SQLite hands the datetime back naive; PostgreSQL in the session's time zone.
    moment = dt.datetime(2030, 1, 2, 3, 4, 5, 678, tzinfo=dt.UTC)
    make_topic(dbsession, slug="dated", created_at=moment, updated_at=moment)
    _, _, parsed = get_feed(testapp, "/feed.atom")
    entry = entry_by_title(parsed, "Judul dated")
    assert entry.published == "2030-01-02T03:04:05Z"
    assert entry.updated == "2030-01-02T03:04:05Z"
    assert w3c_datetime(dt.datetime(2030, 1, 2, 3, 4, 5)) == "2030-01-02T03:04:05Z"


def test_feed_is_cacheable(testapp):
    res = testapp.get("/en/feed.atom")
    assert res.etag
    assert res.headers["Cache-Control"].startswith("public")
    testapp.head("/feed.atom", status=200)


def test_layout_links_to_the_feed_of_its_language(testapp):
    res = testapp.get("/topics")
    link = res.html.find("link", type="application/atom+xml")
    assert link["href"] == BASE + "/feed.atom"
    res = testapp.get("/en/topics")
    assert res.html.find("link", type="application/atom+xml")["href"] == BASE + "/en/feed.atom"


def test_a_feed_without_entries_is_still_valid(testapp, dbsession):
    dbsession.execute(update(Item).values(status="draft"))
    _, root, parsed = get_feed(testapp, "/en/feed.atom")
    assert parsed.entries == []
    assert parsed.feed.updated.endswith("Z")
