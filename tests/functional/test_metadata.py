"""What the <head> tells search engines and link previews: canonical, OpenGraph, JSON-LD."""

import json

import pytest

from pybackend.metadata import json_ld
from tests.factories import make_example, make_topic

BASE = "http://example.com"
PAGES = ["/", "/topics", "/topics/django", "/examples", "/examples/spotify"]


def og(html, name):
    tag = html.find("meta", property=f"og:{name}")
    return tag["content"] if tag else None


def structured_data(html):
    blocks = html.find_all("script", type="application/ld+json")
    return [json.loads(block.string) for block in blocks]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang, prefix", [("id", ""), ("en", "/en")])
def test_every_page_names_itself_and_its_twins(testapp, path, lang, prefix):
    html = testapp.get(prefix + path).html
    url = BASE + prefix + path
    assert html.find("link", rel="canonical")["href"] == url
    assert og(html, "url") == url
    hreflang = {link["hreflang"]: link["href"] for link in html.find_all("link", hreflang=True)}
    assert hreflang == {"id": BASE + path, "en": BASE + "/en" + path, "x-default": BASE + path}
    assert og(html, "site_name") == "pybackend"
    assert og(html, "locale") == {"id": "id_ID", "en": "en_US"}[lang]
    assert og(html, "locale:alternate") == {"id": "en_US", "en": "id_ID"}[lang]
    assert og(html, "title") == html.title.get_text().removesuffix(" · pybackend")
    assert og(html, "description") == html.find("meta", attrs={"name": "description"})["content"]
    assert og(html, "description")


def test_canonical_keeps_the_page_and_filter_but_drops_junk(testapp, dbsession):
    for n in range(40):
        make_topic(dbsession, slug=f"canon-{n:02d}")
    html = testapp.get("/topics?page=2&utm_source=x&kind=library").html
    assert html.find("link", rel="canonical")["href"] in (
        BASE + "/topics?page=2&kind=library",
        BASE + "/topics?kind=library&page=2",
    )
    html = testapp.get("/en/topics?page=1&ref=abc").html
    assert html.find("link", rel="canonical")["href"] == BASE + "/en/topics"


def test_error_pages_recommend_no_address(testapp):
    html = testapp.get("/topics/no-such-topic", status=404).html
    assert html.find("link", rel="canonical") is None
    assert html.find("link", hreflang="x-default") is None
    assert og(html, "url") is None


def test_og_type_is_article_for_items_and_website_elsewhere(testapp):
    assert og(testapp.get("/topics/django").html, "type") == "article"
    assert og(testapp.get("/en/examples/spotify").html, "type") == "article"
    assert og(testapp.get("/").html, "type") == "website"
    assert og(testapp.get("/en/topics").html, "type") == "website"


def test_topic_page_is_a_tech_article(testapp):
    html = testapp.get("/en/topics/django").html
    [data] = structured_data(html)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "TechArticle"
    assert data["headline"] == "Django" == html.h1.get_text()
    assert data["inLanguage"] == "en"
    assert data["url"] == BASE + "/en/topics/django"
    assert data["description"] == og(html, "description")
    assert data["isPartOf"] == {"@type": "WebSite", "name": "pybackend", "url": BASE + "/en/"}
    assert data["datePublished"].endswith("Z") and data["dateModified"] >= data["datePublished"]


def test_example_page_is_an_article_in_its_language(testapp):
    [data] = structured_data(testapp.get("/examples/spotify").html)
    assert data["@type"] == "Article"
    assert data["inLanguage"] == "id"
    assert data["url"] == BASE + "/examples/spotify"


def test_untranslated_page_says_its_text_is_indonesian(testapp, dbsession):
    texts = {"id": ("Judul", "R", "Isi"), "en": None}
    make_example(dbsession, slug="tanpa-terjemahan", texts=texts)
    [data] = structured_data(testapp.get("/en/examples/tanpa-terjemahan").html)
    assert data["inLanguage"] == "id"
    assert data["headline"] == "Judul"
    assert data["url"] == BASE + "/en/examples/tanpa-terjemahan"


def test_home_page_is_the_website(testapp):
    [data] = structured_data(testapp.get("/en/").html)
    assert data["@type"] == "WebSite"
    assert data["url"] == BASE + "/en/"
    assert data["inLanguage"] == "en"
    assert "backend" in data["description"]
    assert structured_data(testapp.get("/topics").html) == []


def test_a_title_cannot_break_out_of_the_json_ld_block(testapp, dbsession):
    title = "</script><script>alert(1)</script>"
    summary = "<!-- & \u2028 -->"
    make_topic(dbsession, slug="breakout", texts={"id": (title, summary, "x"), "en": None})
    res = testapp.get("/topics/breakout")
    assert "<script>alert(1)" not in res.text
    scripts = res.html.find_all("script")
    # Inline: only the JSON-LD; the rest are our own files (the copy buttons).
    assert [s["type"] for s in scripts if not s.get("src")] == ["application/ld+json"]
    assert all(s["src"].startswith("/static/") for s in scripts if s.get("src"))
    [data] = structured_data(res.html)
    assert data["headline"] == title
    assert data["description"] == summary
    # The title elsewhere in the head is escaped as HTML.
    assert og(res.html, "title") == title
    assert og(res.html, "description") == summary


def test_json_ld_escapes_what_html_would_read():
    block = str(json_ld({"a": "</script><!--&\u2028"}))
    body = block.removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    assert "<" not in body and ">" not in body and "&" not in body and "\u2028" not in body
    assert json.loads(body) == {"a": "</script><!--&\u2028"}
