"""Identities and access: policies, service accounts and their keys, tokens, roles."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.store.base import Base, JsonValue, UtcDateTime


class IamPolicy(Base):
    """The allow policy attached to one resource, keyed by its policy path.

    Paths are ``organizations/N``, ``projects/N`` (by number: ids are reusable names),
    ``projects/N/serviceAccounts/UID``, and later ``buckets/NAME`` and so on.
    """

    __tablename__ = "iam_policies"

    resource: Mapped[str] = mapped_column(String(400), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    etag: Mapped[str] = mapped_column(String(40))
    bindings: Mapped[list[dict[str, Any]]] = mapped_column(JsonValue, default=list)
    audit_configs: Mapped[list[dict[str, Any]]] = mapped_column(JsonValue, default=list)
    update_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ServiceAccount(Base):
    __tablename__ = "service_accounts"

    unique_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    account_id: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(String(256), default="")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    etag: Mapped[str] = mapped_column(String(40))
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ServiceAccountKey(Base):
    __tablename__ = "service_account_keys"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_account_id: Mapped[str] = mapped_column(
        ForeignKey("service_accounts.unique_id", ondelete="CASCADE"), index=True
    )
    certificate_pem: Mapped[str] = mapped_column(Text)
    key_algorithm: Mapped[str] = mapped_column(String(32))
    key_origin: Mapped[str] = mapped_column(String(32))
    key_type: Mapped[str] = mapped_column(String(32))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_after: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    valid_before: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class OAuthClient(Base):
    """An OAuth client that may redeem refresh tokens (``authorized_user`` files)."""

    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100))
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    principal: Mapped[str] = mapped_column(String(250), index=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("oauth_clients.client_id", ondelete="CASCADE")
    )
    scopes: Mapped[str] = mapped_column(Text)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class AccessToken(Base):
    """An issued bearer token; only its SHA-256 is kept, never the token."""

    __tablename__ = "access_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    principal: Mapped[str] = mapped_column(String(250))
    service_account_id: Mapped[str | None] = mapped_column(
        ForeignKey("service_accounts.unique_id", ondelete="CASCADE"), nullable=True
    )
    key_id: Mapped[str | None] = mapped_column(
        ForeignKey("service_account_keys.key_id", ondelete="CASCADE"), nullable=True
    )
    refresh_token_hash: Mapped[str | None] = mapped_column(
        ForeignKey("refresh_tokens.token_hash", ondelete="CASCADE"), nullable=True
    )
    scopes: Mapped[str] = mapped_column(Text)
    issue_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expire_time: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)


class CustomRole(Base):
    __tablename__ = "custom_roles"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    parent: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(300), default="")
    stage: Mapped[str] = mapped_column(String(20), default="GA")
    permissions: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    etag: Mapped[str] = mapped_column(String(40))
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
