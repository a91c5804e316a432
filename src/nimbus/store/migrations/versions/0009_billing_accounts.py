"""billing_accounts

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nimbus.store.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_accounts",
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("master_billing_account", sa.String(length=40), nullable=False),
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        sa.Column("create_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("update_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_accounts")),
    )
    op.create_table(
        "project_billing",
        sa.Column("project_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("billing_account_id", sa.String(length=20), nullable=True),
        sa.Column("update_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project_number", name=op.f("pk_project_billing")),
    )
    with op.batch_alter_table("project_billing", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_billing_billing_account_id"),
            ["billing_account_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("project_billing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_billing_billing_account_id"))
    op.drop_table("project_billing")
    op.drop_table("billing_accounts")
