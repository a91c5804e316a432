"""bucket_soft_delete: bucket generations, soft-deleted buckets and the objects they keep

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-27 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from nimbus.store.base import UtcDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time(name: str, *, nullable: bool) -> sa.Column[sa.DateTime]:
    return sa.Column(name, UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    _bucket_generations()
    op.create_table(
        "soft_deleted_buckets",
        sa.Column(
            "name",
            sa.String(length=222, collation="C").with_variant(sa.String(length=222), "sqlite"),
            nullable=False,
        ),
        sa.Column("generation", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("location_type", sa.String(length=20), nullable=False),
        sa.Column("storage_class", sa.String(length=20), nullable=False),
        sa.Column("labels", _JSON, nullable=False),
        sa.Column("versioning", sa.Boolean(), nullable=False),
        sa.Column("lifecycle_rules", _JSON, nullable=False),
        sa.Column("uniform_access", sa.Boolean(), nullable=False),
        sa.Column("extra", _JSON, nullable=False),
        sa.Column("metageneration", sa.BigInteger(), nullable=False),
        _time("time_created", nullable=False),
        _time("updated", nullable=False),
        _time("soft_delete_time", nullable=False),
        _time("hard_delete_time", nullable=False),
        sa.Column("iam_policy", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("name", "generation", name=op.f("pk_soft_deleted_buckets")),
    )
    with op.batch_alter_table("soft_deleted_buckets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_soft_deleted_buckets_hard_delete_time"), ["hard_delete_time"]
        )
        batch_op.create_index(
            batch_op.f("ix_soft_deleted_buckets_project_number"), ["project_number"]
        )
    op.create_table(
        "soft_deleted_bucket_objects",
        sa.Column("bucket", sa.String(length=222), nullable=False),
        sa.Column("bucket_generation", sa.BigInteger(), autoincrement=False, nullable=False),
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
        _time("custom_time", nullable=True),
        sa.Column("custom_metadata", _JSON, nullable=False),
        sa.Column("contexts", _JSON, nullable=True),
        sa.Column("owner", sa.String(length=250), nullable=True),
        sa.Column("acl", _JSON, nullable=True),
        sa.Column("temporary_hold", sa.Boolean(), nullable=False),
        sa.Column("event_based_hold", sa.Boolean(), nullable=False),
        _time("retention_start", nullable=True),
        sa.Column("retention_mode", sa.String(length=16), nullable=True),
        _time("retain_until", nullable=True),
        _time("time_created", nullable=False),
        _time("updated", nullable=False),
        _time("time_deleted", nullable=True),
        _time("soft_delete_time", nullable=True),
        _time("hard_delete_time", nullable=True),
        _time("time_storage_class_updated", nullable=False),
        sa.PrimaryKeyConstraint(
            "bucket",
            "bucket_generation",
            "name",
            "generation",
            name=op.f("pk_soft_deleted_bucket_objects"),
        ),
    )
    with op.batch_alter_table("soft_deleted_bucket_objects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_soft_deleted_bucket_objects_blob_id"), ["blob_id"])
        batch_op.create_index(
            batch_op.f("ix_soft_deleted_bucket_objects_hard_delete_time"), ["hard_delete_time"]
        )


def _bucket_generations() -> None:
    """Existing buckets get their creation time in microseconds, as a new one would."""
    with op.batch_alter_table("buckets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("generation", sa.BigInteger(), nullable=True))
    buckets = sa.table(
        "buckets",
        sa.column("name", sa.String()),
        sa.column("time_created", UtcDateTime(timezone=True)),
        sa.column("generation", sa.BigInteger()),
    )
    connection = op.get_bind()
    for name, created in connection.execute(sa.select(buckets.c.name, buckets.c.time_created)):
        generation = int(created.timestamp() * 1_000_000)
        connection.execute(
            buckets.update().where(buckets.c.name == name).values(generation=generation)
        )
    with op.batch_alter_table("buckets", schema=None) as batch_op:
        batch_op.alter_column("generation", existing_type=sa.BigInteger(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("soft_deleted_bucket_objects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_soft_deleted_bucket_objects_hard_delete_time"))
        batch_op.drop_index(batch_op.f("ix_soft_deleted_bucket_objects_blob_id"))
    op.drop_table("soft_deleted_bucket_objects")
    with op.batch_alter_table("soft_deleted_buckets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_soft_deleted_buckets_project_number"))
        batch_op.drop_index(batch_op.f("ix_soft_deleted_buckets_hard_delete_time"))
    op.drop_table("soft_deleted_buckets")
    with op.batch_alter_table("buckets", schema=None) as batch_op:
        batch_op.drop_column("generation")
