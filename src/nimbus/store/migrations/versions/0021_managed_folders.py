"""managed_folders: name prefixes with IAM policies of their own

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-26 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nimbus.store.base

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "managed_folders",
        sa.Column(
            "bucket",
            sa.String(length=222, collation="C").with_variant(sa.String(length=222), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "name", sa.Text().with_variant(sa.Text(collation="C"), "postgresql"), nullable=False
        ),
        sa.Column("metageneration", sa.BigInteger(), nullable=False),
        sa.Column("create_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("update_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bucket"],
            ["buckets.name"],
            name=op.f("fk_managed_folders_bucket_buckets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bucket", "name", name=op.f("pk_managed_folders")),
    )


def downgrade() -> None:
    op.drop_table("managed_folders")
