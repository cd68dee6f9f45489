"""initial content schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 02:42:09.296441

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=False),
        sa.Column("package", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'published')", name=op.f("ck_items_status")),
        sa.CheckConstraint("type IN ('topic', 'example')", name=op.f("ck_items_type")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint("type", "slug", name="uq_items_type_slug"),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_items_status"), ["status"], unique=False)
        batch_op.create_index("ix_items_type_kind_slug", ["type", "kind", "slug"], unique=False)

    op.create_table(
        "item_references",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["items.id"],
            name=op.f("fk_item_references_source_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["items.id"],
            name=op.f("fk_item_references_target_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "target_id", name=op.f("pk_item_references")),
    )
    with op.batch_alter_table("item_references", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_item_references_target_id"), ["target_id"], unique=False
        )

    op.create_table(
        "item_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("lang IN ('id', 'en')", name=op.f("ck_item_texts_lang")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_texts_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_texts")),
        sa.UniqueConstraint("item_id", "lang", name="uq_item_texts_item_id_lang"),
    )
    op.create_table(
        "links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("note_id", sa.String(length=200), nullable=False),
        sa.Column("note_en", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('uses', 'alternative_to', 'successor_of', 'related_to')",
            name=op.f("ck_links_kind"),
        ),
        sa.CheckConstraint("source_id <> target_id", name=op.f("ck_links_not_self")),
        sa.ForeignKeyConstraint(
            ["source_id"], ["items.id"], name=op.f("fk_links_source_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["items.id"], name=op.f("fk_links_target_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_links")),
        sa.UniqueConstraint("source_id", "target_id", "kind", name="uq_links_source_target_kind"),
    )
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_links_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_links_target_id"), ["target_id"], unique=False)

    op.create_table(
        "slug_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_slug_history_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slug_history")),
        sa.UniqueConstraint("type", "slug", name="uq_slug_history_type_slug"),
    )
    with op.batch_alter_table("slug_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slug_history_item_id"), ["item_id"], unique=False)


def downgrade():
    with op.batch_alter_table("slug_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slug_history_item_id"))

    op.drop_table("slug_history")
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_links_target_id"))
        batch_op.drop_index(batch_op.f("ix_links_source_id"))

    op.drop_table("links")
    op.drop_table("item_texts")
    with op.batch_alter_table("item_references", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_references_target_id"))

    op.drop_table("item_references")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_type_kind_slug")
        batch_op.drop_index(batch_op.f("ix_items_status"))

    op.drop_table("items")
