"""Object lifecycle management: a controller applies each bucket's rules.

A rule matches an object generation when all of its conditions hold; ``Delete`` wins
over ``SetStorageClass`` when both match, as on Cloud Storage. Deleting a live object
in a versioned bucket makes it noncurrent; deleting a noncurrent one removes it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.services.storage.generations import purge, retire
from nimbus.services.storage.retention import retained
from nimbus.services.storage.usage import StorageUsage
from nimbus.store.db import Database
from nimbus.store.models import Bucket, StoredObject

log = logging.getLogger("nimbus.storage.lifecycle")
_BATCH = 500


def _days(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 86400


def _date(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text[:10]).replace(tzinfo=dt.UTC)


def condition_holds(
    condition: dict[str, Any], row: StoredObject, newer_versions: int, now: dt.datetime
) -> bool:
    checks: list[Callable[[], bool]] = []
    if "age" in condition:
        checks.append(lambda: _days(now - row.time_created) >= condition["age"])
    if "createdBefore" in condition:
        checks.append(lambda: row.time_created < _date(condition["createdBefore"]))
    if "isLive" in condition:
        checks.append(lambda: row.live == bool(condition["isLive"]))
    if "matchesStorageClass" in condition:
        checks.append(lambda: row.storage_class in condition["matchesStorageClass"])
    if "numNewerVersions" in condition:
        checks.append(lambda: not row.live and newer_versions >= condition["numNewerVersions"])
    if "daysSinceNoncurrentTime" in condition:
        checks.append(
            lambda: (
                row.time_deleted is not None
                and _days(now - row.time_deleted) >= condition["daysSinceNoncurrentTime"]
            )
        )
    if "noncurrentTimeBefore" in condition:
        checks.append(
            lambda: (
                row.time_deleted is not None
                and row.time_deleted < _date(condition["noncurrentTimeBefore"])
            )
        )
    if "customTimeBefore" in condition:
        checks.append(
            lambda: (
                row.custom_time is not None
                and row.custom_time < _date(condition["customTimeBefore"])
            )
        )
    if "daysSinceCustomTime" in condition:
        checks.append(
            lambda: (
                row.custom_time is not None
                and _days(now - row.custom_time) >= condition["daysSinceCustomTime"]
            )
        )
    if "matchesPrefix" in condition:
        checks.append(lambda: any(row.name.startswith(p) for p in condition["matchesPrefix"]))
    if "matchesSuffix" in condition:
        checks.append(lambda: any(row.name.endswith(s) for s in condition["matchesSuffix"]))
    return bool(checks) and all(check() for check in checks)


def _kept(bucket: Bucket, row: StoredObject, now: dt.datetime) -> bool:
    """Lifecycle never deletes what a hold or retention keeps; it tries again later."""
    return row.temporary_hold or row.event_based_hold or retained(bucket, row, now)


class Lifecycle:
    def __init__(self, db: Database, usage: StorageUsage, clock: Clock,
                 release: Callable[[list[str]], None]) -> None:  # fmt: skip
        self.db = db
        self.usage = usage
        self.clock = clock
        self.release = release

    def run_once(self) -> int:
        """Apply every bucket's rules now; return how many generations were acted on."""
        with self.db.read() as session:
            names = list(session.scalars(select(Bucket.name)).all())
        acted = 0
        for name in names:
            acted += self._apply(name)
        return acted

    def _apply(self, bucket_name: str) -> int:
        acted = 0
        after = ""
        while True:
            with self.db.write() as session:
                bucket = session.get(Bucket, bucket_name)
                if bucket is None or not bucket.lifecycle_rules:
                    return acted
                rows = list(
                    session.scalars(
                        select(StoredObject)
                        .where(
                            StoredObject.bucket == bucket_name,
                            StoredObject.name > after,
                            # Lifecycle rules never act on soft-deleted generations.
                            StoredObject.soft_delete_time.is_(None),
                        )
                        .order_by(StoredObject.name, StoredObject.generation.desc())
                        .limit(_BATCH)
                    ).all()
                )
                if not rows:
                    return acted
                # Finish the last name in the next batch, so its versions are seen together.
                last = rows[-1].name
                if len(rows) == _BATCH and rows[0].name != last:
                    rows = [row for row in rows if row.name != last]
                    after_next = rows[-1].name
                else:
                    after_next = last
                released, count = self._apply_rows(session, bucket, rows)
                acted += count
            self.release(released)
            after = after_next

    def _apply_rows(
        self, session: Session, bucket: Bucket, rows: list[StoredObject]
    ) -> tuple[list[str], int]:
        now = self.clock.now()
        released: list[str] = []
        acted = 0
        newer: dict[str, int] = {}
        for row in rows:  # newest generation of each name first
            newer_versions = newer.get(row.name, 0)
            newer[row.name] = newer_versions + 1
            action = self._action_for(bucket, row, newer_versions, now)
            if action is None or (action["type"] == "Delete" and _kept(bucket, row, now)):
                continue
            acted += 1
            if action["type"] == "Delete":
                if row.live:
                    released += retire(session, self.usage, bucket, row, now)
                else:
                    released += purge(session, self.usage, bucket, row, now)
            elif action["type"] == "SetStorageClass":
                self.usage.record_bytes(session, bucket, row.storage_class, -row.size)
                self.usage.record_bytes(session, bucket, action["storageClass"], row.size)
                row.storage_class = action["storageClass"]
                row.time_storage_class_updated = now
        return released, acted

    @staticmethod
    def _action_for(
        bucket: Bucket, row: StoredObject, newer_versions: int, now: dt.datetime
    ) -> dict[str, Any] | None:
        matched: list[dict[str, Any]] = [
            rule["action"]
            for rule in bucket.lifecycle_rules
            if condition_holds(rule.get("condition", {}), row, newer_versions, now)
        ]
        for action in matched:
            if action["type"] == "Delete":
                return action
        for action in matched:
            if (
                action["type"] == "SetStorageClass"
                and action.get("storageClass") != row.storage_class
            ):
                return action
        return None
