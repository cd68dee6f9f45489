"""links to addresses that have no item yet, so their pages follow when one appears

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 14:40:00

A body may link to ``topic:fastapi`` before that topic exists; the page shows the words
without a link. item_references only holds links to items that exist, so nothing told
the page store to render that page again when the topic was created (or renamed to that
slug, or restored). This table holds those addresses, by source item; it is filled from
the bodies of every item here.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The internal link syntax as of this revision: [words](topic:slug) or (example:slug).
_TARGET = re.compile(r"\]\((topic|example):([a-z0-9][a-z0-9-]*)\)")


def upgrade():
    op.create_table(
        "unresolved_links",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["items.id"],
            name=op.f("fk_unresolved_links_source_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "type", "slug", name=op.f("pk_unresolved_links")),
    )
    op.create_index("ix_unresolved_links_type_slug", "unresolved_links", ["type", "slug"])
    bind = op.get_bind()
    known = {(t, s) for t, s in bind.execute(sa.text("SELECT type, slug FROM items"))} | {
        (t, s) for t, s in bind.execute(sa.text("SELECT type, slug FROM slug_history"))
    }
    rows = set()
    for item_id, body in bind.execute(sa.text("SELECT item_id, body FROM item_texts")):
        for target in _TARGET.findall(body or ""):
            if target not in known:
                rows.add((item_id, *target))
    if rows:
        table = sa.table(
            "unresolved_links", sa.column("source_id"), sa.column("type"), sa.column("slug")
        )
        op.bulk_insert(table, [{"source_id": i, "type": t, "slug": s} for i, t, s in sorted(rows)])


def downgrade():
    op.drop_index("ix_unresolved_links_type_slug", table_name="unresolved_links")
    op.drop_table("unresolved_links")
