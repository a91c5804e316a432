"""compute_instances

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 22:21:58.307468
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nimbus.store.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guest_attributes",
        sa.Column("instance_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("namespace", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "instance_id", "namespace", "key", name=op.f("pk_guest_attributes")
        ),
    )
    op.create_table(
        "images",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("family", sa.String(length=63), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("raw_source", sa.Text(), nullable=True),
        sa.Column("archive_size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("disk_size_gb", sa.Integer(), nullable=False),
        sa.Column(
            "labels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("label_fingerprint", sa.String(length=20), nullable=False),
        sa.Column(
            "deprecated",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("creation_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_images")),
        sa.UniqueConstraint("project_number", "name", name=op.f("uq_images_project_number_name")),
    )
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_images_family"), ["family"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_images_project_number"), ["project_number"], unique=False
        )

    op.create_table(
        "instances",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("machine_type", sa.String(length=64), nullable=False),
        sa.Column("vcpus", sa.Double(), nullable=False),
        sa.Column("memory_mb", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("desired_status", sa.String(length=16), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=False),
        sa.Column("image_id", sa.BigInteger(), nullable=False),
        sa.Column("source_image", sa.Text(), nullable=False),
        sa.Column(
            "boot_disk",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "metadata_items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("metadata_fingerprint", sa.String(length=20), nullable=False),
        sa.Column(
            "labels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("label_fingerprint", sa.String(length=20), nullable=False),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("tags_fingerprint", sa.String(length=20), nullable=False),
        sa.Column(
            "service_accounts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "scheduling",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("network_id", sa.BigInteger(), nullable=False),
        sa.Column("network_name", sa.String(length=63), nullable=False),
        sa.Column("subnetwork_id", sa.BigInteger(), nullable=False),
        sa.Column("network_ip", sa.String(length=45), nullable=False),
        sa.Column("nat_ip", sa.String(length=45), nullable=True),
        sa.Column("fingerprint", sa.String(length=20), nullable=False),
        sa.Column("reset_requested", sa.Integer(), nullable=False),
        sa.Column("reset_done", sa.Integer(), nullable=False),
        sa.Column("creation_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_start_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_stop_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instances")),
        sa.UniqueConstraint("nat_ip", name=op.f("uq_instances_nat_ip")),
        sa.UniqueConstraint(
            "project_number", "zone", "name", name=op.f("uq_instances_project_number_zone_name")
        ),
        sa.UniqueConstraint(
            "subnetwork_id", "network_ip", name=op.f("uq_instances_subnetwork_id_network_ip")
        ),
    )
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_instances_network_id"), ["network_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_instances_project_number"), ["project_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_instances_status"), ["status"], unique=False)

    op.create_table(
        "networks",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("auto_create_subnetworks", sa.Boolean(), nullable=False),
        sa.Column("routing_mode", sa.String(length=16), nullable=False),
        sa.Column("mtu", sa.Integer(), nullable=False),
        sa.Column("creation_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_networks")),
        sa.UniqueConstraint("project_number", "name", name=op.f("uq_networks_project_number_name")),
    )
    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_networks_project_number"), ["project_number"], unique=False
        )

    op.create_table(
        "subnetworks",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("network_id", sa.BigInteger(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("ip_cidr_range", sa.String(length=43), nullable=False),
        sa.Column("gateway_address", sa.String(length=45), nullable=False),
        sa.Column("creation_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subnetworks")),
        sa.UniqueConstraint(
            "project_number",
            "region",
            "name",
            name=op.f("uq_subnetworks_project_number_region_name"),
        ),
    )
    with op.batch_alter_table("subnetworks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subnetworks_network_id"), ["network_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_subnetworks_project_number"), ["project_number"], unique=False
        )

    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_operations_request_id"), ["request_id"], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operations_request_id"))
        batch_op.drop_column("request_id")

    with op.batch_alter_table("subnetworks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subnetworks_project_number"))
        batch_op.drop_index(batch_op.f("ix_subnetworks_network_id"))

    op.drop_table("subnetworks")
    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_networks_project_number"))

    op.drop_table("networks")
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instances_status"))
        batch_op.drop_index(batch_op.f("ix_instances_project_number"))
        batch_op.drop_index(batch_op.f("ix_instances_network_id"))

    op.drop_table("instances")
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_images_project_number"))
        batch_op.drop_index(batch_op.f("ix_images_family"))

    op.drop_table("images")
    op.drop_table("guest_attributes")
    # ### end Alembic commands ###
