"""finished_uploads: a resumable session remembers the generation it made

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resumable_uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finished_generation", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("resumable_uploads", schema=None) as batch_op:
        batch_op.drop_column("finished_generation")
