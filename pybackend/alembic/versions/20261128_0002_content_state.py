"""content generation, for HTTP caching across processes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 03:00:00

"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "content_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_content_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_state")),
    )
    op.bulk_insert(table, [{"id": 1, "generation": 1, "changed_at": dt.datetime.now(dt.UTC)}])


def downgrade():
    op.drop_table("content_state")
