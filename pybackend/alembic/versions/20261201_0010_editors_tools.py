"""editors' tools: autosaves, schedules, review requests, site settings

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 14:15:00

- ``autosaves``: each editor's private, unsaved form per item (or per type for a new
  item), never a revision and never shown to readers.
- ``schedules``: publish and unpublish times. Every process asks for the earliest pending
  one about once a second, through a partial index on ``due_at`` (pending rows only).
- ``review_requests``: items waiting for an administrator, or sent back to their editor.
- ``site_settings``: settings administrators change in the editors' area.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _user_fk(table, column, ondelete):
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete=ondelete
    )


def _item_fk(table):
    return sa.ForeignKeyConstraint(
        ["item_id"], ["items.id"], name=op.f(f"fk_{table}_item_id_items"), ondelete="CASCADE"
    )


def upgrade():
    op.create_table(
        "autosaves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("item_type", sa.String(length=20), nullable=False),
        sa.Column("item_key", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        _user_fk("autosaves", "user_id", "CASCADE"),
        _item_fk("autosaves"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_autosaves")),
        sa.UniqueConstraint("user_id", "item_type", "item_key", name="uq_autosaves_owner"),
    )
    op.create_index("ix_autosaves_item_id", "autosaves", ["item_id"])
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.CheckConstraint("action IN ('publish', 'unpublish')", name=op.f("ck_schedules_action")),
        _item_fk("schedules"),
        _user_fk("schedules", "user_id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
    )
    op.create_index(
        "ix_schedules_pending_due",
        "schedules",
        ["due_at", "id"],
        postgresql_where=sa.text("done_at IS NULL"),
        sqlite_where=sa.text("done_at IS NULL"),
    )
    op.create_index("ix_schedules_item_id", "schedules", ["item_id"])
    op.create_table(
        "review_requests",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'returned')", name=op.f("ck_review_requests_state")
        ),
        _item_fk("review_requests"),
        _user_fk("review_requests", "submitted_by", "SET NULL"),
        _user_fk("review_requests", "reviewer_id", "SET NULL"),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_review_requests")),
    )
    op.create_index(
        "ix_review_requests_state_at", "review_requests", ["state", "updated_at", "item_id"]
    )
    op.create_index("ix_review_requests_submitted_by", "review_requests", ["submitted_by", "state"])
    op.create_table(
        "site_settings",
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_site_settings")),
    )


def downgrade():
    op.drop_table("site_settings")
    op.drop_index("ix_review_requests_submitted_by", table_name="review_requests")
    op.drop_index("ix_review_requests_state_at", table_name="review_requests")
    op.drop_table("review_requests")
    op.drop_index("ix_schedules_item_id", table_name="schedules")
    op.drop_index("ix_schedules_pending_due", table_name="schedules")
    op.drop_table("schedules")
    op.drop_index("ix_autosaves_item_id", table_name="autosaves")
    op.drop_table("autosaves")
