"""search: language in the document id, longer FTS5 prefixes, a head tsvector

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 09:30:00

For broad queries to cost the same at 100 000 topics as at 12 (services/search.py,
MAX_RANKED):

- Document ids become the item's id, plus 2**30 for English (models/search.py,
  document_id), so that SQLite's FTS5 filters a language as a rowid range.
- SQLite: the FTS5 table is rebuilt with prefix indexes up to 7 characters (was 4): a
  prefix query longer than the longest prefix index merges the doclists of every word it
  starts ("python*" took 20 ms per evaluation before, 1 ms after); 45 % more index.
- PostgreSQL: ``head``, a title-and-summary tsvector with its own GIN index, so broad
  queries can find the matches in a title or summary first (a GIN index does not keep
  the weights that tell a title word from a body word); and the GIN indexes split by
  reader language (partial indexes).
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

EN_ID_OFFSET = 1 << 30  # models/search.py, as of this revision

# As revision 0003's document, without the body; "<" as there.
_PG_HEAD = """
CASE WHEN text_lang = 'en' THEN
    setweight(to_tsvector('english', replace(title, '<', '< ')), 'A')
    || setweight(to_tsvector('english', replace(summary, '<', '< ')), 'B')
ELSE
    setweight(to_tsvector('indonesian', replace(title, '<', '< ')), 'A')
    || setweight(to_tsvector('indonesian', replace(summary, '<', '< ')), 'B')
END
"""

_TRIGGERS = ("search_documents_ai", "search_documents_ad", "search_documents_au")


def _sqlite_fts(prefix):
    """Revision 0003's FTS5 table and triggers, with prefix indexes of these lengths."""
    return [
        f"""CREATE VIRTUAL TABLE search_fts USING fts5(
            title, summary, body,
            content='search_documents', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2', prefix='{prefix}'
        )""",
        """CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN
            INSERT INTO search_fts (rowid, title, summary, body)
            VALUES (new.id, new.title, new.summary, new.body);
        END""",
        """CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN
            INSERT INTO search_fts (search_fts, rowid, title, summary, body)
            VALUES ('delete', old.id, old.title, old.summary, old.body);
        END""",
        """CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN
            INSERT INTO search_fts (search_fts, rowid, title, summary, body)
            VALUES ('delete', old.id, old.title, old.summary, old.body);
            INSERT INTO search_fts (rowid, title, summary, body)
            VALUES (new.id, new.title, new.summary, new.body);
        END""",
        "INSERT INTO search_fts (search_fts) VALUES ('rebuild')",
    ]


def _drop_sqlite_fts():
    for trigger in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS search_fts")


def _set_ids(expression):
    # Through negative ids, so that no row takes an id another still has.
    op.execute(f"UPDATE search_documents SET id = -({expression})")  # noqa: S608 (constant)
    op.execute("UPDATE search_documents SET id = -id")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        # Without the triggers, the ids change without touching the index twice.
        _drop_sqlite_fts()
    elif dialect == "postgresql":
        # Replaced below; without it the id updates do not rewrite a GIN index twice.
        op.execute("DROP INDEX ix_search_documents_document")
    _set_ids(f"item_id + CASE lang WHEN 'en' THEN {EN_ID_OFFSET} ELSE 0 END")
    if dialect == "sqlite":
        for statement in _sqlite_fts("2 3 4 5 6 7"):
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute(
            "ALTER TABLE search_documents ADD COLUMN head tsvector "
            f"GENERATED ALWAYS AS ({_PG_HEAD}) STORED"
        )
        # One GIN index per tsvector and reader language, replacing revision 0003's: a
        # search reads only its own language's posting lists (a word frequent in
        # Indonesian text and rare in English costs the English search nothing).
        for column in ("document", "head"):
            for lang in ("id", "en"):
                op.execute(
                    f"CREATE INDEX ix_search_documents_{column}_{lang} ON search_documents "
                    f"USING gin ({column}) WHERE lang = '{lang}'"
                )


def downgrade():
    # Revision 0004's code inserts documents without ids: the ones here stay valid.
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _drop_sqlite_fts()
        for statement in _sqlite_fts("2 3 4"):
            op.execute(statement)
    elif dialect == "postgresql":
        for column in ("document", "head"):
            for lang in ("id", "en"):
                op.execute(f"DROP INDEX IF EXISTS ix_search_documents_{column}_{lang}")
        op.execute("ALTER TABLE search_documents DROP COLUMN IF EXISTS head")
        op.execute(
            "CREATE INDEX ix_search_documents_document ON search_documents USING gin (document)"
        )
        # Its ids come from the sequence again: start past the ones given here.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('search_documents', 'id'), "
            "(SELECT coalesce(max(id), 0) + 1 FROM search_documents), false)"
        )
