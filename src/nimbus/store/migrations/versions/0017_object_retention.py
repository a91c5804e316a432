"""object_retention: when an object's bucket retention starts, and its own retention

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from nimbus.store.base import UtcDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_start", UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("retention_mode", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("retain_until", UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.drop_column("retain_until")
        batch_op.drop_column("retention_mode")
        batch_op.drop_column("retention_start")
