"""customer_keys: objects and uploads under customer-supplied encryption keys

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-26 12:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# Each table's new columns: (name, type).
_COLUMNS: dict[str, list[tuple[str, sa.types.TypeEngine[Any]]]] = {
    "objects": [("key_sha256", sa.String(44)), ("key_nonce", sa.LargeBinary())],
    # A soft-deleted bucket's objects keep every column of theirs.
    "soft_deleted_bucket_objects": [("key_sha256", sa.String(44)), ("key_nonce", sa.LargeBinary())],
    "resumable_uploads": [("key_sha256", sa.String(44)), ("key_nonce", sa.LargeBinary())],
    "multipart_uploads": [("key_sha256", sa.String(44))],
    "multipart_parts": [("key_nonce", sa.LargeBinary())],
}


def upgrade() -> None:
    for table, columns in _COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, kind in columns:
                batch_op.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    for table, columns in _COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _ in reversed(columns):
                batch_op.drop_column(name)
