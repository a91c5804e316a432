"""storage

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 19:20:22.556829
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nimbus.store.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "buckets",
        sa.Column(
            "name",
            sa.String(length=222, collation="C").with_variant(sa.String(length=222), "sqlite"),
            nullable=False,
        ),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("location_type", sa.String(length=20), nullable=False),
        sa.Column("storage_class", sa.String(length=20), nullable=False),
        sa.Column(
            "labels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("versioning", sa.Boolean(), nullable=False),
        sa.Column(
            "lifecycle_rules",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("uniform_access", sa.Boolean(), nullable=False),
        sa.Column(
            "extra",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("metageneration", sa.BigInteger(), nullable=False),
        sa.Column("time_created", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_buckets")),
    )
    with op.batch_alter_table("buckets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_buckets_project_number"), ["project_number"], unique=False
        )

    op.create_table(
        "hmac_keys",
        sa.Column("access_id", sa.String(length=64), nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("service_account_email", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column("time_created", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("access_id", name=op.f("pk_hmac_keys")),
    )
    with op.batch_alter_table("hmac_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_hmac_keys_project_number"), ["project_number"], unique=False
        )

    op.create_table(
        "storage_byte_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("bucket", sa.String(length=222), nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("storage_class", sa.String(length=20), nullable=False),
        sa.Column("delta_bytes", sa.BigInteger(), nullable=False),
        sa.Column("at", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_byte_changes")),
    )
    with op.batch_alter_table("storage_byte_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_storage_byte_changes_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_storage_byte_changes_bucket"), ["bucket"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_storage_byte_changes_project_number"), ["project_number"], unique=False
        )

    op.create_table(
        "storage_operation_counts",
        sa.Column("bucket", sa.String(length=222), nullable=False),
        sa.Column("hour", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("class_a", sa.BigInteger(), nullable=False),
        sa.Column("class_b", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "hour", name=op.f("pk_storage_operation_counts")),
    )
    with op.batch_alter_table("storage_operation_counts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_storage_operation_counts_project_number"),
            ["project_number"],
            unique=False,
        )

    op.create_table(
        "objects",
        sa.Column(
            "bucket",
            sa.String(length=222, collation="C").with_variant(sa.String(length=222), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "name", sa.Text().with_variant(sa.Text(collation="C"), "postgresql"), nullable=False
        ),
        sa.Column("generation", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("metageneration", sa.BigInteger(), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("crc32c", sa.BigInteger(), nullable=False),
        sa.Column("md5", sa.LargeBinary(), nullable=True),
        sa.Column("component_count", sa.Integer(), nullable=True),
        sa.Column("storage_class", sa.String(length=20), nullable=False),
        sa.Column("blob_id", sa.String(length=32), nullable=True),
        sa.Column("inline_data", sa.LargeBinary(), nullable=True),
        sa.Column("content_type", sa.String(length=512), nullable=True),
        sa.Column("content_encoding", sa.String(length=256), nullable=True),
        sa.Column("content_disposition", sa.String(length=1024), nullable=True),
        sa.Column("content_language", sa.String(length=64), nullable=True),
        sa.Column("cache_control", sa.String(length=1024), nullable=True),
        sa.Column("custom_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "custom_metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("temporary_hold", sa.Boolean(), nullable=False),
        sa.Column("event_based_hold", sa.Boolean(), nullable=False),
        sa.Column("time_created", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("time_deleted", nimbus.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "time_storage_class_updated",
            nimbus.store.base.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["bucket"], ["buckets.name"], name=op.f("fk_objects_bucket_buckets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("bucket", "name", "generation", name=op.f("pk_objects")),
    )
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_objects_blob_id"), ["blob_id"], unique=False)
        batch_op.create_index(
            "ix_objects_bucket_live_name", ["bucket", "live", "name"], unique=False
        )
        batch_op.create_index(
            "uq_objects_live_name",
            ["bucket", "name"],
            unique=True,
            sqlite_where=sa.text("live"),
            postgresql_where=sa.text("live"),
        )

    op.create_table(
        "resumable_uploads",
        sa.Column("upload_id", sa.String(length=64), nullable=False),
        sa.Column(
            "bucket",
            sa.String(length=222, collation="C").with_variant(sa.String(length=222), "sqlite"),
            nullable=False,
        ),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("principal", sa.String(length=250), nullable=False),
        sa.Column(
            "resource",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "preconditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("persisted", sa.BigInteger(), nullable=False),
        sa.Column("total_size", sa.BigInteger(), nullable=True),
        sa.Column("create_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expire_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bucket"],
            ["buckets.name"],
            name=op.f("fk_resumable_uploads_bucket_buckets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("upload_id", name=op.f("pk_resumable_uploads")),
    )
    with op.batch_alter_table("resumable_uploads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resumable_uploads_expire_time"), ["expire_time"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("resumable_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resumable_uploads_expire_time"))

    op.drop_table("resumable_uploads")
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_objects_live_name", sqlite_where=sa.text("live"), postgresql_where=sa.text("live")
        )
        batch_op.drop_index("ix_objects_bucket_live_name")
        batch_op.drop_index(batch_op.f("ix_objects_blob_id"))

    op.drop_table("objects")
    with op.batch_alter_table("storage_operation_counts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_storage_operation_counts_project_number"))

    op.drop_table("storage_operation_counts")
    with op.batch_alter_table("storage_byte_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_storage_byte_changes_project_number"))
        batch_op.drop_index(batch_op.f("ix_storage_byte_changes_bucket"))
        batch_op.drop_index(batch_op.f("ix_storage_byte_changes_at"))

    op.drop_table("storage_byte_changes")
    with op.batch_alter_table("hmac_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hmac_keys_project_number"))

    op.drop_table("hmac_keys")
    with op.batch_alter_table("buckets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_buckets_project_number"))

    op.drop_table("buckets")
