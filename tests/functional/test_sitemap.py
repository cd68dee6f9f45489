"""/sitemap.xml (with its index form for large sites) and /robots.txt."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import event, select

from pybackend.metadata import w3c_datetime
from pybackend.models import ContentState
from pybackend.views import feeds
from tests.factories import make_example, make_topic

BASE = "http://example.com"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
W3C_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def get_xml(testapp, path):
    res = testapp.get(path, status=200)
    assert res.headers["Content-Type"] == "application/xml; charset=utf-8"
    return res, ET.fromstring(res.body)


def sitemap_urls(root):
    """{loc: (lastmod, {hreflang: href})} of a <urlset>."""
    assert root.tag == f"{SM}urlset"
    urls = {}
    for url in root.findall(f"{SM}url"):
        links = {
            link.get("hreflang"): link.get("href")
            for link in url.findall(f"{XHTML}link")
            if link.get("rel") == "alternate"
        }
        loc = url.findtext(f"{SM}loc")
        assert loc not in urls, f"{loc} listed twice"
        urls[loc] = (url.findtext(f"{SM}lastmod"), links)
    return urls


def local(url):
    assert url.startswith(BASE + "/"), url
    return url[len(BASE) :]


def part_paths(testapp):
    _, index = get_xml(testapp, "/sitemap.xml")
    assert index.tag == f"{SM}sitemapindex"
    return [local(s.findtext(f"{SM}loc")) for s in index.findall(f"{SM}sitemap")]


def all_urls(testapp):
    """Every <url> of every part, each listed exactly once over the whole sitemap."""
    urls = {}
    for path in part_paths(testapp):
        _, root = get_xml(testapp, path)
        part = sitemap_urls(root)
        assert len(part) <= 2 * (
            feeds.SITEMAP_PART_ITEMS + len(feeds.LIST_PAGES) + len(feeds.guide_pages())
        )
        assert not set(part) & set(urls), "a URL listed in two parts"
        urls.update(part)
    return urls


def test_sitemap_lists_every_public_page_in_both_languages(testapp):
    urls = all_urls(testapp)
    for path in ("/", "/topics", "/examples", "/topics/django", "/examples/instagram"):
        assert BASE + path in urls
        assert BASE + "/en" + path in urls
    for loc, (lastmod, links) in urls.items():
        assert W3C_DATETIME.match(lastmod), lastmod
        assert set(links) == {"id", "en", "x-default"}
        assert loc in (links["id"], links["en"])
        assert links["x-default"] == links["id"]
        assert links["en"] == BASE + "/en" + local(links["id"])


def test_every_sitemap_address_answers_200(testapp):
    urls = all_urls(testapp)
    assert len(urls) > 20
    for loc in urls:
        res = testapp.get(local(loc), status=200)
        # ... and calls itself by that name.
        assert res.html.find("link", rel="canonical")["href"] == loc


@pytest.mark.parametrize("hidden", ["draft", "deleted"])
def test_hidden_items_are_left_out(testapp, dbsession, hidden):
    fields = {"status": "draft"} if hidden == "draft" else {"deleted_at": dt.datetime.now(dt.UTC)}
    make_topic(dbsession, slug="secret-topic", **fields)
    make_example(dbsession, slug="secret-example", **fields)
    assert not [loc for loc in all_urls(testapp) if "secret-" in loc]


def test_lastmod_follows_the_text_of_each_language(testapp, dbsession):
    topic = make_topic(dbsession, slug="lastmod-check")
    topic.updated_at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    topic.texts["id"].updated_at = dt.datetime(2030, 2, 1, tzinfo=dt.UTC)
    topic.texts["en"].updated_at = dt.datetime(2030, 3, 1, tzinfo=dt.UTC)
    dbsession.flush()
    urls = all_urls(testapp)
    assert urls[BASE + "/topics/lastmod-check"][0] == "2030-02-01T00:00:00Z"
    assert urls[BASE + "/en/topics/lastmod-check"][0] == "2030-03-01T00:00:00Z"
    # The lists and the home are dated by the last committed content change.
    changed = w3c_datetime(dbsession.scalar(select(ContentState.changed_at)))
    for path in ("/", "/en/", "/topics", "/en/topics", "/examples", "/en/examples"):
        assert urls[BASE + path][0] == changed


def test_parts_are_blocks_of_ids_and_an_edit_changes_only_its_part(testapp, dbsession, monkeypatch):
    monkeypatch.setattr(feeds, "SITEMAP_PART_ITEMS", 4)
    made = [make_example(dbsession, slug=f"bulk-{n}") for n in range(9)]
    parts = part_paths(testapp)
    blocks = sorted({1, *(item.id // 4 + 1 for item in made)})
    assert parts == [f"/sitemap.xml?page={n}" for n in range(1, blocks[-1] + 1)]
    urls = all_urls(testapp)
    assert {BASE + f"/examples/bulk-{n}" for n in range(9)} <= set(urls)
    bodies = {path: testapp.get(path).body for path in parts}
    edited = made[4]
    edited.texts["id"].updated_at = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    dbsession.flush()
    changed = {path for path in parts if testapp.get(path).body != bodies[path]}
    # Only the edited item's part (part 1 dates its lists by committed changes only).
    assert changed == {f"/sitemap.xml?page={edited.id // 4 + 1}"}
    testapp.get(f"/sitemap.xml?page={blocks[-1] + 1}", status=404)


@pytest.mark.parametrize("query", ["page=abc", "page=0", "page=-1", "page=1&page=2", "page=1.5"])
def test_junk_page_parameter_is_400(testapp, query):
    testapp.get(f"/sitemap.xml?{query}", status=400)


def test_part_one_always_exists(testapp):
    assert "/sitemap.xml?page=1" in part_paths(testapp)


def test_sitemap_parts_are_few_queries_with_many_items(testapp, dbsession):
    for n in range(30):
        make_topic(dbsession, slug=f"counted-{n}")
    statements = []
    engine = dbsession.get_bind()

    def count(conn, cursor, statement, parameters, context, executemany):
        if "items" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        get_xml(testapp, "/sitemap.xml")
        index_queries = len(statements)
        get_xml(testapp, "/sitemap.xml?page=1")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # The index: one query. A part: the index's, its rows and the lists' dates; never a
    # query per item.
    assert index_queries == 1
    assert len(statements) == 3
    assert all("item_texts.body" not in s for s in statements)


def test_robots_txt(testapp):
    res = testapp.get("/robots.txt", status=200)
    assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
    lines = res.text.splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /admin/" in lines
    assert "Disallow: /login" in lines
    assert not [line for line in lines if line.startswith("Disallow:") and "api" in line]
    assert "Sitemap: http://example.com/sitemap.xml" in lines
    assert res.headers["Cache-Control"].startswith("public")
