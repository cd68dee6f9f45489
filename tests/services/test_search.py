"""The search service on both backends: matching, ranking, snippets, aliases, index upkeep."""

import datetime as dt

import markupsafe
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from pybackend.models import Item, ItemText, SearchAlias, SearchDocument
from pybackend.models.search import EN_ID_OFFSET, document_id
from pybackend.services import search
from tests.conftest import run_migrations, table_names
from tests.factories import make_example, make_topic
from tests.models.test_migrations import scratch_connection  # noqa: F401 (fixture for below)

# Inputs that break naive LIKE, tsquery or FTS5 query building.
NASTY = [
    "%",
    "_",
    "%_%",
    "'",
    '"',
    "''",
    '"unbalanced',
    "\\",
    "\\'",
    "a & b",
    "a | b",
    "!a",
    "a:*",
    "(a",
    "a)",
    "a <-> b",
    "<->",
    "& | ! : * ( ) <->",
    "NEAR(a b)",
    "a AND b",
    "a OR b",
    "NOT a",
    "-a",
    "^a",
    "a*",
    "*",
    "title:a",
    "{title}: a",
    "\x00",
    "a\x00b",
    "🐍",
    "python 🐍 zmq",
    "\u202eevil",
    "ØMQ",
    "Ｐｙｔｈｏｎ",
    "e\u0301",
    "ß",
    "٣",
    "½",
    "a" * 200,
    " ".join(["django"] * 60)[:200],
    "x" * 150 + " " + "y" * 49,
]


def slugs(results):
    return [hit.item.slug for hit in results.hits]


def find(dbsession, query, lang="id", **kw):
    return slugs(search.search(dbsession, query, lang, limit=100, **kw))


def topic(dbsession, slug, id_text, en_text=None, **fields):
    return make_topic(dbsession, slug=slug, texts={"id": id_text, "en": en_text}, **fields)


# ---------------------------------------------------------------------------- matching


def test_a_prefix_finds_the_whole_word(dbsession):
    # Many seed texts say "asinkron"; asyncio's says it most, Celery's once, deep in its body.
    results = search.search(dbsession, "asin", "id")
    assert "asyncio" in slugs(results)
    asyncio = next(hit for hit in results.hits if hit.item.slug == "asyncio")
    assert "<mark>asinkron</mark>" in asyncio.snippet_html
    results = search.search(dbsession, "asin", "id", limit=100)
    assert "celery" in slugs(results)
    celery = next(hit for hit in results.hits if hit.item.slug == "celery")
    assert "<mark>asinkron</mark>" in celery.snippet_html


def test_words_are_and_ed_case_and_accents_ignored(dbsession):
    assert "celery" in find(dbsession, "CELERY Worker")
    assert "celery" not in find(dbsession, "celery instagram-tidak-ada")
    topic(dbsession, "kafe", ("Kafe", "", "Secangkir café au lait."))
    assert "kafe" in find(dbsession, "café")


def test_stemming_on_postgresql(dbsession, backend):
    if backend != "postgresql":
        pytest.skip("SQLite's FTS5 tokenizer does not stem; prefixes only")
    topic(dbsession, "zqkit", ("Zqkit", "", "Alat."), ("Zqkit", "", "A small web framework."))
    assert "zqkit" in find(dbsession, "frameworks", "en")
    assert "zqkit" in find(dbsession, "zqkit frameworks", "en")


def test_sqlite_runs_the_full_text_match_first(dbsession, backend):
    """The plan starts from the FTS5 index and looks documents and items up by key, so a
    search costs its matches, not the whole table (at 100 000 topics it took seconds when
    SQLite walked ``items`` first)."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL plans by table statistics; bench/ measures it at 100 000 topics")
    query = search._SqliteBackend(dbsession, ((("python",),),), "id")
    inner = f"SELECT {query.doc_id} AS id, 0.0 AS rank {query.hits}"  # noqa: S608 (constant)
    sql = f"EXPLAIN QUERY PLAN SELECT d.id FROM ({inner}) AS m CROSS JOIN search_documents AS d ON d.id = m.id CROSS JOIN items AS i ON i.id = d.item_id"  # noqa: E501, S608
    plan = [row[3] for row in dbsession.execute(text(sql), query.params())]
    assert plan[0].startswith("SCAN search_fts VIRTUAL TABLE"), plan
    assert not [step for step in plan[1:] if step.startswith("SCAN")], plan


def test_sqlite_filters_the_language_inside_the_full_text_index(dbsession, backend):
    """The language is a rowid range FTS5 applies itself (not a filter on every match)."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL has one partial GIN index per language instead")
    query = search._SqliteBackend(dbsession, ((("python",),),), "en")
    sql = f"EXPLAIN QUERY PLAN SELECT 1 {query.hits}"  # noqa: S608 (constant SQL)
    plan = [row[3] for row in dbsession.execute(text(sql), query.params())]
    # FTS5's index number shows the constraints it takes: M (MATCH), > and < (rowid range).
    assert len(plan) == 1 and "M" in plan[0] and ">" in plan[0] and "<" in plan[0], plan


def test_postgresql_planner_settings_last_only_for_the_search(dbsession, backend):
    if backend != "postgresql":
        pytest.skip("SQLite's plans need no settings")
    names = ("enable_seqscan", "enable_indexscan", "enable_bitmapscan")
    before = [dbsession.scalar(text(f"SHOW {name}")) for name in names]
    broad = search.MAX_RANKED
    search.search(dbsession, "python", "id")
    try:
        search.MAX_RANKED = 1
        assert not search.search(dbsession, "python", "id").total_exact
    finally:
        search.MAX_RANKED = broad
    assert [dbsession.scalar(text(f"SHOW {name}")) for name in names] == before == ["on"] * 3


def test_document_ids_carry_the_language(dbsession):
    made = topic(dbsession, "id-dok", ("Dokumen", "", ""), ("Document", "", ""))
    ids = dict(
        dbsession.execute(
            select(SearchDocument.lang, SearchDocument.id).where(SearchDocument.item_id == made.id)
        ).all()
    )
    assert ids == {"id": made.id, "en": made.id + EN_ID_OFFSET}
    with pytest.raises(ValueError, match="outside"):
        document_id(EN_ID_OFFSET, "id")


def test_a_save_rewrites_only_the_documents_whose_words_changed(dbsession):
    from sqlalchemy import event

    made = topic(dbsession, "sekali-tulis", ("Zorblat", "", "Awal."), ("Zorblat", "", "Start."))
    written = []

    def watch(conn, cursor, statement, params, context, executemany):
        if "search_documents" in statement and statement.lstrip().upper().startswith(
            ("INSERT", "DELETE", "UPDATE")
        ):
            written.append((statement.split()[0].upper(), params))

    engine = dbsession.get_bind()
    event.listen(engine, "before_cursor_execute", watch)
    try:
        made.texts["id"].body = "Awal, lalu Quendril."  # the Indonesian body only
        dbsession.flush()
        assert [kind for kind, _ in written] == ["DELETE", "INSERT"]
        inserted = written[1][1]
        assert len(inserted) == 1 if isinstance(inserted, list) else "Quendril" in str(inserted)
        assert str(made.id) in str(written[0][1]) and str(made.id + EN_ID_OFFSET) not in str(
            written[0][1]
        )
        written.clear()
        made.texts["en"].body = "Start."  # no change at all: nothing is written
        made.website = "https://example.org/sekali"  # not searchable
        dbsession.flush()
        assert written == []
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    assert find(dbsession, "quendril", "id") == ["sekali-tulis"]
    assert find(dbsession, "quendril", "en") == []
    assert find(dbsession, "zorblat", "en") == ["sekali-tulis"]


def test_both_languages(dbsession):
    assert "celery" in find(dbsession, "antrean tugas", "id")
    assert "celery" in find(dbsession, "task queue", "en")
    # The English words are not in the Indonesian texts, and the other way round.
    assert "celery" not in find(dbsession, "distributed task queue", "id")
    assert "celery" not in find(dbsession, "terdistribusi", "en")


def test_english_falls_back_to_the_indonesian_text(dbsession):
    topic(dbsession, "belum-terjemah", ("Qorvath", "Ringkasan", "Isi."), None)
    results = search.search(dbsession, "qorvath", "en")
    assert slugs(results) == ["belum-terjemah"]
    assert results.hits[0].lang == "id"
    assert results.hits[0].title == "Qorvath"
    assert search.search(dbsession, "qorvath", "id").hits[0].lang == "id"


def test_examples_are_found_too(dbsession):
    make_example(dbsession, slug="situs-qx", texts={"id": ("Situs Qxvel", "", ""), "en": None})
    results = search.search(dbsession, "qxvel", "id")
    assert [(hit.item.type, hit.item.slug) for hit in results.hits] == [("example", "situs-qx")]


def test_markdown_is_stripped_but_code_and_link_text_are_kept(dbsession):
    body = "**Tebal** [tautan qlink](https://qurl.example/), `kode_qcode`.\n\n```py\nqfence()\n```"
    topic(dbsession, "md", ("Md", "", body))
    for word in ("tebal", "qlink", "qcode", "qfence"):
        assert "md" in find(dbsession, word), word
    assert "md" not in find(dbsession, "qurl")
    assert search.markdown_text("# Judul\n\n*a* b") == "Judul a b"


# ----------------------------------------------------------------------------- aliases


@pytest.mark.parametrize("query", ["zmq", "ØMQ", "0MQ", "ømq", "zero mq", "ZeroMQ"])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_zeromq_spellings(dbsession, query, lang):
    found = find(dbsession, query, lang)
    if query == "zero mq":
        # As prefixes, both words are in RabbitMQ's text in both languages ("zero" in its
        # mentions of ZeroMQ, "mq" in MQTT), so it may come first; the ZeroMQ page has no
        # word starting "mq". Everything else that only mentions ZeroMQ ranks below it.
        assert "zeromq" in found[:2]
        assert set(found[: found.index("zeromq")]) <= {"rabbitmq"}
    else:
        assert found[0] == "zeromq"


def test_kerangka_kerja_finds_frameworks(dbsession):
    results = search.search(dbsession, "kerangka kerja", "id", limit=100)
    kinds = {hit.item.kind for hit in results.hits}
    assert "framework" in kinds
    assert {"django", "flask", "pyramid"} <= set(slugs(results))


def test_pustaka_and_library_find_each_other(dbsession):
    assert "requests" in find(dbsession, "library", "id")
    assert "requests" in find(dbsession, "pustaka", "en")


def test_editors_maintain_aliases(dbsession):
    topic(dbsession, "vrmq", ("Vrmq", "", "Pustaka pesan."))
    assert find(dbsession, "Kelinci Cepat") == []
    alias = search.add_alias(dbsession, "  Kelinci   CEPAT ", "vrmq")
    assert (alias.term, alias.expands_to) == ("kelinci cepat", "vrmq")
    assert find(dbsession, "kelinci cepat") == ["vrmq"]
    assert "kelinci cepat" in [a.term for a in search.list_aliases(dbsession)]
    # Adding it again replaces the expansion.
    search.add_alias(dbsession, "kelinci cepat", "celery")
    assert "celery" in find(dbsession, "kelinci cepat")
    assert search.delete_alias(dbsession, "Kelinci Cepat") is True
    assert search.delete_alias(dbsession, "kelinci cepat") is False
    assert find(dbsession, "kelinci cepat") == []


@pytest.mark.parametrize(
    "term, expands_to",
    [("", "x"), ("x", ""), ("%%%", "x"), ("same", "SAME"), ("a " * 5, "x"), ("x" * 101, "y")],
)
def test_bad_aliases_are_refused(dbsession, term, expands_to):
    before = dbsession.scalar(select(func.count()).select_from(SearchAlias))
    with pytest.raises(search.AliasError):
        search.add_alias(dbsession, term, expands_to)
    assert dbsession.scalar(select(func.count()).select_from(SearchAlias)) == before


def test_aliases_seeded_by_the_migration(dbsession):
    terms = {a.term: a.expands_to for a in search.list_aliases(dbsession)}
    assert terms["zmq"] == "zeromq"
    assert terms["kerangka kerja"] == "framework"
    assert terms["pustaka"] == "library" and terms["library"] == "pustaka"


# ----------------------------------------------------------------------------- ranking


def test_a_title_match_ranks_above_a_body_only_match(dbsession):
    topic(dbsession, "di-isi", ("Lain", "Ringkasan lain", "Kata wqzm muncul wqzm di sini wqzm."))
    topic(dbsession, "di-judul", ("Wqzm", "Ringkasan", "Isi biasa."))
    topic(dbsession, "di-ringkasan", ("Lagi", "Tentang wqzm", "Isi biasa."))
    results = search.search(dbsession, "wqzm", "id")
    assert slugs(results) == ["di-judul", "di-ringkasan", "di-isi"]
    ranks = [hit.rank for hit in results.hits]
    assert ranks == sorted(ranks, reverse=True)


def test_paging(dbsession):
    for n in range(7):
        topic(dbsession, f"halaman-{n}", (f"Pgword {n}", "", ""))
    first = search.search(dbsession, "pgword", "id", offset=0, limit=3)
    second = search.search(dbsession, "pgword", "id", offset=3, limit=3)
    last = search.search(dbsession, "pgword", "id", offset=6, limit=3)
    beyond = search.search(dbsession, "pgword", "id", offset=30, limit=3)
    assert first.total == second.total == last.total == beyond.total == 7
    assert len(first.hits) == len(second.hits) == 3 and len(last.hits) == 1
    assert not set(slugs(first)) & set(slugs(second))
    assert beyond.hits == []


# ----------------------------------------------------------------------- broad queries


def broad_topics(dbsession):
    """Four body-only matches of "brdq" (oldest first), then a summary and a title match."""
    for n in range(4):
        topic(dbsession, f"luas-isi-{n}", (f"Lain {n}", "Ringkasan", "Isi brdq di sini."))
    topic(dbsession, "luas-ringkasan", ("Lagi", "Tentang brdq", "Isi."))
    topic(dbsession, "luas-judul", ("Brdq", "Ringkasan", "Isi."))


def test_up_to_max_ranked_matches_are_counted_and_ranked_exactly(dbsession, monkeypatch):
    monkeypatch.setattr(search, "MAX_RANKED", 6)
    broad_topics(dbsession)
    results = search.search(dbsession, "brdq", "id")
    assert (results.total, results.total_exact) == (6, True)
    assert slugs(results)[:2] == ["luas-judul", "luas-ringkasan"]
    assert sorted(slugs(results)[2:]) == [f"luas-isi-{n}" for n in range(4)]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_broad_query_shows_title_and_summary_matches_first_then_the_newest(
    dbsession, monkeypatch, lang
):
    monkeypatch.setattr(search, "MAX_RANKED", 4)
    broad_topics(dbsession)
    results = search.search(dbsession, "brdq", lang)
    # Six match: the total says "more than four", and four can be paged through.
    assert (results.total, results.total_exact) == (4, False)
    assert slugs(results) == ["luas-judul", "luas-ringkasan", "luas-isi-3", "luas-isi-2"]
    assert [hit.lang for hit in results.hits] == ["id"] * 4
    first = search.search(dbsession, "brdq", lang, offset=0, limit=3)
    second = search.search(dbsession, "brdq", lang, offset=3, limit=3)
    assert slugs(first) + slugs(second) == slugs(results)
    assert search.search(dbsession, "brdq", lang, offset=4, limit=3).hits == []


def test_a_broad_query_with_many_title_matches_keeps_the_newest(dbsession, monkeypatch):
    monkeypatch.setattr(search, "MAX_RANKED", 2)
    for n in range(4):
        topic(dbsession, f"judul-{n}", (f"Brdt {n}", "", ""))
    results = search.search(dbsession, "brdt", "id")
    assert (results.total, results.total_exact) == (2, False)
    assert sorted(slugs(results)) == ["judul-2", "judul-3"]


def test_a_one_letter_word_is_not_a_prefix(dbsession):
    topic(dbsession, "huruf-q", ("Vektor q", "", ""))
    topic(dbsession, "kata-q", ("Qwyxz", "", ""))
    found = find(dbsession, "q")
    assert "huruf-q" in found and "kata-q" not in found
    assert find(dbsession, "qw") == ["kata-q"]


# ---------------------------------------------------------------------------- snippets


def test_snippets_are_escaped_and_marked(dbsession):
    topic(
        dbsession,
        "xss",
        (
            "<b>Judul</b>",
            "Ringkasan & <i>miring</i>",
            "Awal `<script>alert(1)</script>` zqxss akhir.",
        ),
    )
    hit = search.search(dbsession, "zqxss", "id").hits[0]
    html = str(hit.snippet_html)
    assert isinstance(hit.snippet_html, markupsafe.Markup)
    assert "<mark>zqxss</mark>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html and "<b>" not in html
    assert hit.title == "<b>Judul</b>"  # plain text: the template escapes it


def test_summary_shown_when_only_the_title_matches(dbsession):
    topic(dbsession, "judul-saja", ("Zqtitle", "Ringkasan <tanpa> kata itu & lain", "Isi."))
    hit = search.search(dbsession, "zqtitle", "id").hits[0]
    assert hit.snippet_html == markupsafe.Markup("Ringkasan &lt;tanpa&gt; kata itu &amp; lain")


def test_markers_in_the_text_cannot_forge_marks(dbsession):
    topic(dbsession, "penanda", ("Penanda", "", "zqmark \x01bukan\x02 <mark>ini</mark> selesai"))
    html = str(search.search(dbsession, "zqmark", "id").hits[0].snippet_html)
    assert html.count("<mark>") == 1
    assert "&lt;mark&gt;ini&lt;/mark&gt;" in html


# ------------------------------------------------------------------- what is not found


def test_drafts_and_deleted_items_are_never_found(dbsession):
    topic(dbsession, "draf", ("Zqhidden draf", "", ""), status="draft")
    topic(dbsession, "dibuang", ("Zqhidden dibuang", "", ""), deleted_at=dt.datetime.now(dt.UTC))
    hidden = {"id": ("Zqhidden", "", ""), "en": None}
    make_example(dbsession, slug="contoh-draf", status="draft", texts=hidden)
    for lang in ("id", "en"):
        results = search.search(dbsession, "zqhidden", lang)
        assert results.total == 0 and results.hits == []
    assert not dbsession.scalars(
        select(SearchDocument).join(Item).where(Item.status == "draft")
    ).first()


# ---------------------------------------------------------------- index in the same transaction


def test_an_edit_reindexes_in_the_same_transaction(dbsession):
    item = topic(dbsession, "sunting", ("Sunting", "", "Kata zqlama di sini."))
    assert find(dbsession, "zqlama") == ["sunting"]
    item.texts["id"].body = "Kata zqbaru di sini."
    dbsession.flush()
    assert find(dbsession, "zqbaru") == ["sunting"]
    assert find(dbsession, "zqlama") == []
    # Without an explicit flush too: searching flushes what the transaction changed.
    item.texts["id"].title = "Zqjudul"
    assert find(dbsession, "zqjudul") == ["sunting"]


def test_publish_unpublish_trash_restore(dbsession):
    item = topic(dbsession, "siklus", ("Zqcycle", "", ""), status="draft")
    assert find(dbsession, "zqcycle") == []
    item.status = "published"
    dbsession.flush()
    assert find(dbsession, "zqcycle") == ["siklus"]
    item.deleted_at = dt.datetime.now(dt.UTC)
    dbsession.flush()
    assert find(dbsession, "zqcycle") == []
    item.deleted_at = None
    dbsession.flush()
    assert find(dbsession, "zqcycle") == ["siklus"]
    item.status = "draft"
    dbsession.flush()
    assert find(dbsession, "zqcycle") == []


def test_adding_and_removing_a_translation(dbsession):
    item = topic(dbsession, "terjemahan", ("Zqid", "", ""), None)
    assert find(dbsession, "zqid", "en") == ["terjemahan"]
    item.texts["en"] = ItemText(lang="en", title="Zqen", summary="", body="")
    dbsession.flush()
    assert find(dbsession, "zqen", "en") == ["terjemahan"]
    assert find(dbsession, "zqid", "en") == []
    del item.texts["en"]
    dbsession.flush()
    assert find(dbsession, "zqid", "en") == ["terjemahan"]


def test_hard_delete_removes_the_documents(dbsession):
    item = topic(dbsession, "hapus", ("Zqgone", "", ""))
    item_id = item.id
    dbsession.delete(item)
    dbsession.flush()
    assert find(dbsession, "zqgone") == []
    documents = select(SearchDocument).where(SearchDocument.item_id == item_id)
    assert not dbsession.scalars(documents).all()


def test_bulk_updates_are_reindexed(dbsession):
    topic(dbsession, "massal", ("Zqbulk", "", ""))
    dbsession.execute(update(Item).where(Item.slug == "massal").values(status="draft"))
    assert find(dbsession, "zqbulk") == []
    dbsession.execute(update(Item).where(Item.slug == "massal").values(status="published"))
    assert find(dbsession, "zqbulk") == ["massal"]


def test_index_item_and_rebuild(dbsession):
    public = dbsession.scalar(
        select(func.count())
        .select_from(Item)
        .where(Item.status == "published", Item.deleted_at.is_(None))
    )
    assert search.rebuild_index(dbsession) == 2 * public
    assert "celery" in find(dbsession, "asin")
    item = dbsession.scalars(select(Item).where(Item.slug == "celery")).one()
    search.index_item(dbsession, item)
    assert find(dbsession, "celery", "en")[0] == "celery"


def test_the_index_follows_edits_after_a_rebuild(dbsession):
    search.rebuild_index(dbsession)
    made = topic(dbsession, "pasca-bangun", ("Zqpasca", "", ""))
    assert find(dbsession, "zqpasca") == ["pasca-bangun"]
    made.texts["id"].title = "Zqlain"
    dbsession.flush()
    assert find(dbsession, "zqpasca") == [] and find(dbsession, "zqlain") == ["pasca-bangun"]
    made.deleted_at = dt.datetime.now(dt.UTC)
    dbsession.flush()
    assert find(dbsession, "zqlain") == []
    assert "celery" in find(dbsession, "asin")


# ------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("query", NASTY)
@pytest.mark.parametrize("lang", ["id", "en"])
def test_bad_input_matches_literally_or_not_at_all(dbsession, query, lang):
    results = search.search(dbsession, query, lang)
    assert results.total >= len(results.hits) >= 0


def test_characters_that_mean_syntax_elsewhere_match_literally(dbsession):
    topic(dbsession, "operator", ("Zqop", "", "50% dari a_b & c|d 'kutip' \"dua\" NEAR AND"))
    for query in ("zqop 50%", "zqop a_b", "zqop & |", "'zqop'", '"zqop" NEAR', "zqop AND -"):
        assert find(dbsession, query) == ["operator"], query


@pytest.mark.parametrize("query", ["", " ", "\t\n", "!!!", "\x00", "🐍🐍"])
def test_empty_queries_find_nothing_without_error(dbsession, query):
    assert search.search(dbsession, query, "id") == search.Results(query, 0, [], [])


def test_too_long_query_is_refused(dbsession):
    search.search(dbsession, "a" * search.MAX_QUERY_LENGTH, "id")
    with pytest.raises(search.SearchQueryError) as raised:
        search.search(dbsession, "a" * (search.MAX_QUERY_LENGTH + 1), "id")
    assert "200" in raised.value.message.interpolate()


@pytest.mark.parametrize(
    "kw", [{"lang": "fr"}, {"offset": -1}, {"limit": 0}, {"limit": 1000}, {"offset": 2**63}]
)
def test_bad_arguments_are_refused(dbsession, kw):
    args = {"query": "python", "lang": "id", **kw}
    with pytest.raises(search.SearchQueryError):
        search.search(dbsession, **args)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=st.text(max_size=search.MAX_QUERY_LENGTH + 20), lang=st.sampled_from(["id", "en"]))
def test_any_text_is_a_result_or_a_search_query_error(dbsession, query, lang):
    try:
        results = search.search(dbsession, query, lang)
    except search.SearchQueryError:
        assert len(query) > search.MAX_QUERY_LENGTH
    else:
        assert results.total >= len(results.hits)
        for hit in results.hits:
            assert isinstance(hit.snippet_html, markupsafe.Markup)


# ------------------------------------------------------------------------- suggestions


def test_suggestions_when_nothing_is_found(dbsession):
    results = search.search(dbsession, "djngo", "id")
    assert results.total == 0
    assert "Django" in results.suggestions
    assert "SQLAlchemy" in search.search(dbsession, "sqlalchmy", "en").suggestions
    assert search.search(dbsession, "django", "id").suggestions == []
    assert search.search(dbsession, "qqqqqqqq", "id").suggestions == []


# --------------------------------------------------------------------------- migration


def test_the_migration_indexes_existing_content_and_downgrades_cleanly(request, backend, ini_file):
    # Asked for by name: a parameter called scratch_connection would shadow the import.
    connection = request.getfixturevalue("scratch_connection")
    run_migrations(connection, ini_file, "0002")
    now = dt.datetime.now(dt.UTC)
    for item_id, status in ((1, "published"), (2, "draft")):
        connection.execute(
            text(
                "INSERT INTO items (id, type, slug, kind, website, package, status, created_at,"
                " updated_at, version) VALUES (:id, 'topic', :slug, 'library', '', '', :status,"
                " :now, :now, 1)"
            ),
            {"id": item_id, "slug": f"lama-{item_id}", "status": status, "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO item_texts (item_id, lang, title, summary, body, updated_at, version)"
                " VALUES (:id, 'id', 'Zqmigrasi', 'Ringkasan', '**Isi** lama.', :now, 1)"
            ),
            {"id": item_id, "now": now},
        )
    run_migrations(connection, ini_file, "head")
    with Session(bind=connection) as session:
        for lang in ("id", "en"):
            assert find(session, "zqmigrasi", lang) == ["lama-1"]
    run_migrations(connection, ini_file, "0002", direction="downgrade")
    leftovers = {n for n in table_names(connection) if n.startswith("search_")}
    assert leftovers == set()
