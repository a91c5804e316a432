"""compute project metadata

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 19:10:49.070734
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "compute_projects",
        sa.Column("project_number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "metadata_items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("metadata_fingerprint", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("project_number", name=op.f("pk_compute_projects")),
    )


def downgrade() -> None:

    op.drop_table("compute_projects")
