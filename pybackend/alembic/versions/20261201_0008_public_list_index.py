"""readers' lists at any depth: covering indexes of public items by kind and slug

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 14:20:00

A list page's ids come from this index alone, so a deep page (?page=3000 of 100 000
topics) steps through index entries and never reads the rows it skips; the page of
all topics is cut from each kind's count instead of sorting every topic by kind.
Partial (public items only), so the OFFSET walks only what readers can see, and
covering: status and deleted_at are columns too, or SQLite reads every skipped row to
check them, and the id, for PostgreSQL's index-only scan. Examples have no kind: the
second index orders them by slug.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# As of this revision (models/item.py has the live copy).
_PUBLIC = "status = 'published' AND deleted_at IS NULL"
_INDEXES = (
    ("ix_items_public_type_kind_slug", ["type", "kind", "slug", "id", "status", "deleted_at"]),
    ("ix_items_public_type_slug", ["type", "slug", "id", "status", "deleted_at"]),
)


def upgrade():
    for name, columns in _INDEXES:
        op.create_index(
            name,
            "items",
            columns,
            postgresql_where=sa.text(_PUBLIC),
            sqlite_where=sa.text(_PUBLIC),
        )


def downgrade():
    for name, _columns in _INDEXES:
        op.drop_index(name, table_name="items")
