"""sources and structured facts of items; "built on" links

Revision ID: 0030
Revises: 0020
Create Date: 2026-12-01 14:10:00

- item_sources: what an item cites (title, URL, publisher, day accessed), in order.
- item_facts: a topic's language-neutral facts (licence, first release, ...), by key.
- links.kind also allows "built_on" (the seed's relation kinds).
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0020"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('uses', 'alternative_to', 'successor_of', 'related_to')"
NEW_KINDS = "kind IN ('uses', 'alternative_to', 'successor_of', 'related_to', 'built_on')"


def upgrade():
    op.create_table(
        "item_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("publisher", sa.String(length=200), nullable=False),
        sa.Column("accessed", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_item_sources_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_sources")),
    )
    op.create_index(op.f("ix_item_sources_item_id"), "item_sources", ["item_id"])
    op.create_table(
        "item_facts",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_facts_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("item_id", "key", name=op.f("pk_item_facts")),
    )
    _link_kinds(NEW_KINDS)


def _link_kinds(condition):
    with op.batch_alter_table("links", recreate="auto") as batch_op:
        batch_op.drop_constraint(op.f("ck_links_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_links_kind"), condition)


def downgrade():
    op.execute("DELETE FROM links WHERE kind = 'built_on'")
    _link_kinds(OLD_KINDS)
    op.drop_table("item_facts")
    op.drop_index(op.f("ix_item_sources_item_id"), table_name="item_sources")
    op.drop_table("item_sources")
