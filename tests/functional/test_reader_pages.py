"""Every reader page, in both languages, through the whole stack."""

import re

import pytest

from pybackend.services.seed import read_seed
from tests.factories import make_example, make_link, make_topic

PAGES = ["/", "/topics", "/topics/django", "/examples", "/examples/spotify"]


def en(path):
    return "/en" + path


@pytest.mark.parametrize("path", PAGES)
def test_indonesian_pages(testapp, path):
    res = testapp.get(path, status=200)
    assert res.content_type == "text/html"
    assert res.charset.lower() == "utf-8"
    assert '<html lang="id">' in res.text
    assert len(res.html.find_all("h1")) == 1
    assert res.html.find("main", id="main")
    assert res.html.find("a", class_="skip-link")["href"] == "#main"


@pytest.mark.parametrize("path", PAGES)
def test_english_pages(testapp, path):
    res = testapp.get(en(path), status=200)
    assert '<html lang="en">' in res.text
    assert "Skip to main content" in res.text


@pytest.mark.parametrize("path", PAGES)
def test_each_page_links_to_its_twin(testapp, path):
    res = testapp.get(path)
    alternates = {
        link["hreflang"]: link["href"]
        for link in res.html.find_all("link", rel="alternate", hreflang=["id", "en"])
    }
    assert alternates == {"id": f"http://example.com{path}", "en": f"http://example.com/en{path}"}
    switch = res.html.find("nav", class_="lang-switch")
    assert switch.find("a", hreflang="en")["href"] == f"http://example.com/en{path}"
    back = testapp.get(en(path)).html.find("nav", class_="lang-switch")
    assert back.find("a", hreflang="id")["href"] == f"http://example.com{path}"


def test_home_shows_topics_by_kind_and_examples(testapp):
    res = testapp.get("/")
    headings = [h.get_text(strip=True) for h in res.html.find_all("h3")]
    assert headings[:4] == ["Bahasa pemrograman", "Framework web", "Pustaka", "Sistem pesan"]
    links = {a["href"] for a in res.html.find_all("a")}
    assert {"/topics/django", "/topics/flask", "/examples/instagram", "/examples/reddit"} <= links
    res = testapp.get("/en/")
    assert "Web frameworks" in res.text
    assert "/en/topics/django" in {a["href"] for a in res.html.find_all("a")}


def test_topic_page_shows_everything_about_the_topic(testapp):
    res = testapp.get("/topics/django")
    page = res.html
    assert page.h1.get_text() == "Django"
    assert "Framework" in page.find(class_="eyebrow").get_text()
    assert page.find("a", href="https://www.djangoproject.com/")
    assert "pip install Django" in page.text
    assert page.find(class_="prose").find("pre", class_="highlight")
    used_by = page.find("section", attrs={"aria-labelledby": "used-by"})
    assert used_by.find("a", href="/examples/instagram")
    related = page.find("section", attrs={"aria-labelledby": "related-topics"})
    assert related.find("a", href="/topics/flask")
    backlinks = page.find("section", attrs={"aria-labelledby": "backlinks"})
    assert backlinks.find("a", href="/examples/instagram")


def test_example_page_shows_the_topics_it_uses_with_notes(testapp):
    res = testapp.get("/en/examples/spotify")
    uses = res.html.find("section", attrs={"aria-labelledby": "uses"})
    hrefs = {a["href"] for a in uses.find_all("a")}
    assert {"/en/topics/python", "/en/topics/kafka", "/en/topics/zeromq"} <= hrefs
    notes = uses.find_all("li")
    assert all(":" in li.get_text() for li in notes)


def test_successor_relation_reads_both_ways(testapp):
    pyramid = testapp.get("/en/topics/pyramid").html
    related = pyramid.find("section", attrs={"aria-labelledby": "related-topics"})
    item = related.find("a", href="/en/topics/pylons").parent
    assert "Successor of" in item.get_text()
    pylons = testapp.get("/en/topics/pylons").html
    related = pylons.find("section", attrs={"aria-labelledby": "related-topics"})
    assert "Predecessor of" in related.find("a", href="/en/topics/pyramid").parent.get_text()


def test_internal_body_links_point_at_the_page_language(testapp):
    res = testapp.get("/en/topics/python")
    hrefs = [a["href"] for a in res.html.find(class_="prose").find_all("a")]
    assert "/en/topics/django" in hrefs
    assert not [h for h in hrefs if h.startswith(("topic:", "example:"))]


def test_old_slug_answers_301_to_the_current_page(testapp):
    res = testapp.get("/topics/zmq", status=301)
    assert res.location == "http://example.com/topics/zeromq"
    res = testapp.get("/en/topics/pyramid-framework", status=301)
    assert res.location == "http://example.com/en/topics/pyramid"


def test_body_links_to_renamed_items_resolve_to_the_new_slug(testapp, dbsession):
    make_topic(dbsession, slug="renamed", old_slugs=["before-rename"])
    make_topic(
        dbsession,
        slug="pointer",
        texts={"id": ("Penunjuk", "r", "[ke sana](topic:before-rename)"), "en": None},
    )
    res = testapp.get("/topics/pointer")
    assert res.html.find(class_="prose").find("a")["href"] == "/topics/renamed"
    # ... and the renamed page lists it as a backlink.
    res = testapp.get("/topics/renamed")
    assert res.html.find("section", attrs={"aria-labelledby": "backlinks"}).find(
        "a", href="/topics/pointer"
    )


def test_missing_translation_falls_back_with_a_notice(testapp, dbsession):
    make_topic(
        dbsession,
        slug="only-indonesian",
        texts={"id": ("Hanya Indonesia", "Ringkasan", "Isi halaman."), "en": None},
    )
    res = testapp.get("/en/topics/only-indonesian")
    assert res.html.h1.get_text() == "Hanya Indonesia"
    assert "has not been translated into English yet" in res.text
    assert res.html.find("article")["lang"] == "id"
    res = testapp.get("/topics/only-indonesian")
    assert "belum diterjemahkan" not in res.text


def test_stale_translation_shows_a_notice(testapp, dbsession):
    topic = make_topic(dbsession, slug="changing")
    topic.texts["id"].body = "Isi yang sudah diperbarui."
    dbsession.flush()
    res = testapp.get("/en/topics/changing")
    notice = res.html.find(class_="notice")
    assert "older version" in notice.get_text()
    assert notice.find("a")["href"] == "/topics/changing"


@pytest.mark.parametrize("status", ["draft", "deleted"])
def test_drafts_and_deleted_items_are_404(testapp, dbsession, status):
    import datetime as dt

    fields = {"status": "draft"} if status == "draft" else {"deleted_at": dt.datetime.now(dt.UTC)}
    make_topic(dbsession, slug="hidden-topic", **fields)
    make_example(dbsession, slug="hidden-example", **fields)
    testapp.get("/topics/hidden-topic", status=404)
    testapp.get("/en/examples/hidden-example", status=404)
    assert "hidden-topic" not in testapp.get("/topics").text
    assert "hidden-example" not in testapp.get("/").text


def test_links_to_hidden_pages_are_not_shown(testapp, dbsession):
    topic = make_topic(dbsession, slug="visible")
    draft = make_example(dbsession, slug="draft-user", status="draft")
    make_link(dbsession, draft, topic)
    res = testapp.get("/topics/visible")
    assert "draft-user" not in res.text


def test_titles_are_escaped(testapp, dbsession):
    make_topic(
        dbsession,
        slug="xss",
        texts={"id": ("<script>alert(1)</script>", "<b>r</b>", "x"), "en": None},
    )
    res = testapp.get("/topics/xss")
    assert "<script>alert(1)</script>" not in res.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in res.text


def test_topic_list_is_grouped_filtered_and_paginated(testapp, dbsession):
    res = testapp.get("/topics")
    assert [h.get_text(strip=True) for h in res.html.find_all("h2")][:2] == [
        "Bahasa pemrograman",
        "Framework web",
    ]
    res = testapp.get("/topics?kind=messaging")
    cards = {a["href"] for a in res.html.select(".card a")}
    messaging = {t["slug"] for t in read_seed()["topic"] if t["kind"] == "messaging"}
    assert len(messaging) > 1
    assert cards == {f"/topics/{slug}" for slug in messaging}
    for n in range(40):
        make_topic(dbsession, slug=f"lib-{n:02d}", kind="library")
    first = testapp.get("/topics")
    assert first.html.find("a", rel="next")["href"] == "/topics?page=2"
    second = testapp.get("/topics?page=2")
    assert second.html.find("a", rel="prev")["href"] == "/topics"
    first_slugs = {a["href"] for a in first.html.select(".card a")}
    second_slugs = {a["href"] for a in second.html.select(".card a")}
    assert first_slugs and second_slugs and not first_slugs & second_slugs


def test_healthz_and_readyz(testapp):
    assert testapp.get("/healthz").json == {"status": "ok"}
    assert testapp.get("/readyz").json["database"] == "ok"


def test_static_files_are_served(testapp):
    res = testapp.get("/static/css/site.css", status=200)
    assert res.content_type == "text/css"
    res = testapp.get("/static/css/pygments.css", status=200)
    assert ".highlight" in res.text


def test_every_page_has_a_request_id(testapp):
    res = testapp.get("/")
    assert re.match(r"^[0-9a-f]{32}$", res.headers["X-Request-Id"])
