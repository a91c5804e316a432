"""Cloud Storage state: buckets, object generations, managed folders, resumable uploads,
HMAC keys, usage.

Object bytes live in ``nimbus.blobs``; a row names its blob, or holds small objects
inline so that a small write is one transaction and one fsync.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.store.base import Base, JsonValue, UtcDateTime

# Object names sort by their bytes, as Cloud Storage lists them; PostgreSQL's locale
# collations would not (SQLite compares text bytewise already).
ObjectName = Text().with_variant(Text(collation="C"), "postgresql")


def _creation_micros(context: Any) -> int:
    created: dt.datetime = context.get_current_parameters()["time_created"]
    return int(created.timestamp() * 1_000_000)


class BucketState:
    """A bucket's settings, shared by live buckets and soft-deleted ones (restore copies
    every column of this mixin back)."""

    name: Mapped[str] = mapped_column(
        String(222, collation="C").with_variant(String(222), "sqlite"), primary_key=True
    )
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    location: Mapped[str] = mapped_column(String(64))
    location_type: Mapped[str] = mapped_column(String(20))
    storage_class: Mapped[str] = mapped_column(String(20))
    labels: Mapped[dict[str, str]] = mapped_column(JsonValue, default=dict)
    versioning: Mapped[bool] = mapped_column(Boolean, default=False)
    lifecycle_rules: Mapped[list[dict[str, Any]]] = mapped_column(JsonValue, default=list)
    uniform_access: Mapped[bool] = mapped_column(Boolean, default=False)
    # Settings kept and returned as given (cors, website, logging, retention...).
    extra: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    metageneration: Mapped[int] = mapped_column(BigInteger, default=1)
    time_created: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Bucket(BucketState, Base):
    """A live bucket: the only kind a lookup by name finds."""

    __tablename__ = "buckets"

    # Unique per name over time (soft-deleted buckets keep theirs): the creation time in
    # microseconds unless a soft-deleted bucket of the name already has a later one.
    generation: Mapped[int] = mapped_column(BigInteger, default=_creation_micros)


class SoftDeletedBucket(BucketState, Base):
    """A deleted bucket kept by its soft delete policy until ``hard_delete_time``, out of
    the live table so that its name is free and no lookup of a live bucket sees it."""

    __tablename__ = "soft_deleted_buckets"
    __table_args__ = (PrimaryKeyConstraint("name", "generation"),)

    generation: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    soft_delete_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    hard_delete_time: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    # The bucket's IAM policy ({"version", "bindings", "auditConfigs"}), back on restore.
    iam_policy: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)


class GenerationState:
    """One object generation's data, shared by the live table and the generations kept
    with a soft-deleted bucket."""

    metageneration: Mapped[int] = mapped_column(BigInteger, default=1)
    live: Mapped[bool] = mapped_column(Boolean)
    size: Mapped[int] = mapped_column(BigInteger)
    crc32c: Mapped[int] = mapped_column(BigInteger)
    md5: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    component_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    storage_class: Mapped[str] = mapped_column(String(20))
    blob_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    inline_data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(512), nullable=True)
    content_encoding: Mapped[str | None] = mapped_column(String(256), nullable=True)
    content_disposition: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    content_language: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cache_control: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    custom_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    custom_metadata: Mapped[dict[str, str]] = mapped_column(JsonValue, default=dict)
    # Object contexts: key -> {"value", "createTime", "updateTime"}.
    contexts: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JsonValue, nullable=True)
    # The email of the principal who wrote this generation (rendered "user-EMAIL").
    owner: Mapped[str | None] = mapped_column(String(250), nullable=True)
    # Fine-grained access (ACL entries), honoured unless the bucket is uniform.
    acl: Mapped[list[dict[str, str]] | None] = mapped_column(JsonValue, nullable=True)
    temporary_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    event_based_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the bucket's retention period starts counting: creation, or the release of
    # an event-based hold (None: creation).
    retention_start: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The object's own retention (buckets with object retention): Unlocked or Locked.
    retention_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    retain_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    time_created: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    time_deleted: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Soft-deleted generations (the bucket's soft delete policy): hidden from every read
    # but objects.list/get with softDeleted, and restorable until the hard delete time.
    soft_delete_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    hard_delete_time: Mapped[dt.datetime | None] = mapped_column(
        UtcDateTime, nullable=True, index=True
    )
    time_storage_class_updated: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # A customer-supplied key's SHA-256 (base64), never the key, and the nonce of the
    # AES-256-CTR stream its bytes are kept in (both None: not customer-encrypted).
    key_sha256: Mapped[str | None] = mapped_column(String(44), nullable=True)
    key_nonce: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class StoredObject(GenerationState, Base):
    """One generation of an object; ``live`` marks the current one."""

    __tablename__ = "objects"
    __table_args__ = (
        Index("ix_objects_bucket_live_name", "bucket", "live", "name"),
        # At most one live generation per name, even under racing writers.
        Index(
            "uq_objects_live_name",
            "bucket",
            "name",
            unique=True,
            sqlite_where=text("live"),
            postgresql_where=text("live"),
        ),
    )

    bucket: Mapped[str] = mapped_column(
        ForeignKey("buckets.name", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(ObjectName, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class SoftDeletedBucketObject(GenerationState, Base):
    """A soft-deleted generation of a soft-deleted bucket, moved back on restore."""

    __tablename__ = "soft_deleted_bucket_objects"

    bucket: Mapped[str] = mapped_column(String(222), primary_key=True)
    bucket_generation: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False
    )
    name: Mapped[str] = mapped_column(ObjectName, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


class ManagedFolder(Base):
    """A managed folder: a name prefix (ending in "/") whose own IAM policy, kept under
    ``buckets/BUCKET/managedFolders/NAME``, grants access to the objects under it."""

    __tablename__ = "managed_folders"

    bucket: Mapped[str] = mapped_column(
        ForeignKey("buckets.name", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(ObjectName, primary_key=True)
    metageneration: Mapped[int] = mapped_column(BigInteger, default=1)
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    update_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ResumableUpload(Base):
    """A resumable upload session; its bytes so far are in ``blobs/uploads/<id>``."""

    __tablename__ = "resumable_uploads"

    upload_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[str] = mapped_column(ForeignKey("buckets.name", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    principal: Mapped[str] = mapped_column(String(250))
    resource: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    preconditions: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    persisted: Mapped[int] = mapped_column(BigInteger, default=0)
    total_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expire_time: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    # Set in the transaction that made the object: a finished session answers with it.
    finished_generation: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # A session started with a customer-supplied key: its bytes on disk are encrypted.
    key_sha256: Mapped[str | None] = mapped_column(String(44), nullable=True)
    key_nonce: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class MultipartUpload(Base):
    """An XML API multipart upload: the object's name and metadata, fixed at initiation,
    waiting for its parts (``MultipartPart``) and the request that assembles them."""

    __tablename__ = "multipart_uploads"

    upload_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[str] = mapped_column(ForeignKey("buckets.name", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(ObjectName)
    principal: Mapped[str] = mapped_column(String(250))
    resource: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # Initiated with a customer-supplied key: every part comes with it.
    key_sha256: Mapped[str | None] = mapped_column(String(44), nullable=True)


class MultipartPart(Base):
    """One uploaded part; a part uploaded again under its number replaces it."""

    __tablename__ = "multipart_parts"

    upload_id: Mapped[str] = mapped_column(
        ForeignKey("multipart_uploads.upload_id", ondelete="CASCADE"), primary_key=True
    )
    part_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    blob_id: Mapped[str] = mapped_column(String(32), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    crc32c: Mapped[int] = mapped_column(BigInteger)
    md5: Mapped[bytes] = mapped_column(LargeBinary)
    updated: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # The part's bytes are encrypted with the upload's key from this nonce.
    key_nonce: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class HmacKey(Base):
    __tablename__ = "hmac_keys"

    access_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    service_account_email: Mapped[str] = mapped_column(String(200))
    secret: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    etag: Mapped[str] = mapped_column(String(40))
    time_created: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class StorageByteChange(Base):
    """Bytes stored per bucket and class change only at these moments; integrating the
    changes over time gives byte-seconds for billing, exactly."""

    __tablename__ = "storage_byte_changes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(222), index=True)
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    storage_class: Mapped[str] = mapped_column(String(20))
    # The bucket's location, kept here because prices depend on it and a deleted
    # bucket's row is gone.
    location: Mapped[str] = mapped_column(String(64), server_default="US")
    delta_bytes: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)


class StorageRemoval(Base):
    """An object of a class with a minimum storage duration left storage: deleted,
    overwritten or purged. If it left early, the rest of the minimum is charged."""

    __tablename__ = "storage_removals"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    bucket: Mapped[str] = mapped_column(String(222))
    location: Mapped[str] = mapped_column(String(64))
    storage_class: Mapped[str] = mapped_column(String(20))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    # Since when the object was in this class.
    stored_since: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    removed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)


class StorageOperationCount(Base):
    """Class A and class B operations per bucket and hour."""

    __tablename__ = "storage_operation_counts"

    bucket: Mapped[str] = mapped_column(String(222), primary_key=True)
    hour: Mapped[dt.datetime] = mapped_column(UtcDateTime, primary_key=True)
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    # The bucket's location and default class when counted: they set the price.
    location: Mapped[str] = mapped_column(String(64), server_default="US")
    storage_class: Mapped[str] = mapped_column(String(20), server_default="STANDARD")
    class_a: Mapped[int] = mapped_column(BigInteger, default=0)
    class_b: Mapped[int] = mapped_column(BigInteger, default=0)
