"""editors' area bounded at any size: list, trash, dashboard and audit indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 11:30:00

Every screen of /admin/ must cost the same at 100 000 topics as at 12, so every query
behind one walks an index and stops at its LIMIT:

- items: the lists by type and slug (all, or of one status), the trash by deletion
  time, the dashboard's drafts by change time; slug prefixes for the link picker, byte
  ordered (COLLATE "C" on PostgreSQL, so a prefix is an index range under any collation).
- items.translation: the state of the English text (missing, stale, current), kept by
  services/translations.py on every change, so the dashboard's "to translate" lists are
  index lookups instead of a join over every text. Filled here from the texts.
- item_texts: lower(title) prefixes, per language, byte-ordered as well.
- revisions by time (the dashboard's latest changes); audit_log by each filter and time.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The rule of services/translations.py, as of this revision.
_BACKFILL = """
UPDATE items SET translation = CASE
    WHEN NOT EXISTS (
        SELECT 1 FROM item_texts en
        WHERE en.item_id = items.id AND en.lang = 'en' AND en.title <> ''
    ) THEN 'missing'
    WHEN EXISTS (
        SELECT 1 FROM item_texts en JOIN item_texts src
            ON src.item_id = en.item_id AND src.lang = 'id'
        WHERE en.item_id = items.id AND en.lang = 'en'
            AND en.source_version IS NOT NULL AND en.source_version < src.version
    ) THEN 'stale'
    ELSE 'current'
END
"""

_CHECK = "translation IN ('missing', 'stale', 'current')"
_TRASHED = {
    "postgresql_where": sa.text("deleted_at IS NOT NULL"),
    "sqlite_where": sa.text("deleted_at IS NOT NULL"),
}
_DRAFTS = {
    "postgresql_where": sa.text("status = 'draft' AND deleted_at IS NULL"),
    "sqlite_where": sa.text("status = 'draft' AND deleted_at IS NULL"),
}
_ITEM_INDEXES = (("ix_items_translation_type_slug", ["translation", "type", "slug"]),)
# Live items only (PostgreSQL orders by slug through an index only when no column
# before it is tested with IS NULL).
_LIVE_INDEXES = (
    ("ix_items_live_type_slug", ["type", "slug", "id"]),
    ("ix_items_live_type_status_slug", ["type", "status", "slug", "id"]),
)
_AUDIT_INDEXES = (
    ("ix_audit_log_action_at", ["action", "at", "id"]),
    ("ix_audit_log_username_at", ["username", "at", "id"]),
    ("ix_audit_log_object_type_at", ["object_type", "at", "id"]),
)


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # A column constraint: SQLite adds it in place. A batch rebuild of items would
        # drop the old table, and with foreign keys on that deletes every child row.
        op.execute(
            "ALTER TABLE items ADD COLUMN translation VARCHAR(10) DEFAULT 'missing' NOT NULL"
            f" CONSTRAINT ck_items_translation CHECK ({_CHECK})"
        )
    else:
        op.add_column(
            "items",
            sa.Column(
                "translation", sa.String(length=10), nullable=False, server_default="missing"
            ),
        )
        op.create_check_constraint(op.f("ck_items_translation"), "items", _CHECK)
    op.execute(_BACKFILL)
    for name, columns in _ITEM_INDEXES:
        op.create_index(name, "items", columns)
    # Drafts only: a plain (status, updated_at) index led SQLite, which has no statistics,
    # to walk every published item for each backlinks query.
    op.create_index("ix_items_drafts_updated_at", "items", ["updated_at"], **_DRAFTS)
    # The trash only: on every item, "deleted_at IS NULL" made SQLite walk all live items.
    op.create_index("ix_items_deleted_at", "items", ["deleted_at", "id"], **_TRASHED)
    for name, columns in _LIVE_INDEXES:
        op.create_index(
            name,
            "items",
            columns,
            postgresql_where=sa.text("deleted_at IS NULL"),
            sqlite_where=sa.text("deleted_at IS NULL"),
        )
    # Byte-ordered prefixes (models/bytewise.py): COLLATE "C" on PostgreSQL; SQLite's
    # default collation already is.
    collate = ' COLLATE "C"' if op.get_bind().dialect.name == "postgresql" else ""
    op.execute(f"CREATE INDEX ix_items_type_slug_bytes ON items (type, slug{collate})")
    op.execute(
        f"CREATE INDEX ix_item_texts_lang_title_prefix ON item_texts (lang, lower(title){collate})"
    )
    op.create_index("ix_revisions_created_at_id", "revisions", ["created_at", "id"])
    op.drop_index("ix_audit_log_action", table_name="audit_log")
    for name, columns in _AUDIT_INDEXES:
        op.create_index(name, "audit_log", columns)


def downgrade():
    for name, _columns in _AUDIT_INDEXES:
        op.drop_index(name, table_name="audit_log")
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.drop_index("ix_revisions_created_at_id", table_name="revisions")
    op.drop_index("ix_item_texts_lang_title_prefix", table_name="item_texts")
    op.drop_index("ix_items_type_slug_bytes", table_name="items")
    for name, _columns in _ITEM_INDEXES + _LIVE_INDEXES:
        op.drop_index(name, table_name="items")
    op.drop_index("ix_items_drafts_updated_at", table_name="items")
    op.drop_index("ix_items_deleted_at", table_name="items")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_items_translation"), "items", type_="check")
    op.drop_column("items", "translation")
