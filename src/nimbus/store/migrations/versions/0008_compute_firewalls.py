"""compute_firewalls

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 09:00:00.000000
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nimbus.store.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_ANYWHERE = ["0.0.0.0/0"]
# Google's four rules of a default network, as they were when this revision was written:
# default networks made before it get them too.
_DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "name": "default-allow-internal",
        "description": "Allow internal traffic on the default network",
        "source_ranges": ["10.128.0.0/9"],
        "allowed": [
            {"IPProtocol": "tcp", "ports": ["0-65535"]},
            {"IPProtocol": "udp", "ports": ["0-65535"]},
            {"IPProtocol": "icmp"},
        ],
    },
    {
        "name": "default-allow-ssh",
        "description": "Allow SSH from anywhere",
        "source_ranges": _ANYWHERE,
        "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}],
    },
    {
        "name": "default-allow-rdp",
        "description": "Allow RDP from anywhere",
        "source_ranges": _ANYWHERE,
        "allowed": [{"IPProtocol": "tcp", "ports": ["3389"]}],
    },
    {
        "name": "default-allow-icmp",
        "description": "Allow ICMP from anywhere",
        "source_ranges": _ANYWHERE,
        "allowed": [{"IPProtocol": "icmp"}],
    },
]


def upgrade() -> None:
    firewalls = op.create_table(
        "firewalls",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("network_id", sa.BigInteger(), nullable=False),
        sa.Column("network_name", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("allowed", _JSON, nullable=False),
        sa.Column("denied", _JSON, nullable=False),
        sa.Column("source_ranges", _JSON, nullable=False),
        sa.Column("destination_ranges", _JSON, nullable=False),
        sa.Column("source_tags", _JSON, nullable=False),
        sa.Column("target_tags", _JSON, nullable=False),
        sa.Column("source_service_accounts", _JSON, nullable=False),
        sa.Column("target_service_accounts", _JSON, nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("log_config", _JSON, nullable=False),
        sa.Column("creation_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firewalls")),
        sa.UniqueConstraint(
            "project_number", "name", name=op.f("uq_firewalls_project_number_name")
        ),
    )
    with op.batch_alter_table("firewalls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firewalls_network_id"), ["network_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_firewalls_project_number"), ["project_number"], unique=False
        )

    with op.batch_alter_table("subnetworks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("compute_projects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "default_network_made", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("subnetwork_name", sa.String(length=63), nullable=False, server_default="")
        )
    # Until now every instance was on a default network, whose subnets share its name.
    op.execute("UPDATE instances SET subnetwork_name = network_name")
    _default_rules_for_existing_networks(firewalls)


def _default_rules_for_existing_networks(firewalls: sa.Table) -> None:
    networks = sa.table(
        "networks",
        sa.column("id", sa.BigInteger()),
        sa.column("project_number", sa.BigInteger()),
        sa.column("name", sa.String()),
    )
    found = op.get_bind().execute(
        sa.select(networks.c.id, networks.c.project_number).where(networks.c.name == "default")
    )
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "id": 10**18 + secrets.randbelow(2**63 - 1 - 10**18),
            "project_number": project_number,
            "network_id": network_id,
            "network_name": "default",
            "name": rule["name"],
            "description": rule["description"],
            "priority": 65534,
            "direction": "INGRESS",
            "allowed": rule["allowed"],
            "denied": [],
            "source_ranges": rule["source_ranges"],
            "destination_ranges": [],
            "source_tags": [],
            "target_tags": [],
            "source_service_accounts": [],
            "target_service_accounts": [],
            "disabled": False,
            "log_config": {"enable": False},
            "creation_time": now,
        }
        for network_id, project_number in found
        for rule in _DEFAULT_RULES
    ]
    if rows:
        op.bulk_insert(firewalls, rows)


def downgrade() -> None:
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_column("subnetwork_name")
    with op.batch_alter_table("compute_projects", schema=None) as batch_op:
        batch_op.drop_column("default_network_made")
    with op.batch_alter_table("subnetworks", schema=None) as batch_op:
        batch_op.drop_column("description")
    with op.batch_alter_table("firewalls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firewalls_project_number"))
        batch_op.drop_index(batch_op.f("ix_firewalls_network_id"))
    op.drop_table("firewalls")
