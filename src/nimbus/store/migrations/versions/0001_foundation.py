"""foundation: hierarchy, iam, operations

Revision ID: 0001
Revises:
Create Date: 2026-11-25 18:47:06.045293
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import nimbus.store.base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "custom_roles",
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("parent", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column(
            "permissions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column("create_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_custom_roles")),
    )
    with op.batch_alter_table("custom_roles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_custom_roles_parent"), ["parent"], unique=False)

    op.create_table(
        "iam_policies",
        sa.Column("resource", sa.String(length=400), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column(
            "bindings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "audit_configs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("update_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("resource", name=op.f("pk_iam_policies")),
    )
    op.create_table(
        "oauth_clients",
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("create_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_oauth_clients")),
    )
    op.create_table(
        "operations",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("operation_type", sa.String(length=64), nullable=False),
        sa.Column("target_link", sa.Text(), nullable=False),
        sa.Column("target_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=250), nullable=False),
        sa.Column(
            "error",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("http_error_status_code", sa.Integer(), nullable=True),
        sa.Column("http_error_message", sa.String(length=100), nullable=True),
        sa.Column(
            "response",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("insert_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("start_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("end_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
        sa.UniqueConstraint(
            "project_number",
            "scope",
            "location",
            "name",
            name=op.f("uq_operations_project_number_scope_location_name"),
        ),
    )
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operations_project_number"), ["project_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_operations_status"), ["status"], unique=False)

    op.create_table(
        "organizations",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("create_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_organizations")),
    )
    op.create_table(
        "projects",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("project_id", sa.String(length=30), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("parent", sa.String(length=100), nullable=False),
        sa.Column("lifecycle_state", sa.String(length=32), nullable=False),
        sa.Column(
            "labels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column("create_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("update_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("delete_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_projects")),
        sa.UniqueConstraint("project_id", name=op.f("uq_projects_project_id")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_projects_lifecycle_state"), ["lifecycle_state"], unique=False
        )

    op.create_table(
        "service_accounts",
        sa.Column("unique_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("project_number", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column("create_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("unique_id", name=op.f("pk_service_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_service_accounts_email")),
    )
    with op.batch_alter_table("service_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_accounts_project_number"), ["project_number"], unique=False
        )

    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column(
            "value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("principal", sa.String(length=250), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("create_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oauth_clients.client_id"],
            name=op.f("fk_refresh_tokens_client_id_oauth_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_refresh_tokens")),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refresh_tokens_principal"), ["principal"], unique=False
        )

    op.create_table(
        "service_account_keys",
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("service_account_id", sa.String(length=32), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("key_algorithm", sa.String(length=32), nullable=False),
        sa.Column("key_origin", sa.String(length=32), nullable=False),
        sa.Column("key_type", sa.String(length=32), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("valid_after", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("valid_before", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_account_id"],
            ["service_accounts.unique_id"],
            name=op.f("fk_service_account_keys_service_account_id_service_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_service_account_keys")),
    )
    with op.batch_alter_table("service_account_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_account_keys_service_account_id"),
            ["service_account_id"],
            unique=False,
        )

    op.create_table(
        "access_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("principal", sa.String(length=250), nullable=False),
        sa.Column("service_account_id", sa.String(length=32), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=True),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=True),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("issue_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expire_time", nimbus.store.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["service_account_keys.key_id"],
            name=op.f("fk_access_tokens_key_id_service_account_keys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["refresh_token_hash"],
            ["refresh_tokens.token_hash"],
            name=op.f("fk_access_tokens_refresh_token_hash_refresh_tokens"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_account_id"],
            ["service_accounts.unique_id"],
            name=op.f("fk_access_tokens_service_account_id_service_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_access_tokens")),
    )
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_tokens_expire_time"), ["expire_time"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_tokens_expire_time"))

    op.drop_table("access_tokens")
    with op.batch_alter_table("service_account_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_account_keys_service_account_id"))

    op.drop_table("service_account_keys")
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_principal"))

    op.drop_table("refresh_tokens")
    op.drop_table("settings")
    with op.batch_alter_table("service_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_accounts_project_number"))

    op.drop_table("service_accounts")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_lifecycle_state"))

    op.drop_table("projects")
    op.drop_table("organizations")
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operations_status"))
        batch_op.drop_index(batch_op.f("ix_operations_project_number"))

    op.drop_table("operations")
    op.drop_table("oauth_clients")
    op.drop_table("iam_policies")
    with op.batch_alter_table("custom_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custom_roles_parent"))

    op.drop_table("custom_roles")
