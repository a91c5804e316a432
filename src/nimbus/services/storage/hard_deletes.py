"""The hard delete: soft-deleted generations and buckets past their time go for good."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from nimbus.core.clock import Clock
from nimbus.services.storage.soft_delete import destroy
from nimbus.services.storage.soft_deleted_buckets import purge_expired
from nimbus.services.storage.usage import StorageUsage
from nimbus.store.db import Database
from nimbus.store.models import Bucket, StoredObject

_BATCH = 500


class HardDeletes:
    """The controller that removes soft-deleted generations past their hard delete time."""

    def __init__(self, db: Database, usage: StorageUsage, clock: Clock,
                 release: Callable[[list[str]], None]) -> None:  # fmt: skip
        self.db = db
        self.usage = usage
        self.clock = clock
        self.release = release

    def run_once(self) -> int:
        """Remove every expired generation (and soft-deleted bucket) now; return how
        many generations and buckets went."""
        removed = 0
        while True:
            with self.db.write() as session:
                rows = session.scalars(
                    select(StoredObject)
                    .where(StoredObject.hard_delete_time <= self.clock.now())
                    .limit(_BATCH)
                ).all()
                released: list[str] = []
                for row in rows:
                    bucket = session.get_one(Bucket, row.bucket)
                    released += destroy(session, self.usage, bucket, row)
                kept, more = purge_expired(session, self.usage, self.clock.now(), _BATCH)
            self.release(released + more)
            removed += len(rows) + kept
            if len(rows) < _BATCH and kept < _BATCH:
                return removed
