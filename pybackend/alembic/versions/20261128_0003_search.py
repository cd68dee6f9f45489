"""search: documents, the backend's full-text index, and aliases

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 04:00:00

On PostgreSQL the index is a generated, weighted tsvector column with a GIN index; on
SQLite an FTS5 table over search_documents, kept in step by triggers. Neither is in the
SQLAlchemy metadata (pybackend.models.search.include_object hides them from autogenerate).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Editors maintain these later; one direction per row, stored normalised (see
# pybackend.services.search.normalize_term).
ALIASES = [
    ("zmq", "zeromq"),
    ("ømq", "zeromq"),
    ("0mq", "zeromq"),
    ("zero mq", "zeromq"),
    ("kerangka kerja", "framework"),
    ("framework", "kerangka kerja"),
    ("pustaka", "library"),
    ("library", "pustaka"),
    ("antrean pesan", "messaging"),
    ("message queue", "messaging"),
    ("sistem pesan", "messaging"),
    ("messaging", "pesan"),
    ("antrean tugas", "task queue"),
    ("task queue", "antrean tugas"),
    ("asinkron", "async"),
    ("async", "asinkron"),
    ("asynchronous", "asinkron"),
    ("basis data", "database"),
    ("pangkalan data", "database"),
    ("postgres", "postgresql"),
    ("sqla", "sqlalchemy"),
]

# Text the default parser would read as an HTML tag is indexed as words.
_PG_DOCUMENT = """
CASE WHEN text_lang = 'en' THEN
    setweight(to_tsvector('english', replace(title, '<', '< ')), 'A')
    || setweight(to_tsvector('english', replace(summary, '<', '< ')), 'B')
    || setweight(to_tsvector('english', replace(body, '<', '< ')), 'C')
ELSE
    setweight(to_tsvector('indonesian', replace(title, '<', '< ')), 'A')
    || setweight(to_tsvector('indonesian', replace(summary, '<', '< ')), 'B')
    || setweight(to_tsvector('indonesian', replace(body, '<', '< ')), 'C')
END
"""

_SQLITE_FTS = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        title, summary, body,
        content='search_documents', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3 4'
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
]


def upgrade():
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("text_lang", sa.String(length=5), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.CheckConstraint("lang IN ('id', 'en')", name=op.f("ck_search_documents_lang")),
        sa.CheckConstraint("text_lang IN ('id', 'en')", name=op.f("ck_search_documents_text_lang")),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_search_documents_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint("item_id", "lang", name="uq_search_documents_item_id_lang"),
    )
    aliases = op.create_table(
        "search_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=100), nullable=False),
        sa.Column("expands_to", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_aliases")),
        sa.UniqueConstraint("term", name="uq_search_aliases_term"),
    )
    op.bulk_insert(aliases, [{"term": t, "expands_to": e} for t, e in ALIASES])

    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "ALTER TABLE search_documents ADD COLUMN document tsvector "
            f"GENERATED ALWAYS AS ({_PG_DOCUMENT}) STORED"
        )
        op.execute(
            "CREATE INDEX ix_search_documents_document ON search_documents USING gin (document)"
        )
    elif dialect == "sqlite":
        for statement in _SQLITE_FTS:
            op.execute(statement)
    else:
        raise NotImplementedError(f"search does not support {dialect}")

    if not op.get_context().as_sql:
        # Index what is already there, with raw SQL (the ORM may be ahead of this revision).
        from pybackend.services.search import rebuild_index

        rebuild_index(op.get_bind())


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("search_documents_ai", "search_documents_ad", "search_documents_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    # On PostgreSQL the tsvector column and its index go with the table.
    op.drop_table("search_aliases")
    op.drop_table("search_documents")
