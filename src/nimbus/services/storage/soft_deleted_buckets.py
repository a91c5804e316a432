"""Soft-deleted buckets: a deleted bucket, and the soft-deleted generations it held, move
out of the live tables until restored or hard-deleted.

Moving rather than marking keeps every lookup of a live bucket by name (the ORM path,
the short read path, XML and signed URLs) correct as it is, and frees the name at once,
as on Cloud Storage. Bytes stay billed as stored until the hard delete removes them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from nimbus.core.fingerprints import new_etag
from nimbus.services.storage.access import bucket_key
from nimbus.services.storage.soft_delete import destroy
from nimbus.services.storage.usage import StorageUsage
from nimbus.store.models import (
    Bucket,
    IamPolicy,
    SoftDeletedBucket,
    SoftDeletedBucketObject,
    StoredObject,
)

_BUCKET_COLUMNS = [c.key for c in Bucket.__table__.columns]
_OBJECT_COLUMNS = [c.key for c in StoredObject.__table__.columns]


def new_generation(session: Session, name: str, now: dt.datetime) -> int:
    """Microseconds since the epoch, past any soft-deleted bucket of the same name."""
    kept = session.scalar(
        select(func.max(SoftDeletedBucket.generation)).where(SoftDeletedBucket.name == name)
    )
    candidate = int(now.timestamp() * 1_000_000)
    return max(candidate, kept + 1) if kept is not None else candidate


def keep(session: Session, bucket: Bucket, seconds: int, now: dt.datetime) -> None:
    """Soft-delete ``bucket`` (it holds only soft-deleted generations by now). Its hard
    delete time is never before its generations', as Google documents."""
    latest = session.scalar(
        select(func.max(StoredObject.hard_delete_time)).where(StoredObject.bucket == bucket.name)
    )
    hard = now + dt.timedelta(seconds=seconds)
    policy = session.get(IamPolicy, bucket_key(bucket.name))
    session.add(
        SoftDeletedBucket(
            **{key: getattr(bucket, key) for key in _BUCKET_COLUMNS},
            soft_delete_time=now,
            hard_delete_time=max(hard, latest) if latest is not None else hard,
            iam_policy=_policy_state(policy),
        )
    )
    session.flush()
    columns = [getattr(StoredObject, key) for key in _OBJECT_COLUMNS]
    generation = literal(bucket.generation, BigInteger)
    session.execute(
        insert(SoftDeletedBucketObject).from_select(
            ["bucket_generation", *_OBJECT_COLUMNS],
            select(generation, *columns).where(StoredObject.bucket == bucket.name),
        )
    )
    session.execute(
        delete(StoredObject).where(StoredObject.bucket == bucket.name),
        execution_options={"synchronize_session": False},
    )
    if policy is not None:
        session.delete(policy)
    session.delete(bucket)


def revive(session: Session, kept: SoftDeletedBucket, now: dt.datetime) -> Bucket:
    """The live bucket again, with its IAM policy and its generations (still soft-deleted)."""
    bucket = Bucket(**{key: getattr(kept, key) for key in _BUCKET_COLUMNS})
    session.add(bucket)
    state = kept.iam_policy
    session.merge(
        IamPolicy(
            resource=bucket_key(kept.name),
            version=state.get("version", 1),
            etag=new_etag(),
            bindings=state.get("bindings", []),
            audit_configs=state.get("auditConfigs", []),
            update_time=now,
        )
    )
    session.flush()
    mine = (
        SoftDeletedBucketObject.bucket == kept.name,
        SoftDeletedBucketObject.bucket_generation == kept.generation,
    )
    columns = [getattr(SoftDeletedBucketObject, key) for key in _OBJECT_COLUMNS]
    session.execute(
        insert(StoredObject).from_select(_OBJECT_COLUMNS, select(*columns).where(*mine))
    )
    session.execute(
        delete(SoftDeletedBucketObject).where(*mine),
        execution_options={"synchronize_session": False},
    )
    session.delete(kept)
    return bucket


def purge_expired(
    session: Session, usage: StorageUsage, now: dt.datetime, limit: int
) -> tuple[int, list[str]]:
    """Hard-delete up to ``limit`` kept generations and ``limit`` buckets past their
    time; return how many rows went and the blob ids to release after commit."""
    released: list[str] = []
    rows = session.scalars(
        select(SoftDeletedBucketObject)
        .where(SoftDeletedBucketObject.hard_delete_time <= now)
        .limit(limit)
    ).all()
    for row in rows:
        owner = session.get_one(SoftDeletedBucket, (row.bucket, row.bucket_generation))
        released += destroy(session, usage, owner, row)
    buckets = session.scalars(
        select(SoftDeletedBucket).where(SoftDeletedBucket.hard_delete_time <= now).limit(limit)
    ).all()
    for bucket in buckets:
        remaining = session.scalars(
            select(SoftDeletedBucketObject).where(
                SoftDeletedBucketObject.bucket == bucket.name,
                SoftDeletedBucketObject.bucket_generation == bucket.generation,
            )
        ).all()
        for row in remaining:
            released += destroy(session, usage, bucket, row)
        session.delete(bucket)
    return max(len(rows), len(buckets)), released


def _policy_state(policy: IamPolicy | None) -> dict[str, Any]:
    if policy is None:
        return {}
    return {
        "version": policy.version,
        "bindings": policy.bindings,
        "auditConfigs": policy.audit_configs,
    }
