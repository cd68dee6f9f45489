"""The guide, the comparison pages and the glossary, in both languages."""

import datetime as dt

import pytest
from sqlalchemy import select

from pybackend.models import Fact, Item
from pybackend.services.editing import purge_item
from tests.factories import make_topic


def _topic(dbsession, slug):
    return dbsession.scalars(select(Item).where(Item.type == "topic", Item.slug == slug)).one()


def _set_fact(dbsession, slug, key, value):
    """Set a fact, replacing the value the seed may already give it."""
    topic = _topic(dbsession, slug)
    if key in topic.facts:
        topic.facts[key].value = value
    else:
        topic.facts[key] = Fact(key=key, value=value)
    dbsession.flush()


def _trash(dbsession, slug):
    topic = _topic(dbsession, slug)
    topic.deleted_at = topic.updated_at = dt.datetime.now(dt.UTC)
    dbsession.flush()
    return topic


@pytest.mark.parametrize(
    "path", ["/compare", "/compare/web-frameworks", "/compare/messaging", "/glossary"]
)
def test_pages_exist_in_both_languages(testapp, path):
    res = testapp.get(path, status=200)
    assert '<html lang="id">' in res.text
    assert len(res.html.find_all("h1")) == 1
    res = testapp.get("/en" + path, status=200)
    assert '<html lang="en">' in res.text


def test_unknown_comparison_is_404(testapp):
    testapp.get("/compare/nothing-here", status=404)
    testapp.get("/en/compare/nothing-here", status=404)


def test_guide_links_to_every_comparison_and_the_glossary(testapp):
    links = {a["href"] for a in testapp.get("/en/compare").html.find_all("a")}
    assert {
        "/en/compare/web-frameworks",
        "/en/compare/task-queues",
        "/en/compare/messaging",
        "/en/glossary",
    } <= links


def test_guide_shows_the_memilih_item_when_there_is_one(testapp, dbsession):
    # The seed has one: the guide links to it under its own title.
    link = testapp.get("/compare").html.find("a", href="/topics/memilih")
    assert link.get_text() == "Memilih framework dan alat"
    # In the trash, it is left out; gone for good, a new one takes its place.
    seeded = _trash(dbsession, "memilih")
    assert "/topics/memilih" not in testapp.get("/compare").text
    purge_item(dbsession, seeded)
    assert "/topics/memilih" not in testapp.get("/compare").text
    make_topic(
        dbsession,
        slug="memilih",
        kind="concept",
        texts={"id": ("Memilih framework", "Cara memilih.", "Isi."), "en": None},
    )
    res = testapp.get("/compare")
    assert res.html.find("a", href="/topics/memilih").get_text() == "Memilih framework"


def _comparison_table(testapp, path):
    table = testapp.get(path).html.find("table", class_="compare")
    columns = [th.get_text(strip=True) for th in table.find("thead").find_all("th")]
    rows = {
        tr.find("th").get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
        for tr in table.find("tbody").find_all("tr")
    }
    return columns, rows


def test_comparison_table_shows_facts_side_by_side(testapp, dbsession):
    # The seed's facts (pybackend/seed/items/topic-*.toml); Pyramid states no licence.
    columns, rows = _comparison_table(testapp, "/en/compare/web-frameworks")
    assert columns == ["Django", "Flask", "Pyramid", "FastAPI"]
    assert rows["Licence"] == ["BSD-3-Clause", "BSD-3-Clause", "Not known yet", "MIT"]
    assert rows["Built-in ORM"] == ["Yes", "No", "No", "No"]
    assert "Latest version" not in rows  # no compared item has that fact
    # Edited facts show, a fact no item has any more goes, and a missing topic
    # (FastAPI in the trash) loses its column.
    _set_fact(dbsession, "flask", "licence", "MIT")
    _set_fact(dbsession, "flask", "orm", "partial")
    _set_fact(dbsession, "pyramid", "latest_version", "2.0.2")
    for slug in ("django", "flask", "pyramid", "fastapi"):
        topic = _topic(dbsession, slug)
        del topic.facts["template_engine"]
    dbsession.flush()
    _trash(dbsession, "fastapi")
    columns, rows = _comparison_table(testapp, "/en/compare/web-frameworks")
    assert columns == ["Django", "Flask", "Pyramid"]
    assert rows["Licence"] == ["BSD-3-Clause", "MIT", "Not known yet"]
    assert rows["Built-in ORM"] == ["Yes", "Partly", "No"]
    assert rows["Latest version"] == ["Not known yet", "Not known yet", "2.0.2"]
    assert "Template engine" not in rows  # no compared item has that fact


def test_a_fact_edit_invalidates_the_comparison(testapp, dbsession):
    res = testapp.get("/compare/messaging")
    kafka = _topic(dbsession, "kafka")
    assert f"f{kafka.id}" in res.headers["Surrogate-Key"].split()
    assert f"i{kafka.id}" in res.headers["Surrogate-Key"].split()


def test_a_missing_topic_is_watched_for(testapp, dbsession):
    fastapi = _topic(dbsession, "fastapi")
    keys = testapp.get("/compare/web-frameworks").headers["Surrogate-Key"].split()
    assert "u:topic:fastapi" not in keys
    assert f"i{fastapi.id}" in keys
    _trash(dbsession, "fastapi")  # missing from the comparison now
    keys = testapp.get("/compare/web-frameworks").headers["Surrogate-Key"].split()
    assert "u:topic:fastapi" in keys


def test_glossary_has_anchors_and_both_languages(testapp):
    res = testapp.get("/glossary")
    term = res.html.find("dt", id="basis-data")
    assert term.find("a")["href"] == "#basis-data"
    assert term.find("span", lang="en").get_text() == "database"
    res = testapp.get("/en/glossary")
    term = res.html.find("dt", id="basis-data")
    assert "database" in term.get_text() and term.find("span", lang="id")


def test_sitemap_lists_the_guide_pages_in_both_languages(testapp):
    res = testapp.get("/sitemap.xml?page=1")
    for path in ("/compare", "/compare/web-frameworks", "/compare/task-queues", "/glossary"):
        assert f"<loc>http://example.com{path}</loc>" in res.text
        assert f'href="http://example.com/en{path}"' in res.text


@pytest.mark.parametrize(
    "path",
    [
        "/topics/django",
        "/en/topics/python",
        "/examples/reddit",
        "/compare",
        "/compare/web-frameworks",
        "/en/compare/task-queues",
        "/glossary",
        "/en/glossary",
    ],
)
def test_ids_are_unique_and_every_fragment_link_has_a_target(testapp, path):
    html = testapp.get(path).html
    ids = [el["id"] for el in html.find_all(id=True)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for link in html.find_all("a", href=True):
        if link["href"].startswith("#"):
            assert link["href"][1:] in ids, link


def test_long_pages_have_contents_and_a_last_updated_date(testapp, dbsession):
    res = testapp.get("/en/topics/django")
    toc = res.html.find("nav", class_="toc")
    assert toc.h2.get_text() == "Contents"
    first = toc.find("a")["href"][1:]
    heading = res.html.find(id=first)
    assert heading.name == "h2" and heading.find("a", class_="header-anchor")["href"] == "#" + first
    updated = res.html.find("p", class_="updated")
    django = _topic(dbsession, "django")
    assert "Last updated" in updated.get_text()
    assert updated.time["datetime"] == django.updated_at.strftime("%Y-%m-%d")


def test_search_points_to_comparisons_and_glossary_terms(testapp):
    section = testapp.get("/en/search?q=kafka").html.find("section", class_="search-guide")
    assert section.find("a", href="/en/compare/messaging")
    section = testapp.get("/search?q=basis").html.find("section", class_="search-guide")
    assert section.find("a", href="/glossary#basis-data")
    assert (
        testapp.get("/search?q=nothingmatches").html.find("section", class_="search-guide") is None
    )
