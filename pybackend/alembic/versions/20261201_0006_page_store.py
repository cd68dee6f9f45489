"""page store and cache tags: pages rendered on write, invalidated by what they show

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 11:30:00

- ``rendered_pages``: the anonymous HTML of every public item page, rendered when the item
  (or something it shows) changes, so that a page no process has in memory costs one
  indexed read (services/pages.py).
- The low-selectivity index on items.status goes (see upgrade()).
- ``cache_tags``: for each surrogate key (``i12``: pages that show item 12, ``l:topic``: the
  topic lists, ...) the content generation and time of its last change. Every process polls
  it to drop exactly the cached pages an edit touched, and it dates those pages.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rendered_pages",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("build", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_rendered_pages_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rendered_pages")),
    )
    op.create_index(op.f("ix_rendered_pages_item_id"), "rendered_pages", ["item_id"])
    op.create_table(
        "cache_tags",
        sa.Column("tag", sa.String(length=120), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tag", name=op.f("pk_cache_tags")),
    )
    op.create_index(op.f("ix_cache_tags_generation"), "cache_tags", ["generation"])
    # The cold path looks links up from either end.
    op.create_index("ix_links_target_id_kind", "links", ["target_id", "kind"])
    # Two values: SQLite (without statistics) walked it instead of a selective index.
    op.drop_index("ix_items_status", table_name="items")


def downgrade():
    op.create_index("ix_items_status", "items", ["status"])
    op.drop_index("ix_links_target_id_kind", table_name="links")
    op.drop_index(op.f("ix_cache_tags_generation"), table_name="cache_tags")
    op.drop_table("cache_tags")
    op.drop_index(op.f("ix_rendered_pages_item_id"), table_name="rendered_pages")
    op.drop_table("rendered_pages")
