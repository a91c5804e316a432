"""Soft delete: a bucket's policy keeps deleted and replaced generations for a while.

A soft-deleted generation is not live, has a ``soft_delete_time`` and a
``hard_delete_time``, and keeps its bytes (billed as stored) until the sweep
(``hard_deletes``) removes it for good. Only objects.list/get with ``softDeleted`` and
objects.restore see it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from nimbus.core.clock import rfc3339
from nimbus.core.errors import InvalidArgument
from nimbus.services.storage.usage import StorageUsage
from nimbus.store.models import Bucket, BucketState, GenerationState, StoredObject

DEFAULT_SECONDS = 7 * 86400
MAX_SECONDS = 90 * 86400

# One soft-deleted generation by number (objects.get and objects.restore).
SOFT_DELETED_GENERATION = select(StoredObject).where(
    StoredObject.bucket == bindparam("bucket"),
    StoredObject.name == bindparam("name"),
    StoredObject.generation == bindparam("generation"),
    StoredObject.soft_delete_time.is_not(None),
)


def retention_seconds(bucket: Bucket) -> int:
    """The bucket's soft delete duration; 0 (or no policy) keeps nothing."""
    policy = (bucket.extra or {}).get("softDeletePolicy") or {}
    return int(policy.get("retentionDurationSeconds", 0))


def set_policy(bucket: Bucket, raw: Any, now: dt.datetime, *, creating: bool) -> None:
    """Validate and keep ``softDeletePolicy``; a new bucket without one gets Google's
    default. ``effectiveTime`` is when a policy at least this long took effect, so it
    moves when the duration grows or soft delete is turned on, not when it shrinks."""
    if raw is None:
        if not creating:
            return
        raw = {"retentionDurationSeconds": DEFAULT_SECONDS}
    seconds = _duration(raw)
    before = retention_seconds(bucket) if not creating else 0
    extra = {k: v for k, v in bucket.extra.items() if k != "softDeletePolicy"}
    policy: dict[str, str] = {"retentionDurationSeconds": str(seconds)}
    if seconds:
        previous = (bucket.extra.get("softDeletePolicy") or {}).get("effectiveTime")
        kept = isinstance(previous, str) and seconds <= before
        policy["effectiveTime"] = previous if kept and previous else rfc3339(now)
    bucket.extra = {**extra, "softDeletePolicy": policy}


def _duration(raw: Any) -> int:
    value = raw.get("retentionDurationSeconds") if isinstance(raw, dict) else None
    try:
        seconds = int(value) if not isinstance(value, bool) and value is not None else -1
    except (TypeError, ValueError):
        seconds = -1
    if seconds != 0 and not DEFAULT_SECONDS <= seconds <= MAX_SECONDS:
        raise InvalidArgument(
            "The soft delete policy's retentionDurationSeconds must be 0 (soft delete "
            f"disabled) or between {DEFAULT_SECONDS} (7 days) and {MAX_SECONDS} (90 days)."
        )
    return seconds


def soft_delete(bucket: Bucket, row: StoredObject, now: dt.datetime) -> None:
    """Keep the generation, hidden, until the bucket's duration has passed."""
    row.live = False
    row.time_deleted = row.time_deleted or now
    row.soft_delete_time = now
    row.hard_delete_time = now + dt.timedelta(seconds=retention_seconds(bucket))


def destroy(
    session: Session, usage: StorageUsage, bucket: BucketState, row: GenerationState
) -> list[str]:
    """Remove a generation for good; its blob id is returned for deletion after commit."""
    session.delete(row)
    session.flush()
    usage.record_removal(session, bucket, row)
    return [row.blob_id] if row.blob_id else []


def destroy_soft_deleted(session: Session, usage: StorageUsage, bucket: Bucket) -> list[str]:
    """A bucket deleted without soft delete takes its soft-deleted generations along."""
    rows = session.scalars(
        select(StoredObject).where(
            StoredObject.bucket == bucket.name, StoredObject.soft_delete_time.is_not(None)
        )
    ).all()
    released: list[str] = []
    for row in rows:
        released += destroy(session, usage, bucket, row)
    return released
