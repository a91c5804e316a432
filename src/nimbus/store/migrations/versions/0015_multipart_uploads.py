"""multipart_uploads: XML API multipart uploads and their parts

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nimbus.store.base

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "multipart_uploads",
        sa.Column("upload_id", sa.String(length=64), nullable=False),
        sa.Column(
            "bucket",
            sa.String(length=222, collation="C").with_variant(sa.String(length=222), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "name", sa.Text().with_variant(sa.Text(collation="C"), "postgresql"), nullable=False
        ),
        sa.Column("principal", sa.String(length=250), nullable=False),
        sa.Column(
            "resource",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("create_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bucket"],
            ["buckets.name"],
            name=op.f("fk_multipart_uploads_bucket_buckets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("upload_id", name=op.f("pk_multipart_uploads")),
    )
    with op.batch_alter_table("multipart_uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_multipart_uploads_bucket"), ["bucket"], unique=False)

    op.create_table(
        "multipart_parts",
        sa.Column("upload_id", sa.String(length=64), nullable=False),
        sa.Column("part_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("blob_id", sa.String(length=32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("crc32c", sa.BigInteger(), nullable=False),
        sa.Column("md5", sa.LargeBinary(), nullable=False),
        sa.Column("updated", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["multipart_uploads.upload_id"],
            name=op.f("fk_multipart_parts_upload_id_multipart_uploads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("upload_id", "part_number", name=op.f("pk_multipart_parts")),
    )
    with op.batch_alter_table("multipart_parts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_multipart_parts_blob_id"), ["blob_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("multipart_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_multipart_parts_blob_id"))
    op.drop_table("multipart_parts")
    with op.batch_alter_table("multipart_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_multipart_uploads_bucket"))
    op.drop_table("multipart_uploads")
