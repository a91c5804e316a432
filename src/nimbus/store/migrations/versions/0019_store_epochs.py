"""store_epochs: a counter of changes to the tables authorization reads

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26 12:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    epochs = op.create_table(
        "store_epochs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_store_epochs")),
    )
    op.bulk_insert(epochs, [{"name": "authorization", "value": 0}])


def downgrade() -> None:
    op.drop_table("store_epochs")
