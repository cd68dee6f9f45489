"""changes to a published item that wait for review

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-01 17:50:00

With the review step on, an editor's save of a published item no longer goes live: it
is kept as a revision of its own (action "propose"), named here, and applied when an
administrator approves it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("review_requests") as batch_op:
        batch_op.add_column(sa.Column("proposal", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("review_requests") as batch_op:
        batch_op.drop_column("proposal")
