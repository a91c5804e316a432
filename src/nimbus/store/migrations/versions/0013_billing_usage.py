"""billing_usage

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nimbus.store.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "storage_removals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("bucket", sa.String(length=222), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("storage_class", sa.String(length=20), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("stored_since", nimbus.store.base.UtcDateTime(), nullable=False),
        sa.Column("removed_at", nimbus.store.base.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_removals")),
    )
    with op.batch_alter_table("storage_removals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_storage_removals_project_number"), ["project_number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_storage_removals_removed_at"), ["removed_at"], unique=False
        )
    with op.batch_alter_table("storage_byte_changes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("location", sa.String(length=64), server_default="US", nullable=False)
        )
    with op.batch_alter_table("storage_operation_counts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("location", sa.String(length=64), server_default="US", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "storage_class", sa.String(length=20), server_default="STANDARD", nullable=False
            )
        )
    # Rows written before this revision take their bucket's location and class.
    op.execute(
        "UPDATE storage_byte_changes SET location = (SELECT b.location FROM buckets b"
        " WHERE b.name = storage_byte_changes.bucket) WHERE EXISTS (SELECT 1 FROM buckets b"
        " WHERE b.name = storage_byte_changes.bucket)"
    )
    op.execute(
        "UPDATE storage_operation_counts SET location = (SELECT b.location FROM buckets b"
        " WHERE b.name = storage_operation_counts.bucket), storage_class = (SELECT"
        " b.storage_class FROM buckets b WHERE b.name = storage_operation_counts.bucket)"
        " WHERE EXISTS (SELECT 1 FROM buckets b WHERE b.name = storage_operation_counts.bucket)"
    )


def downgrade() -> None:
    with op.batch_alter_table("storage_operation_counts", schema=None) as batch_op:
        batch_op.drop_column("storage_class")
        batch_op.drop_column("location")
    with op.batch_alter_table("storage_byte_changes", schema=None) as batch_op:
        batch_op.drop_column("location")
    with op.batch_alter_table("storage_removals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_storage_removals_removed_at"))
        batch_op.drop_index(batch_op.f("ix_storage_removals_project_number"))
    op.drop_table("storage_removals")
