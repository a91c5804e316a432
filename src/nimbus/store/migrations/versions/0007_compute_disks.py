"""compute_disks

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nimbus.store.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disk_attachments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("instance_id", sa.BigInteger(), nullable=False),
        sa.Column("disk_id", sa.BigInteger(), nullable=False),
        sa.Column("device_name", sa.String(length=63), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("boot", sa.Boolean(), nullable=False),
        sa.Column("auto_delete", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disk_attachments")),
        sa.UniqueConstraint(
            "instance_id", "device_name", name=op.f("uq_disk_attachments_instance_id_device_name")
        ),
    )
    with op.batch_alter_table("disk_attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disk_attachments_disk_id"), ["disk_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_disk_attachments_instance_id"), ["instance_id"], unique=False
        )

    op.create_table(
        "disks",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("size_gb", sa.Integer(), nullable=False),
        sa.Column("provisioned_gb", sa.Integer(), nullable=False),
        sa.Column("disk_type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("image_id", sa.BigInteger(), nullable=True),
        sa.Column("source_image", sa.Text(), nullable=True),
        sa.Column("source_snapshot_id", sa.BigInteger(), nullable=True),
        sa.Column("source_snapshot", sa.Text(), nullable=True),
        sa.Column(
            "labels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("label_fingerprint", sa.String(length=20), nullable=False),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("creation_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_attach_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_detach_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disks")),
        sa.UniqueConstraint(
            "project_number", "zone", "name", name=op.f("uq_disks_project_number_zone_name")
        ),
    )
    with op.batch_alter_table("disks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disks_project_number"), ["project_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_disks_status"), ["status"], unique=False)

    op.create_table(
        "snapshots",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source_disk_id", sa.BigInteger(), nullable=False),
        sa.Column("source_disk", sa.Text(), nullable=False),
        sa.Column("disk_size_gb", sa.Integer(), nullable=False),
        sa.Column("disk_type", sa.String(length=32), nullable=False),
        sa.Column("image_id", sa.BigInteger(), nullable=True),
        sa.Column("storage_bytes", sa.BigInteger(), nullable=False),
        sa.Column("storage_location", sa.String(length=64), nullable=False),
        sa.Column(
            "labels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("label_fingerprint", sa.String(length=20), nullable=False),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("creation_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
        sa.UniqueConstraint(
            "project_number", "name", name=op.f("uq_snapshots_project_number_name")
        ),
    )
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_snapshots_project_number"), ["project_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_snapshots_status"), ["status"], unique=False)

    op.create_table(
        "usage_intervals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("resource_kind", sa.String(length=16), nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("resource_name", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("provisioning_model", sa.String(length=16), nullable=False),
        sa.Column("vcpus", sa.Float(), nullable=False),
        sa.Column("memory_mb", sa.Integer(), nullable=False),
        sa.Column("size_gb", sa.Float(), nullable=False),
        sa.Column("started", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ended", nimbus.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_intervals")),
    )
    with op.batch_alter_table("usage_intervals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usage_intervals_ended"), ["ended"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_usage_intervals_project_number"), ["project_number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_usage_intervals_resource_id"), ["resource_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_usage_intervals_started"), ["started"], unique=False)

    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("preempt_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("preempted", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_column("preempted")
        batch_op.drop_column("preempt_requested")

    with op.batch_alter_table("usage_intervals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_intervals_started"))
        batch_op.drop_index(batch_op.f("ix_usage_intervals_resource_id"))
        batch_op.drop_index(batch_op.f("ix_usage_intervals_project_number"))
        batch_op.drop_index(batch_op.f("ix_usage_intervals_ended"))

    op.drop_table("usage_intervals")
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_snapshots_status"))
        batch_op.drop_index(batch_op.f("ix_snapshots_project_number"))

    op.drop_table("snapshots")
    with op.batch_alter_table("disks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disks_status"))
        batch_op.drop_index(batch_op.f("ix_disks_project_number"))

    op.drop_table("disks")
    with op.batch_alter_table("disk_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disk_attachments_instance_id"))
        batch_op.drop_index(batch_op.f("ix_disk_attachments_disk_id"))

    op.drop_table("disk_attachments")
