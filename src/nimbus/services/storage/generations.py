"""Committing a new generation of an object: the one atomic step that makes it visible.

Bytes are already durable (a finished blob, or small bytes inline in the row) when
this runs; the row, the old generation's fate and the usage record commit together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from nimbus.blobs import StoredBlob
from nimbus.core.errors import InvalidArgument, PermissionDenied
from nimbus.services.storage.acl import (
    DEFAULT_OBJECT_ACL,
    OBJECT_OWNER,
    refuse_public_acl,
    resolve,
    validate_acl,
)
from nimbus.services.storage.checks import verify_checksums
from nimbus.services.storage.customer_keys import Sealing
from nimbus.services.storage.object_fields import ObjectSpec, apply_object_fields, storage_class_for
from nimbus.services.storage.preconditions import Preconditions
from nimbus.services.storage.retention import require_not_retained, set_object_retention
from nimbus.services.storage.soft_delete import destroy, retention_seconds, soft_delete
from nimbus.services.storage.usage import StorageUsage
from nimbus.store.models import Bucket, StoredObject


@dataclass(frozen=True)
class Content:
    """The bytes of a new generation: a stored blob, or small bytes kept inline."""

    size: int
    crc32c: int
    md5: bytes | None
    blob_id: str | None = None
    inline: bytes | None = None
    component_count: int | None = None
    # Set when the bytes are encrypted with a customer-supplied key.
    sealing: Sealing | None = None

    @classmethod
    def of_blob(cls, blob: StoredBlob) -> Content:
        return cls(blob.size, blob.crc32c, blob.md5, blob_id=blob.blob_id)


_LIVE_FOR_UPDATE = (
    select(StoredObject)
    .where(
        StoredObject.bucket == bindparam("bucket"),
        StoredObject.name == bindparam("name"),
        StoredObject.live,
    )
    .with_for_update()
)


def live_generation(session: Session, bucket: str, name: str) -> StoredObject | None:
    return session.scalars(_LIVE_FOR_UPDATE, {"bucket": bucket, "name": name}).first()


def next_generation(previous: StoredObject | None, now: dt.datetime) -> int:
    """Microseconds since the epoch, as Cloud Storage's, and always increasing."""
    candidate = int(now.timestamp() * 1_000_000)
    if previous is not None and candidate <= previous.generation:
        candidate = previous.generation + 1
    return candidate


def commit_generation(
    session: Session,
    usage: StorageUsage,
    bucket: Bucket,
    previous: StoredObject | None,
    name: str,
    content: Content,
    spec: ObjectSpec,
    preconditions: Preconditions,
    now: dt.datetime,
) -> tuple[StoredObject, list[str]]:
    """Insert the new live generation over ``previous`` (the live one, read with
    ``live_generation`` in this transaction); return it and the blob ids now
    unreferenced. The caller deletes those blobs after the transaction commits.
    """
    verify_checksums(spec, content.crc32c, content.md5)
    preconditions.check(
        previous.generation if previous else None, previous.metageneration if previous else None
    )
    if previous is not None:
        require_removable(bucket, previous, now, destroys=not bucket.versioning)
    storage_class = storage_class_for(spec.fields, bucket.storage_class)
    row = StoredObject(
        bucket=bucket.name,
        name=name,
        generation=next_generation(previous, now),
        metageneration=1,
        live=True,
        size=content.size,
        crc32c=content.crc32c,
        md5=content.md5,
        component_count=content.component_count,
        storage_class=storage_class,
        blob_id=content.blob_id,
        inline_data=content.inline,
        custom_metadata={},
        temporary_hold=False,
        event_based_hold=bool(bucket.extra.get("defaultEventBasedHold", False)),
        time_created=now,
        updated=now,
        time_storage_class_updated=now,
        owner=spec.owner,
        key_sha256=content.sealing.key_sha256 if content.sealing else None,
        key_nonce=content.sealing.nonce if content.sealing else None,
    )
    apply_object_fields(row, spec.fields, replace=True, now=now)
    set_object_retention(bucket, row, spec.fields.get("retention"), now, override=False)
    row.acl = _initial_acl(bucket, spec)
    released: list[str] = []
    if previous is not None:
        released = retire(session, usage, bucket, previous, now)
    session.add(row)
    usage.record_bytes(session, bucket, storage_class, content.size)
    session.flush()
    return row, released


def require_removable(
    bucket: Bucket, row: StoredObject, now: dt.datetime, *, destroys: bool
) -> None:
    """Holds keep every generation; retention keeps it from being destroyed."""
    require_no_hold(row)
    require_not_retained(bucket, row, now, destroys=destroys)


def require_no_hold(row: StoredObject) -> None:
    """Cloud Storage's 403 for deleting or replacing a held object."""
    for held, kind in ((row.temporary_hold, "Temporary"), (row.event_based_hold, "Event-Based")):
        if held:
            raise PermissionDenied(
                f"Object '{row.bucket}/{row.name}' is under active {kind} hold and cannot be "
                "deleted, overwritten or archived until hold is removed."
            )


UNIFORM_REFUSES_ACL = (
    "Cannot insert legacy ACL for an object when uniform bucket-level access is enabled. "
    "Read more at https://cloud.google.com/storage/docs/uniform-bucket-level-access"
)


def _initial_acl(bucket: Bucket, spec: ObjectSpec) -> list[dict[str, str]] | None:
    """The ACL asked for, else the bucket's default object ACL and the object's owner
    as OWNER, as Cloud Storage gives it (none on uniform buckets, which refuse one)."""
    if bucket.uniform_access:
        if spec.fields.get("acl") is not None:
            raise InvalidArgument(UNIFORM_REFUSES_ACL)
        return None
    if "acl" in spec.fields:
        entries = refuse_public_acl(bucket, validate_acl(spec.fields["acl"]))
        return resolve(entries, spec.owner, bucket.project_number)
    default = bucket.extra.get("defaultObjectAcl", DEFAULT_OBJECT_ACL)
    entries = [*validate_acl(default), {"entity": OBJECT_OWNER, "role": "OWNER"}]
    return resolve(entries, spec.owner, bucket.project_number)


def retire(
    session: Session, usage: StorageUsage, bucket: Bucket, row: StoredObject, now: dt.datetime
) -> list[str]:
    """The live generation stops being live: noncurrent under versioning, else removed."""
    if bucket.versioning:
        row.live = False
        row.time_deleted = now
        session.flush()
        return []
    return purge(session, usage, bucket, row, now)


def purge(
    session: Session, usage: StorageUsage, bucket: Bucket, row: StoredObject, now: dt.datetime
) -> list[str]:
    """Remove a generation: soft-deleted while the bucket's policy keeps it, else for
    good (its blob id is then returned for deletion after commit)."""
    if retention_seconds(bucket):
        soft_delete(bucket, row, now)
        session.flush()
        return []
    return destroy(session, usage, bucket, row)
