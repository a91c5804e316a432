"""project services

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 20:20:56.177223
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nimbus.store.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "project_services",
        sa.Column("project_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("service", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("update_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project_number", "service", name=op.f("pk_project_services")),
    )


def downgrade() -> None:

    op.drop_table("project_services")
