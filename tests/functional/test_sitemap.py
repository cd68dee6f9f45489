"""/sitemap.xml (with its index form for large sites) and /robots.txt."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import event

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


def test_sitemap_lists_every_public_page_in_both_languages(testapp):
    _, root = get_xml(testapp, "/sitemap.xml")
    urls = sitemap_urls(root)
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
    _, root = get_xml(testapp, "/sitemap.xml")
    urls = sitemap_urls(root)
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
    res, _ = get_xml(testapp, "/sitemap.xml")
    assert "secret-" not in res.text


def test_lastmod_follows_the_text_of_each_language(testapp, dbsession):
    topic = make_topic(dbsession, slug="lastmod-check")
    topic.updated_at = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    topic.texts["id"].updated_at = dt.datetime(2030, 2, 1, tzinfo=dt.UTC)
    topic.texts["en"].updated_at = dt.datetime(2030, 3, 1, tzinfo=dt.UTC)
    dbsession.flush()
    _, root = get_xml(testapp, "/sitemap.xml")
    urls = sitemap_urls(root)
    assert urls[BASE + "/topics/lastmod-check"][0] == "2030-02-01T00:00:00Z"
    assert urls[BASE + "/en/topics/lastmod-check"][0] == "2030-03-01T00:00:00Z"
    # The lists and the home change when any of their items does.
    assert urls[BASE + "/topics"][0] == "2030-03-01T00:00:00Z"
    assert urls[BASE + "/en/"][0] == "2030-03-01T00:00:00Z"
    assert urls[BASE + "/examples"][0] < "2030"


def test_large_sites_get_a_sitemap_index(testapp, dbsession, monkeypatch):
    for n in range(5):
        make_example(dbsession, slug=f"bulk-{n}")
    _, whole = get_xml(testapp, "/sitemap.xml")
    expected = sitemap_urls(whole)
    monkeypatch.setattr(feeds, "SITEMAP_MAX_URLS", 20)
    monkeypatch.setattr(feeds, "SITEMAP_ITEMS_PER_PART", 10)
    _, index = get_xml(testapp, "/sitemap.xml")
    assert index.tag == f"{SM}sitemapindex"
    parts = [s.findtext(f"{SM}loc") for s in index.findall(f"{SM}sitemap")]
    items = (len(expected) - 6) // 2
    assert parts == [f"{BASE}/sitemap.xml?page={n}" for n in range(1, -(-items // 10) + 1)]
    seen = {}
    for part in parts:
        _, root = get_xml(testapp, local(part))
        urls = sitemap_urls(root)
        assert len(urls) <= 2 * 10 + 6
        assert not set(urls) & set(seen)
        seen.update(urls)
    assert seen == expected
    testapp.get(f"/sitemap.xml?page={len(parts) + 1}", status=404)


@pytest.mark.parametrize("query", ["page=abc", "page=0", "page=-1", "page=1&page=2", "page=1.5"])
def test_junk_page_parameter_is_400(testapp, query):
    testapp.get(f"/sitemap.xml?{query}", status=400)


def test_small_sites_have_no_parts(testapp):
    testapp.get("/sitemap.xml?page=1", status=404)


def test_sitemap_stays_one_query_with_many_items(testapp, dbsession):
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
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # A count and one list of columns: never a query per item, never whole rows.
    assert len(statements) == 2
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
