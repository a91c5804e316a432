"""compute_quotas

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nimbus.store.base

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "quota_preferences",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("preference_id", sa.String(length=128), nullable=False),
        sa.Column("service", sa.String(length=128), nullable=False),
        sa.Column("quota_id", sa.String(length=128), nullable=False),
        sa.Column("dimensions", _JSON, nullable=False),
        sa.Column("dimension_key", sa.String(length=256), nullable=False),
        sa.Column("preferred_value", sa.BigInteger(), nullable=False),
        sa.Column("granted_value", sa.BigInteger(), nullable=False),
        sa.Column("annotations", _JSON, nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("contact_email", sa.String(length=256), nullable=False),
        sa.Column("trace_id", sa.String(length=64), nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column("create_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("update_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quota_preferences")),
        sa.UniqueConstraint(
            "project_number",
            "preference_id",
            name=op.f("uq_quota_preferences_project_number_preference_id"),
        ),
        sa.UniqueConstraint(
            "project_number",
            "service",
            "quota_id",
            "dimension_key",
            name=op.f("uq_quota_preferences_project_number_service_quota_id_dimension_key"),
        ),
    )
    with op.batch_alter_table("quota_preferences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quota_preferences_project_number"), ["project_number"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("quota_preferences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quota_preferences_project_number"))
    op.drop_table("quota_preferences")
