"""each user's language for the editors' area

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-01 14:30:00

The reader site takes its language from the path; the editors' area has one set of
addresses, so it follows each user's own choice (Indonesian until they pick English).
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(
            sa.Column("lang", sa.String(length=5), server_default="id", nullable=False)
        )
        batch_op.create_check_constraint(op.f("ck_users_lang"), "lang IN ('id', 'en')")


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint(op.f("ck_users_lang"), type_="check")
        batch_op.drop_column("lang")
