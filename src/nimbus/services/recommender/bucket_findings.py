"""Findings about Cloud Storage buckets, all Nimbus's own (Google has no such
recommenders): empty buckets left behind, data nobody reads in a class too warm for
it, and buckets open to the public."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from nimbus.core.clock import rfc3339
from nimbus.services.caller import ALL_AUTHENTICATED_USERS, ALL_USERS
from nimbus.services.recommender import thresholds as th
from nimbus.services.recommender.findings import (
    SECURITY,
    Finding,
    bucket_resource,
    command,
    operation,
    step,
)
from nimbus.services.recommender.scope import Scope, priced
from nimbus.services.storage.access import bucket_key
from nimbus.store.models import Bucket, IamPolicy, StorageOperationCount, StoredObject

EMPTY_BUCKET = "nimbus.storage.bucket.IdleResourceRecommender"
STORAGE_CLASS = "nimbus.storage.bucket.StorageClassRecommender"
PUBLIC_BUCKET = "nimbus.storage.bucket.PublicAccessRecommender"
BUCKET_TYPE = "storage.googleapis.com/Bucket"
OBJECT_TYPE = "storage.googleapis.com/Object"
_PUBLIC = (ALL_USERS, ALL_AUTHENTICATED_USERS)
# Colder is higher; the legacy classes are priced as STANDARD.
_WARMTH = {"NEARLINE": 1, "COLDLINE": 2, "ARCHIVE": 3}


@dataclass
class _Contents:
    bytes_by_class: dict[str, int] = field(default_factory=dict)
    objects: int = 0
    # The end of the last hour with a read (class B) or with any operation.
    last_read: dt.datetime | None = None
    last_used: dt.datetime | None = None


def _project_buckets(scope: Scope) -> list[Bucket]:
    return list(
        scope.session.scalars(
            select(Bucket)
            .where(Bucket.project_number == scope.project.number)
            .order_by(Bucket.name)
        )
    )


def _buckets(scope: Scope) -> list[tuple[Bucket, _Contents]]:
    """The project's buckets with what they hold and when they were last used (a
    few grouped queries for the whole project)."""
    buckets = _project_buckets(scope)
    contents = {bucket.name: _Contents() for bucket in buckets}
    sizes = scope.session.execute(
        select(
            StoredObject.bucket,
            StoredObject.storage_class,
            func.count(),
            func.sum(StoredObject.size),
        )
        .join(Bucket, Bucket.name == StoredObject.bucket)
        # Soft-deleted generations are on their way out: no command can move them.
        .where(
            Bucket.project_number == scope.project.number,
            StoredObject.soft_delete_time.is_(None),
        )
        .group_by(StoredObject.bucket, StoredObject.storage_class)
    )
    for name, storage_class, count, size in sizes:
        contents[name].bytes_by_class[storage_class] = int(size or 0)
        contents[name].objects += int(count)
    last_hours = (
        select(StorageOperationCount.bucket, func.max(StorageOperationCount.hour))
        .where(StorageOperationCount.project_number == scope.project.number)
        .group_by(StorageOperationCount.bucket)
    )
    for name, hour in scope.session.execute(last_hours):
        if name in contents:
            contents[name].last_used = hour + dt.timedelta(hours=1)
    reads = last_hours.where(StorageOperationCount.class_b > 0)
    for name, hour in scope.session.execute(reads):
        if name in contents:
            contents[name].last_read = hour + dt.timedelta(hours=1)
    return [(bucket, contents[bucket.name]) for bucket in buckets]


def empty_buckets(scope: Scope) -> Iterator[Finding]:
    cutoff = scope.now - th.EMPTY_BUCKET_AGE
    for bucket, contents in _buckets(scope):
        untouched_since = max(bucket.time_created, contents.last_used or bucket.time_created)
        if contents.objects or untouched_since > cutoff:
            continue
        target = bucket_resource(bucket.name)
        yield Finding(
            recommender=EMPTY_BUCKET,
            subtype="DELETE_BUCKET",
            location="global",
            key=f"{bucket.name}@{rfc3339(bucket.time_created)}",
            target=target,
            description=f"Delete bucket '{bucket.name}': it has been empty and unused since "
            f"{rfc3339(untouched_since)}.",
            operations=(operation("remove", BUCKET_TYPE, target),),
            command=command(step("storage buckets delete", f"gs://{bucket.name}")),
            facts={"untouchedSince": rfc3339(untouched_since)},
        )


def _colder_class(unread: dt.timedelta) -> str | None:
    return next((name for after, name in th.COLDER_CLASS_AFTER if unread >= after), None)


def colder_buckets(scope: Scope) -> Iterator[Finding]:
    for bucket, contents in _buckets(scope):
        unread_since = max(bucket.time_created, contents.last_read or bucket.time_created)
        colder = _colder_class(scope.now - unread_since)
        if not contents.objects or colder is None:
            continue
        warmer = {
            storage_class: size
            for storage_class, size in contents.bytes_by_class.items()
            if _WARMTH.get(storage_class, 0) < _WARMTH[colder] and size > 0
        }
        saving = _class_saving(scope, bucket, warmer, colder)
        if not warmer or saving is None or saving <= 0:
            continue
        yield _move(scope, bucket, colder, saving, unread_since, sum(warmer.values()))


def _class_saving(
    scope: Scope, bucket: Bucket, warmer: dict[str, int], colder: str
) -> Decimal | None:
    total = Decimal(0)
    for storage_class, size in warmer.items():
        estimate = scope.prices.monthly_storage_cost
        now_cost = priced(estimate, storage_class, bucket.location, size)
        then_cost = priced(estimate, colder, bucket.location, size)
        if now_cost is None or then_cost is None:
            return None
        total += now_cost - then_cost
    return total


def _move(
    scope: Scope,
    bucket: Bucket,
    colder: str,
    saving: Decimal,
    unread_since: dt.datetime,
    moved_bytes: int,
) -> Finding:
    target = bucket_resource(bucket.name)
    url = f"gs://{bucket.name}"
    return Finding(
        recommender=STORAGE_CLASS,
        subtype="CHANGE_STORAGE_CLASS",
        location="global",
        key=f"{bucket.name}@{rfc3339(bucket.time_created)}/{colder}",
        target=target,
        description=f"Save cost by moving the data of bucket '{bucket.name}', unread since "
        f"{rfc3339(unread_since)}, to {colder}.",
        operations=(
            operation("replace", BUCKET_TYPE, target, "/storageClass", value=colder),
            operation(
                "replace", OBJECT_TYPE, f"{target}/objects/**", "/storageClass", value=colder
            ),
        ),
        command=command(
            step("storage buckets update", url, f"--default-storage-class={colder}"),
            step("storage objects update", f"{url}/**", f"--storage-class={colder}"),
        ),
        saving=saving,
        facts={"unreadSince": rfc3339(unread_since), "movedBytes": moved_bytes},
    )


def public_buckets(scope: Scope) -> Iterator[Finding]:
    for bucket in _project_buckets(scope):
        if bucket.extra.get("publicAccessPrevention") == "enforced":
            continue
        policy = scope.session.get(IamPolicy, bucket_key(bucket.name))
        grants = [
            (binding["role"], member)
            for binding in (policy.bindings if policy else [])
            for member in binding.get("members", ())
            if member in _PUBLIC
        ]
        default_acl = [] if bucket.uniform_access else bucket.extra.get("defaultObjectAcl") or []
        public_acl = sorted({e["entity"] for e in default_acl if e.get("entity") in _PUBLIC})
        if grants or public_acl:
            yield _exposure(bucket, grants, public_acl)


def _exposure(bucket: Bucket, grants: list[tuple[str, str]], public_acl: list[str]) -> Finding:
    target = bucket_resource(bucket.name)
    url = f"gs://{bucket.name}"
    operations = [
        operation(
            "remove",
            BUCKET_TYPE,
            target,
            "/iamPolicy/bindings/*/members/*",
            pathFilters={
                "/iamPolicy/bindings/*/role": role,
                "/iamPolicy/bindings/*/members/*": member,
            },
        )
        for role, member in grants
    ]
    steps = [
        [
            "storage",
            "buckets",
            "remove-iam-policy-binding",
            url,
            f"--member={member}",
            f"--role={role}",
        ]
        for role, member in grants
    ]
    if public_acl:
        path = "/iamConfiguration/uniformBucketLevelAccess/enabled"
        operations.append(operation("replace", BUCKET_TYPE, target, path, value=True))
        steps.append(step("storage buckets update", url, "--uniform-bucket-level-access"))
    who = sorted({member for _, member in grants} | set(public_acl))
    return Finding(
        recommender=PUBLIC_BUCKET,
        subtype="REMOVE_PUBLIC_ACCESS",
        location="global",
        key=bucket.name,
        target=target,
        description=f"Bucket '{bucket.name}' is readable by {' and '.join(who)}: remove public "
        "access unless it is meant to be public.",
        operations=tuple(operations),
        command=command(*steps),
        category=SECURITY,
        security_details={
            "publicMembers": who,
            "roles": sorted({role for role, _ in grants}),
            "defaultObjectAcl": public_acl,
        },
    )
