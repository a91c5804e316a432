"""budgets

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nimbus.store.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "budgets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("billing_account_id", sa.String(length=20), nullable=False),
        sa.Column("display_name", sa.String(length=60), nullable=False),
        sa.Column("budget_filter", _JSON, nullable=False),
        sa.Column("amount", _JSON, nullable=False),
        sa.Column("threshold_rules", _JSON, nullable=False),
        sa.Column("notifications_rule", _JSON, nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column("create_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("update_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budgets")),
    )
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_budgets_billing_account_id"), ["billing_account_id"], unique=False
        )

    op.create_table(
        "budget_alerts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("budget_id", sa.String(length=36), nullable=False),
        sa.Column("period_start", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("threshold_percent", sa.Float(), nullable=False),
        sa.Column("spend_basis", sa.String(length=20), nullable=False),
        sa.Column("cost_amount", sa.String(length=40), nullable=False),
        sa.Column("budget_amount", sa.String(length=40), nullable=False),
        sa.Column("alert_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("notification", _JSON, nullable=False),
        sa.Column("delivery", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", nimbus.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("delivered_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_alerts")),
        sa.UniqueConstraint(
            "budget_id",
            "period_start",
            "threshold_percent",
            "spend_basis",
            name="uq_budget_alerts_once",
        ),
    )
    with op.batch_alter_table("budget_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_budget_alerts_budget_id"), ["budget_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_budget_alerts_delivery"), ["delivery"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("budget_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budget_alerts_delivery"))
        batch_op.drop_index(batch_op.f("ix_budget_alerts_budget_id"))
    op.drop_table("budget_alerts")
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budgets_billing_account_id"))
    op.drop_table("budgets")
