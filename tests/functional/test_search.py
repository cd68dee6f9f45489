"""The search page through the whole stack, in both languages."""

import datetime as dt
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from pybackend.services import search
from pybackend.services.search import MAX_QUERY_LENGTH
from tests.factories import make_topic
from tests.services.test_search import NASTY, broad_topics


def result_links(res):
    results = res.html.find("ol", class_="search-results")
    return [li.find("h2").find("a") for li in results.find_all("li")] if results else []


def hrefs(res):
    return [a["href"] for a in result_links(res)]


def test_indonesian_search(testapp):
    res = testapp.get("/search", params={"q": "asin"}, status=200)
    assert '<html lang="id">' in res.text
    assert len(res.html.find_all("h1")) == 1
    assert "hasil untuk" in res.html.h1.get_text()
    assert "/topics/asyncio" in hrefs(res)  # its text says "asinkron" most often
    assert res.html.find("mark").get_text().lower().startswith("asin")
    # The header's search field shows what was searched.
    assert res.html.find("input", id="site-search-q")["value"] == "asin"


def test_english_search_links_to_english_pages(testapp):
    res = testapp.get("/en/search", params={"q": "task queue"}, status=200)
    assert '<html lang="en">' in res.text
    assert "/en/topics/celery" in hrefs(res)
    assert all(href.startswith("/en/") for href in hrefs(res))


def test_results_show_kind_and_snippet(testapp):
    res = testapp.get("/search", params={"q": "zmq"})
    first = res.html.find("ol", class_="search-results").find("li")
    assert first.find("a")["href"] == "/topics/zeromq"
    assert first.find(class_="eyebrow").get_text(strip=True) == "Sistem pesan"
    assert first.find(class_="snippet").find("mark")


def test_untranslated_hits_are_marked_indonesian(testapp, dbsession):
    make_topic(dbsession, slug="asli", texts={"id": ("Zqasli", "Ringkasan.", ""), "en": None})
    res = testapp.get("/en/search", params={"q": "zqasli"})
    (link,) = result_links(res)
    assert link["href"] == "/en/topics/asli"
    assert link["lang"] == "id"


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}])
def test_empty_query_shows_a_prompt(testapp, params):
    res = testapp.get("/search", params=params, status=200)
    assert res.html.h1.get_text() == "Cari"
    assert res.html.find("form", class_="search-page").find("input", attrs={"name": "q"})
    assert not res.html.find("ol", class_="search-results")


def test_no_results_offers_suggestions(testapp):
    res = testapp.get("/search", params={"q": "djngo"}, status=200)
    assert "Tidak ada hasil" in res.html.h1.get_text()
    links = res.html.find("ul", class_="suggestions").find_all("a")
    assert "/search?q=Django" in [a["href"] for a in links]
    res = testapp.get("/en/search", params={"q": "qqqqqqqqqq"}, status=200)
    assert "No results" in res.text or "Tidak ada hasil" in res.text
    assert not res.html.find("ul", class_="suggestions")


def test_html_in_titles_and_bodies_is_text(testapp, dbsession):
    make_topic(
        dbsession,
        slug="xss",
        texts={
            "id": (
                "<script>alert(1)</script> Zqxss",
                "<img src=x onerror=alert(1)>",
                "zqxss `<b>`",
            ),
            "en": None,
        },
    )
    res = testapp.get("/search", params={"q": "zqxss <script>"}, status=200)
    assert "<script>alert(1)" not in res.text
    assert "<img src=x" not in res.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Zqxss" in res.text
    assert res.html.find("input", id="site-search-q")["value"] == "zqxss <script>"


def test_paging_keeps_the_query(testapp, dbsession):
    for n in range(12):
        make_topic(
            dbsession, slug=f"hal-{n:02d}", texts={"id": (f"Zqpage {n}", "", ""), "en": None}
        )
    res = testapp.get("/search", params={"q": "zqpage"})
    assert len(hrefs(res)) == 10
    assert res.html.h1.get_text().startswith("12 ")
    next_link = res.html.find("a", rel="next")["href"]
    assert parse_qs(urlsplit(next_link).query) == {"q": ["zqpage"], "page": ["2"]}
    res = testapp.get(next_link)
    assert len(hrefs(res)) == 2
    assert res.html.find("ol", class_="search-results")["start"] == "11"
    previous = res.html.find("a", rel="prev")["href"]
    assert parse_qs(urlsplit(previous).query) == {"q": ["zqpage"]}


def test_drafts_and_deleted_are_not_shown(testapp, dbsession):
    make_topic(dbsession, slug="draf", status="draft", texts={"id": ("Zqhid", "", ""), "en": None})
    make_topic(
        dbsession,
        slug="buang",
        deleted_at=dt.datetime.now(dt.UTC),
        texts={"id": ("Zqhid", "", ""), "en": None},
    )
    res = testapp.get("/search", params={"q": "zqhid"}, status=200)
    assert hrefs(res) == []


def test_an_edit_shows_up_at_once(testapp, dbsession):
    item = make_topic(dbsession, slug="ubah", texts={"id": ("Zqold", "", ""), "en": None})
    assert hrefs(testapp.get("/search?q=zqold")) == ["/topics/ubah"]
    item.texts["id"].title = "Zqnew"
    dbsession.flush()
    assert hrefs(testapp.get("/search?q=zqnew")) == ["/topics/ubah"]
    assert hrefs(testapp.get("/search?q=zqold")) == []


def test_head(testapp):
    res = testapp.head("/search?q=python", status=200)
    assert res.body == b""


@pytest.mark.parametrize(
    "query, status",
    [
        ("q=a&q=b", 400),
        ("q=a&page=0", 400),
        ("q=a&page=-1", 400),
        ("q=a&page=abc", 400),
        ("q=a&page=1&page=2", 400),
        ("q=a&page=99999999999999999999", 400),
        ("q=python&page=999", 404),
        ("q=zzzzzqqqqq&page=2", 404),
        ("q=" + "a" * (MAX_QUERY_LENGTH + 1), 400),
        ("q=" + "a" * MAX_QUERY_LENGTH, 200),
        ("q=%ff", 400),
        ("q=%00", 400),
        ("q=a%01b", 400),
        ("q=a%09b%0Ac", 200),
    ],
)
def test_bad_parameters(testapp, query, status):
    res = testapp.get("/search?" + query, status=status)
    if status == 400:
        assert res.html.find("h1")
        assert res.headers["Cache-Control"] == "no-store"


def test_a_raw_semicolon_is_part_of_the_query_not_a_separator(testapp):
    # Browsers and the URL standard split query strings at "&" only.
    res = testapp.get("/search?q=django;flask")
    assert res.html.find("input", attrs={"name": "q"})["value"] == "django;flask"
    assert testapp.get("/search?q=django;q=flask").status_int == 200  # one q, not two


def test_repeated_q_says_why(testapp):
    res = testapp.get("/search?q=a&q=b", status=400)
    assert "q hanya boleh muncul sekali" in res.text


@pytest.mark.parametrize("query", NASTY)
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_nasty_queries_never_fail(testapp, prefix, query):
    res = testapp.get(f"{prefix}/search?q={quote(query)}", expect_errors=True)
    assert res.status_int in (200, 400)


@pytest.mark.parametrize(
    ("prefix", "heading"), [("", "Lebih dari 4 hasil untuk"), ("/en", "More than 4 results for")]
)
def test_a_broad_query_says_more_than_and_pages_up_to_the_cap(
    testapp, dbsession, monkeypatch, prefix, heading
):
    monkeypatch.setattr(search, "MAX_RANKED", 4)
    monkeypatch.setattr("pybackend.views.search.RESULTS_PER_PAGE", 3)
    broad_topics(dbsession)
    res = testapp.get(f"{prefix}/search", params={"q": "brdq"}, status=200)
    assert res.html.h1.get_text().startswith(heading)
    assert res.html.find(class_="search-note")
    assert hrefs(res) == [
        f"{prefix}/topics/luas-judul",
        f"{prefix}/topics/luas-ringkasan",
        f"{prefix}/topics/luas-isi-3",
    ]
    second = testapp.get(f"{prefix}/search", params={"q": "brdq", "page": 2}, status=200)
    assert hrefs(second) == [f"{prefix}/topics/luas-isi-2"]
    testapp.get(f"{prefix}/search", params={"q": "brdq", "page": 3}, status=404)
