"""Full-text search over published topics and examples, in the reader's language.

One service, two backends, chosen by the session's dialect. Both index the same rows,
``search_documents`` (one per public item and reader language, Markdown stripped to
plain text, the English one falling back to the Indonesian text as the pages do), and
both answer the same query: every word the reader typed, as a prefix ("asin" finds
"asinkron"; a one-letter word only itself), AND-ed, each word or phrase OR-ed with its
alias (``search_aliases``).

- PostgreSQL: a generated tsvector (A title, B summary, C body) with one GIN index per
  reader language, built with the ``indonesian`` or ``english`` configuration according
  to the language the text is written in, so words are stemmed ("frameworks" finds
  "framework"); ranked by ``ts_rank``; snippets by ``ts_headline``.
- SQLite: an FTS5 table (``unicode61 remove_diacritics 2``, prefix indexes of 2–7
  characters) kept in step with ``search_documents`` by triggers; the reader language is
  a rowid range; ranked by ``bm25`` with the same column weights; snippets by
  ``highlight()``/``snippet()``. SQLite has no stemming and no stop words:
  "framework" finds "frameworks" (a prefix) but "frameworks" does not find "framework".
  Otherwise the two behave the same, as far as the engines go.

Every search costs a bounded amount of work: up to MAX_RANKED matches are counted and
ranked exactly; a broader query is answered from its title and summary matches first,
then the newest others (see MAX_RANKED).

User input never reaches SQL as syntax: the query is reduced to words of letters and
digits, which are bound as parameters inside a tsquery / FTS5 expression that we build.
Snippets are escaped here and only our own ``<mark>`` tags are raw.

The index follows every content change in the same transaction: models/search.py calls
``index_changed_items`` from a flush listener.
"""

import contextlib
import dataclasses
import difflib
import functools
import re
import unicodedata

import markupsafe
from markdown_it import MarkdownIt
from sqlalchemy import and_, bindparam, delete, inspect, or_, select, text
from sqlalchemy.orm import Session, selectinload

from ..i18n import _
from ..models.item import LANGUAGES, SOURCE_LANGUAGE, Item, ItemText
from ..models.search import (
    ALIAS_MAX,
    SearchAlias,
    SearchDocument,
    document_id,
    document_id_range,
)
from .content import text_for
from .pages import touch

MAX_QUERY_LENGTH = 200
# Words beyond these are ignored: they cost query time and rarely narrow anything.
MAX_QUERY_WORDS = 12
MAX_ALIAS_WORDS = 4
MAX_LIMIT = 100
MAX_OFFSET = 10_000_000
MAX_SUGGESTIONS = 5
# Suggestions come from topics whose slug shares this many first characters with a word,
# at most this many of them: a typo in the first two letters is rarely what people make.
SUGGESTION_PREFIX = 2
MAX_SUGGESTION_CANDIDATES = 2000
# Up to this many matches are counted and ranked exactly. Ranking costs per match (FTS5's
# bm25, PostgreSQL's ts_rank read every matching document), so a word in half of 100 000
# topics took a second. A broader query is answered in bounded time instead: matches in a
# title or summary first (the newest MAX_RANKED of them, ranked), then the other matches,
# newest first; its total is reported as "more than MAX_RANKED" and paging stops there.
MAX_RANKED = 1000

# Column weights, title : summary : body = 10 : 4 : 1 on both backends. FTS5 multiplies
# term counts by them (so a word three times in the body still ranks below one in the
# summary); PostgreSQL takes them as the weights of labels A, B and C (D is unused).
_SQLITE_WEIGHTS = "10.0, 4.0, 1.0"
_PG_WEIGHTS = "'{0.0, 0.1, 0.4, 1.0}'"

# Highlight markers: control characters never survive into indexed text (_plain), so
# they cannot be confused with the reader's or an editor's text.
_OPEN, _CLOSE = "\x01", "\x02"
# PostgreSQL's parser takes "<word ...>" for an HTML tag and ts_headline drops it; a
# marker after "<" keeps such text as text, and is removed again in Python.
_LT_GUARD = "\x03"
_PG_SUMMARY_OPTIONS = f"StartSel={_OPEN}, StopSel={_CLOSE}, HighlightAll=true"
_PG_BODY_OPTIONS = (
    f"StartSel={_OPEN}, StopSel={_CLOSE}, MaxWords=30, MinWords=12, ShortWord=2, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)
_SQLITE_SNIPPET_TOKENS = 24

_WORD_RE = re.compile(r"[^\W_]+")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class SearchQueryError(ValueError):
    """message is user-facing (a TranslationString from pybackend.i18n._)"""

    @property
    def message(self):
        return self.args[0]


class AliasError(ValueError):
    """An alias editors cannot save; the message is user-facing."""

    @property
    def message(self):
        return self.args[0]


@dataclasses.dataclass
class Hit:
    item: Item
    # The language the title and snippet are written in (Indonesian on an English page
    # when the item has no English text yet).
    lang: str
    title: str
    snippet_html: markupsafe.Markup
    rank: float


@dataclasses.dataclass
class Results:
    query: str
    # Exact when ``total_exact``; otherwise MAX_RANKED, of more matches than that.
    total: int
    hits: list[Hit]
    suggestions: list[str]
    total_exact: bool = True


# ---------------------------------------------------------------- words and documents


def query_words(value):
    """The words of ``value``: letters and digits only, case-folded, NFKC-normalised."""
    return _WORD_RE.findall(unicodedata.normalize("NFKC", value).casefold())


def normalize_term(value):
    """An alias term as stored and matched: its words, joined by single spaces."""
    return " ".join(query_words(value))


def _plain(value):
    """Text as indexed: NFC, no control characters, whitespace collapsed."""
    return " ".join(_CONTROL_RE.sub(" ", unicodedata.normalize("NFC", value or "")).split())


_md = MarkdownIt("js-default")


@functools.lru_cache(maxsize=256)
def markdown_text(body):
    """The words a reader sees in a Markdown body (code included), as plain text.

    Cached by body: a save indexes both languages again, and one of them rarely changed.
    """
    parts = []
    for token in _md.parse(body or ""):
        if token.type == "inline":
            for child in token.children or ():
                if child.type in ("text", "code_inline", "image"):
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append(" ")
        elif token.type in ("fence", "code_block"):
            parts.append(f" {token.content} ")
        elif token.nesting == -1 or token.type == "hr":
            parts.append(" ")
    return _plain("".join(parts))


def _documents(item_id, texts):
    """The rows for one public item; ``texts`` maps lang to (title, summary, body)."""
    rows = []
    bodies = {}
    for lang in LANGUAGES:
        text_lang = lang if lang in texts else SOURCE_LANGUAGE
        if text_lang not in texts:
            continue
        title, summary, body = texts[text_lang]
        if text_lang not in bodies:
            bodies[text_lang] = markdown_text(body)
        rows.append(
            {
                "id": document_id(item_id, lang),
                "item_id": item_id,
                "lang": lang,
                "text_lang": text_lang,
                "title": _plain(title),
                "summary": _plain(summary),
                "body": bodies[text_lang],
            }
        )
    return rows


# Raw SQL, not the ORM: the migration that creates the index runs this too.
_INSERT_DOCUMENT = text(
    "INSERT INTO search_documents (id, item_id, lang, text_lang, title, summary, body) "
    "VALUES (:id, :item_id, :lang, :text_lang, :title, :summary, :body)"
)
_PUBLIC_TEXTS = text(
    "SELECT t.item_id, t.lang, t.title, t.summary, t.body "
    "FROM item_texts AS t JOIN items AS i ON i.id = t.item_id "
    "WHERE i.status = 'published' AND i.deleted_at IS NULL AND t.title <> '' "
    "ORDER BY t.item_id, t.lang"
)


def _insert(connection, rows):
    if rows:
        connection.execute(_INSERT_DOCUMENT, rows)


def _is_gone(obj):
    state = inspect(obj)
    return state.deleted or state.was_deleted


def index_changed_items(connection, items):
    """Re-index ``items`` (ORM objects, as they are in the session) on ``connection``."""
    ids = sorted({item.id for item in items if item.id is not None})
    if not ids:
        return
    rows = []
    for item in {id(item): item for item in items}.values():
        if item.id is None or _is_gone(item) or not item.is_public:
            continue
        texts = {
            lang: (t.title, t.summary, t.body)
            for lang, t in item.texts.items()
            if t.title and not _is_gone(t)
        }
        rows.extend(_documents(item.id, texts))
    # A document whose words did not change stays as it is: each delete and insert
    # tokenizes the whole text for every prefix index (SQLite) or rebuilds its vector
    # (PostgreSQL), and a save usually changes one language of one item.
    table = SearchDocument.__table__
    columns = [table.c[name] for name in _DOCUMENT_COLUMNS]
    stored = {
        row[0]: tuple(row[1:])
        for row in connection.execute(select(table.c.id, *columns).where(table.c.item_id.in_(ids)))
    }
    changed = [
        row for row in rows if stored.get(row["id"]) != tuple(row[n] for n in _DOCUMENT_COLUMNS)
    ]
    wanted = {row["id"] for row in rows}
    remove = (set(stored) - wanted) | {row["id"] for row in changed if row["id"] in stored}
    if remove:
        connection.execute(delete(table).where(table.c.id.in_(sorted(remove))))
    _insert(connection, changed)


# A document's columns but its id: what a re-index compares before it rewrites one.
_DOCUMENT_COLUMNS = ("item_id", "lang", "text_lang", "title", "summary", "body")


def index_item(dbsession, item):
    """(Re)index one item's texts, or remove it from the index when it is not public."""
    dbsession.flush()
    index_changed_items(dbsession.connection(), [item])


def rebuild_index(dbsession):
    """Rebuild the whole index from the public texts; returns the number of documents.

    Takes a Session or a Connection (the migration passes its connection): it uses raw
    SQL only, so it works on any schema from revision 0003 on.
    """
    if isinstance(dbsession, Session):
        dbsession.flush()
        connection = dbsession.connection()
        touch(dbsession, "any")
    else:
        connection = dbsession
    if connection.dialect.name == "sqlite":
        with _fts_rebuilt_at_the_end(connection):
            return _rebuild_documents(connection)
    return _rebuild_documents(connection)


@contextlib.contextmanager
def _fts_rebuilt_at_the_end(connection):
    """SQLite: fill search_documents without the triggers, then rebuild FTS5 in one pass.

    Row by row through the triggers, the index of 100 000 topics took four to six
    minutes; FTS5's own 'rebuild' reads the content table once. The triggers are put
    back exactly as the schema had them; all of it is in the caller's transaction.
    """
    # Python's sqlite3 opens a transaction only before a data change, and a DDL statement
    # outside one commits at once: write first, so the trigger swap is in the transaction.
    connection.execute(text("UPDATE content_state SET generation = generation WHERE id = 1"))
    triggers = connection.execute(
        text(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'trigger' AND tbl_name = 'search_documents' ORDER BY name"
        )
    ).all()
    for name, _sql in triggers:
        connection.execute(text(f'DROP TRIGGER "{name}"'))
    try:
        yield
        connection.execute(text("INSERT INTO search_fts (search_fts) VALUES ('rebuild')"))
    finally:
        for _name, sql in triggers:
            connection.execute(text(sql))


def _rebuild_documents(connection):
    connection.execute(text("DELETE FROM search_documents"))
    count = 0
    batch, current, texts = [], None, {}
    for item_id, lang, title, summary, body in connection.execute(_PUBLIC_TEXTS):
        if item_id != current:
            if current is not None:
                batch.extend(_documents(current, texts))
            current, texts = item_id, {}
        texts[lang] = (title, summary, body)
        if len(batch) >= 500:
            _insert(connection, batch)
            count += len(batch)
            batch = []
    if current is not None:
        batch.extend(_documents(current, texts))
    _insert(connection, batch)
    return count + len(batch)


# ---------------------------------------------------------------------------- aliases


def _validated_term(value, what):
    term = normalize_term(value or "")
    if not term:
        raise AliasError(_("${what} harus berisi huruf atau angka.", mapping={"what": what}))
    if len(term) > ALIAS_MAX or len(term.split()) > MAX_ALIAS_WORDS:
        raise AliasError(
            _(
                "${what} terlalu panjang: paling banyak ${words} kata dan ${chars} karakter.",
                mapping={"what": what, "words": MAX_ALIAS_WORDS, "chars": ALIAS_MAX},
            )
        )
    return term


def add_alias(dbsession, term, expands_to):
    """Make searches for ``term`` also find ``expands_to``; replaces an existing alias."""
    term = _validated_term(term, _("Istilah"))
    expands_to = _validated_term(expands_to, _("Padanan"))
    if term == expands_to:
        raise AliasError(_("Istilah dan padanannya tidak boleh sama."))
    alias = dbsession.scalars(select(SearchAlias).where(SearchAlias.term == term)).first()
    if alias is None:
        alias = SearchAlias(term=term, expands_to=expands_to)
        dbsession.add(alias)
    else:
        alias.expands_to = expands_to
    dbsession.flush()
    # Cached search pages must not outlive the alias they were built with.
    touch(dbsession, "any")
    return alias


def list_aliases(dbsession):
    return list(dbsession.scalars(select(SearchAlias).order_by(SearchAlias.term)))


def delete_alias(dbsession, term):
    """Delete the alias for ``term``; True when there was one."""
    alias = dbsession.scalars(
        select(SearchAlias).where(SearchAlias.term == normalize_term(term or ""))
    ).first()
    if alias is None:
        return False
    dbsession.delete(alias)
    dbsession.flush()
    touch(dbsession, "any")
    return True


def _expand(dbsession, words):
    """The query as groups AND-ed; each group is alternatives OR-ed; each a word tuple."""
    candidates = {
        " ".join(words[i : i + n])
        for i in range(len(words))
        for n in range(1, MAX_ALIAS_WORDS + 1)
        if i + n <= len(words)
    }
    aliases = dict(
        dbsession.execute(
            select(SearchAlias.term, SearchAlias.expands_to).where(
                SearchAlias.term.in_(sorted(candidates))
            )
        ).all()
    )
    groups = []
    i = 0
    while i < len(words):
        for n in range(min(MAX_ALIAS_WORDS, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + n])
            if n > 1 and phrase not in aliases:
                continue
            alternatives = [tuple(words[i : i + n])]
            expansion = tuple(query_words(aliases.get(phrase, "")))[:MAX_QUERY_WORDS]
            if expansion and expansion not in alternatives:
                alternatives.append(expansion)
            groups.append(tuple(alternatives))
            i += n
            break
    return tuple(dict.fromkeys(groups))


# --------------------------------------------------------------------------- backends


class _Backend:
    """Builds and runs one backend's SQL; subclasses give the FROM/WHERE, rank and snippets."""

    def __init__(self, dbsession, groups, lang):
        self.dbsession = dbsession
        self.groups = groups
        self.lang = lang
        self._params = self._build_params()

    def params(self):
        return self._params

    def _build_params(self):
        """The query as the backend's syntax: groups AND-ed, alternatives OR-ed, prefixes.

        One-letter words match whole words only: as prefixes they would match nearly every
        document, and the backends have no prefix index that short.
        """

        def term(word):
            return (self.PREFIX if len(word) > 1 else self.WORD).format(word)

        def alternative(words):
            return f" {self.AND} ".join(term(word) for word in words)

        query = f" {self.AND} ".join(
            "(" + f" {self.OR} ".join(f"({alternative(alt)})" for alt in group) + ")"
            for group in self.groups
        )
        low, high = document_id_range(self.lang)
        return {"query": query, "id_low": low, "id_high": high}

    # Only our own constant fragments are formatted into the SQL below; input is bound.
    #
    # Each query works on the index alone (``hits``: FROM/WHERE over the full-text index,
    # one reader language, ``doc_id`` the document's id) and joins documents and items
    # only for the rows it returns. The index holds public items only (kept so in the
    # same transaction as every change); the join to ``items`` re-checks it for what is
    # shown.

    def _rows(self, kind, inner, params, *bindparams, order="m.rank DESC, d.id"):
        """Rows of id, item_id, text_lang, rank for the (id, rank) rows ``inner`` selects."""
        sql = (
            "SELECT d.id, d.item_id, d.text_lang, m.rank "  # noqa: S608
            f"FROM ({inner}) AS m {self.JOIN} search_documents AS d ON d.id = m.id "
            f"{self.JOIN} items AS i ON i.id = d.item_id "
            "WHERE i.status = 'published' AND i.deleted_at IS NULL "
            f"ORDER BY {order}"
        )
        return self._run(kind, sql, params, *bindparams)

    def count(self, cap):
        """The number of matches, counting no further than ``cap``."""
        sql = f"SELECT count(*) FROM (SELECT 1 {self.hits} LIMIT :cap) AS m"  # noqa: S608
        return self._run("sparse", sql, {"cap": cap})[0][0]

    @contextlib.contextmanager
    def plan(self, kind):
        """Planner settings for one of the queries below (none by default).

        ``sparse``: all matches are wanted (a count, a ranking); ``dense``: the newest
        few of a query known to match many; ``head``: the planner's own choice.
        """
        yield

    def _run(self, kind, sql, params, *bindparams):
        statement = text(sql).bindparams(*bindparams)
        with self.plan(kind):
            return self.dbsession.execute(statement, {**self.params(), **params}).all()

    def page(self, offset, limit):
        """(rows of id, item_id, text_lang, rank; total; whether the total is exact)."""
        total = self.count(MAX_RANKED + 1)
        if total <= MAX_RANKED:
            return self._ranked(offset, limit), total, True
        if offset >= MAX_RANKED:
            return [], MAX_RANKED, False
        limit = min(limit, MAX_RANKED - offset)
        head = self._head()
        rows = head[offset : offset + limit]
        if len(rows) < limit:
            rows += self._newest(
                [row.id for row in head], max(0, offset - len(head)), limit - len(rows)
            )
        return rows, MAX_RANKED, False

    def _ranked(self, offset, limit):
        """All matches ranked (there are at most MAX_RANKED): one page of them."""
        inner = (
            f"SELECT {self.doc_id} AS id, {self.rank} AS rank {self.hits} "  # noqa: S608
            f"ORDER BY rank DESC, {self.doc_id} LIMIT :limit OFFSET :offset"
        )
        return self._rows("sparse", inner, {"offset": offset, "limit": limit})

    def _head(self):
        """The newest MAX_RANKED matches in a title or summary, ranked, best first."""
        inner = (
            f"SELECT {self.doc_id} AS id, {self.rank} AS rank {self.head_hits} "  # noqa: S608
            f"ORDER BY {self.doc_id} DESC LIMIT :cap"
        )
        return self._rows("head", inner, {**self.head_params(), "cap": MAX_RANKED})

    def _newest(self, exclude, offset, limit):
        """The other matches, newest first (unranked: rank 0)."""
        inner = (
            f"SELECT {self.doc_id} AS id, 0.0 AS rank {self.newest_hits} "  # noqa: S608
            f"AND {self.doc_id} NOT IN :exclude "
            f"ORDER BY {self.doc_id} DESC LIMIT :limit OFFSET :offset"
        )
        params = {"exclude": exclude or [0], "offset": offset, "limit": limit}
        exclude_ids = bindparam("exclude", expanding=True)
        return self._rows("dense", inner, params, exclude_ids, order="d.id DESC")

    def head_params(self):
        return {}


class _PostgresBackend(_Backend):
    _CONFIG = "CAST(CASE d.text_lang WHEN 'en' THEN 'english' ELSE 'indonesian' END AS regconfig)"
    rank = f"ts_rank({_PG_WEIGHTS}, d.document, to_tsquery({_CONFIG}, :query))"
    doc_id = "d.id"
    JOIN = "JOIN"
    # One branch per text language, with a constant configuration, so each can use the
    # GIN index; the reader language a constant too (one of LANGUAGES, checked), so the
    # planner picks that language's partial index (revision 0005).
    _HITS = (
        "FROM search_documents AS d WHERE d.lang = '{lang}' "
        "AND ((d.text_lang = 'en' AND d.{column} @@ to_tsquery('english', :query)) "
        "OR (d.text_lang = 'id' AND d.{column} @@ to_tsquery('indonesian', :query)))"
    )
    # Newest first is a walk down the primary key: from the language's highest id.
    _ID_RANGE = " AND d.id >= :id_low AND d.id < :id_high"
    # The planner estimates a tsquery's matches from statistics of the whole column, for
    # both languages together, and under a LIMIT it likes to walk the table or the
    # primary key hoping to stop early: a count of a word frequent in Indonesian and rare
    # in English read every row (1–2 s at 100 000 topics). So: counts and rankings scan
    # the GIN index (they cost what its posting lists cost), the newest of a broad query
    # walk the primary key (at least MAX_RANKED in 100 000 match, so the walk is short).
    # On two cores a parallel plan only queues behind the other requests.
    _PLANS = {
        "sparse": {"enable_seqscan": "off", "enable_indexscan": "off"},
        "dense": {"enable_seqscan": "off", "enable_bitmapscan": "off"},
        "head": {},
    }
    _ALWAYS = {"max_parallel_workers_per_gather": "0"}

    def __init__(self, dbsession, groups, lang):
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}")
        super().__init__(dbsession, groups, lang)
        self._before = None

    @property
    def hits(self):
        return self._HITS.format(lang=self.lang, column="document")

    @property
    def newest_hits(self):
        return self.hits + self._ID_RANGE

    @property
    def head_hits(self):
        # Matches in a title or summary: the generated ``head`` tsvector (revision 0005).
        # How many there are varies too much for one plan: the planner chooses.
        return self._HITS.format(lang=self.lang, column="head") + self._ID_RANGE

    @contextlib.contextmanager
    def plan(self, kind):
        settings = {**self._ALWAYS, **self._PLANS[kind]}
        previous = self._settings_before()
        self._set_config(settings)
        try:
            yield
        finally:
            self._set_config({name: previous[name] for name in settings})

    def _settings_before(self):
        """The planner settings as the search found them, read once per search."""
        if self._before is None:
            names = sorted(
                {name for plan in self._PLANS.values() for name in plan} | {*self._ALWAYS}
            )
            values = ", ".join(f"current_setting(:n{i})" for i in range(len(names)))
            row = self.dbsession.execute(
                text(f"SELECT {values}"),  # noqa: S608 (placeholders only)
                {f"n{i}": name for i, name in enumerate(names)},
            ).one()
            self._before = dict(zip(names, row, strict=True))
        return self._before

    def _set_config(self, values):
        """Transaction-local settings (``set_config(..., true)``), in one statement."""
        names = list(values)
        calls = ", ".join(f"set_config(:n{i}, :v{i}, true)" for i in range(len(names)))
        params = {}
        for i, name in enumerate(names):
            params[f"n{i}"], params[f"v{i}"] = name, values[name]
        self.dbsession.execute(text(f"SELECT {calls}"), params)  # noqa: S608 (placeholders)

    # The tsquery: every word a prefix (``word:*``); bound, never spliced into SQL.
    AND, OR, PREFIX, WORD = "&", "|", "{}:*", "{}"

    def snippets(self, doc_ids):
        query = f"to_tsquery({self._CONFIG}, :query)"
        sql = text(
            "SELECT d.id, "  # noqa: S608 (constant fragments only)
            f"ts_headline({self._CONFIG}, replace(d.summary, '<', :lt), {query}, :summary_opts), "
            f"ts_headline({self._CONFIG}, replace(d.body, '<', :lt), {query}, :body_opts) "
            "FROM search_documents AS d WHERE d.id IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        params = {
            **self.params(),
            "lt": "<" + _LT_GUARD,
            "summary_opts": _PG_SUMMARY_OPTIONS,
            "body_opts": _PG_BODY_OPTIONS,
            "ids": doc_ids,
        }
        return {row[0]: (row[1], row[2]) for row in self.dbsession.execute(sql, params)}


class _SqliteBackend(_Backend):
    rank = f"-bm25(search_fts, {_SQLITE_WEIGHTS})"
    doc_id = "search_fts.rowid"
    # CROSS JOIN fixes SQLite's join order: the index's rows drive the joins. With plain
    # JOINs the planner may walk ``items`` and run the MATCH once per item (8.7 s instead
    # of 0.02 s for one word at 5 000 topics).
    JOIN = "CROSS JOIN"
    # The reader language is a rowid range (models/search.py, document_id), which FTS5
    # applies while it reads the index.
    hits = (
        "FROM search_fts WHERE search_fts MATCH :query "
        "AND search_fts.rowid >= :id_low AND search_fts.rowid < :id_high"
    )
    newest_hits = hits
    # Matches in a title or summary: the same query under an FTS5 column filter.
    head_hits = hits.replace("MATCH :query", "MATCH :head_query")

    # The FTS5 query: every word a quoted prefix (``"word"*``); bound as one value. Words
    # are letters and digits only, so the quotes cannot be broken out of.
    AND, OR, PREFIX, WORD = "AND", "OR", '"{}"*', '"{}"'

    def head_params(self):
        return {"head_query": "{title summary} : (" + self.params()["query"] + ")"}

    def snippets(self, doc_ids):
        sql = text(
            "SELECT rowid, highlight(search_fts, 1, :open, :close), "  # noqa: S608 (constants)
            f"snippet(search_fts, 2, :open, :close, '…', {_SQLITE_SNIPPET_TOKENS}) "
            # One pass over the match within the page's rowid range: with ``rowid IN``
            # FTS5 would evaluate the whole MATCH again for every id (the + keeps the IN
            # out of the virtual table's index).
            "FROM search_fts WHERE search_fts MATCH :query "
            "AND rowid BETWEEN :low AND :high AND +rowid IN :ids"
        ).bindparams(bindparam("ids", expanding=True))
        params = {
            **self.params(),
            "open": _OPEN,
            "close": _CLOSE,
            "ids": doc_ids,
            "low": min(doc_ids),
            "high": max(doc_ids),
        }
        return {row[0]: (row[1], row[2]) for row in self.dbsession.execute(sql, params)}


_BACKENDS = {"postgresql": _PostgresBackend, "sqlite": _SqliteBackend}


def _backend_for(dbsession, groups, lang):
    name = dbsession.get_bind().dialect.name
    try:
        return _BACKENDS[name](dbsession, groups, lang)
    except KeyError:
        raise NotImplementedError(f"search does not support {name}") from None


# ----------------------------------------------------------------------------- search


def _marked(fragment):
    """Escaped text with our markers turned into <mark> elements."""
    escaped = str(markupsafe.escape(" ".join(fragment.replace(_LT_GUARD, "").split())))
    if escaped.count(_OPEN) != escaped.count(_CLOSE):
        escaped = escaped.replace(_OPEN, "").replace(_CLOSE, "")
    marked = escaped.replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")
    # Escaped above: the only markup is the <mark> elements put in here.
    return markupsafe.Markup(marked)  # noqa: S704


def _snippet(summary, body):
    """The summary when it matched, else the body's best passage, else the summary."""
    summary, body = summary or "", body or ""
    if _OPEN in summary or _OPEN not in body:
        return _marked(summary)
    return _marked(body)


def _check(query, lang, offset, limit):
    if not isinstance(query, str):
        raise SearchQueryError(_("Kata pencarian tidak valid."))
    if len(query) > MAX_QUERY_LENGTH:
        raise SearchQueryError(
            _(
                "Kata pencarian terlalu panjang: paling banyak ${max} karakter.",
                mapping={"max": MAX_QUERY_LENGTH},
            )
        )
    if lang not in LANGUAGES:
        raise SearchQueryError(_("Bahasa pencarian tidak dikenal."))
    if (
        not isinstance(offset, int)
        or not isinstance(limit, int)
        or not 0 <= offset <= MAX_OFFSET
        or not 1 <= limit <= MAX_LIMIT
    ):
        raise SearchQueryError(_("Halaman hasil pencarian tidak valid."))


def search(dbsession, query, lang, offset=0, limit=10):
    """Public topics and examples matching ``query`` in ``lang``, best first.

    An empty query (or one without letters or digits) finds nothing; a query longer
    than MAX_QUERY_LENGTH, an unknown language or a bad page raise SearchQueryError.
    """
    _check(query, lang, offset, limit)
    words = query_words(query)[:MAX_QUERY_WORDS]
    if not words:
        return Results(query=query, total=0, hits=[], suggestions=[])
    if dbsession.autoflush:
        # The index is written at flush: search what this transaction has changed.
        dbsession.flush()
    backend = _backend_for(dbsession, _expand(dbsession, words), lang)
    rows, total, exact = backend.page(offset, limit)
    hits = []
    if rows:
        snippets = backend.snippets([row.id for row in rows])
        items = {
            item.id: item
            for item in dbsession.scalars(
                select(Item)
                .where(Item.id.in_([row.item_id for row in rows]))
                .options(selectinload(Item.texts))
            )
        }
        for row in rows:
            item = items.get(row.item_id)
            if item is None:
                continue
            text_, fallback = text_for(item, lang)
            hits.append(
                Hit(
                    item=item,
                    lang=SOURCE_LANGUAGE if fallback else lang,
                    title=text_.title if text_ is not None else item.slug,
                    snippet_html=_snippet(*snippets.get(row.id, ("", ""))),
                    rank=float(row.rank),
                )
            )
    suggestions = [] if total else _suggestions(dbsession, words, lang)
    return Results(query=query, total=total, hits=hits, suggestions=suggestions, total_exact=exact)


def _suggestions(dbsession, words, lang):
    """Topic titles (by title or slug) and alias terms close to what was typed.

    Only topics whose slug starts like one of the words are candidates (an index range
    each), so a miss costs the same at 100 000 topics as at 12.
    """
    titles = {}
    prefixes = sorted({word[:SUGGESTION_PREFIX] for word in words})
    rows = dbsession.execute(
        select(Item.slug, ItemText.lang, ItemText.title)
        .join(ItemText, ItemText.item_id == Item.id)
        .where(
            Item.type == "topic",
            or_(
                *(and_(Item.slug >= p, Item.slug < p[:-1] + chr(ord(p[-1]) + 1)) for p in prefixes)
            ),
            Item.status == "published",
            Item.deleted_at.is_(None),
            ItemText.title != "",
        )
        .order_by(Item.slug)
        .limit(MAX_SUGGESTION_CANDIDATES)
    )
    for slug, text_lang, title in rows:
        if text_lang == lang or slug not in titles:
            titles[slug] = title
    candidates = {}
    for slug, title in titles.items():
        candidates.setdefault(normalize_term(title), title)
        candidates.setdefault(normalize_term(slug), title)
    for term in dbsession.scalars(select(SearchAlias.term)):
        candidates.setdefault(term, term)
    typed = " ".join(words)
    keys = list(candidates)
    matches = difflib.get_close_matches(typed, keys, n=MAX_SUGGESTIONS, cutoff=0.6)
    if len(words) > 1:
        for word in words:
            matches += difflib.get_close_matches(word, keys, n=2, cutoff=0.75)
    found = []
    for key in matches:
        suggestion = candidates[key]
        if normalize_term(suggestion) != typed and suggestion not in found:
            found.append(suggestion)
    return found[:MAX_SUGGESTIONS]
