"""soft_delete: soft-deleted object generations and when they go for good

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nimbus.store.base import UtcDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("soft_delete_time", UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("hard_delete_time", UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_objects_hard_delete_time"), ["hard_delete_time"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objects_hard_delete_time"))
        batch_op.drop_column("hard_delete_time")
        batch_op.drop_column("soft_delete_time")
