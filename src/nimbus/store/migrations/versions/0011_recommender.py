"""recommender

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nimbus.store.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "utilization_cursors",
        sa.Column("instance_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("cpu_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_utilization_cursors")),
    )
    op.create_table(
        "utilization_hours",
        sa.Column("instance_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hour", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("observed_seconds", sa.Float(), nullable=False),
        sa.Column("cpu_seconds", sa.Float(), nullable=False),
        sa.Column("idle_seconds", sa.Float(), nullable=False),
        sa.Column("peak_vcpus", sa.Float(), nullable=False),
        sa.Column("peak_memory_bytes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", "hour", name=op.f("pk_utilization_hours")),
    )
    with op.batch_alter_table("utilization_hours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_utilization_hours_hour"), ["hour"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_utilization_hours_project_number"), ["project_number"], unique=False
        )

    op.create_table(
        "recommendations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("recommender", sa.String(length=100), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_metadata", _JSON, nullable=False),
        sa.Column("content", _JSON, nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column(
            "last_refresh_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("state_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
    )
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recommendations_project_number"), ["project_number"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendations_project_number"))
    op.drop_table("recommendations")
    with op.batch_alter_table("utilization_hours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_utilization_hours_project_number"))
        batch_op.drop_index(batch_op.f("ix_utilization_hours_hour"))
    op.drop_table("utilization_hours")
    op.drop_table("utilization_cursors")
