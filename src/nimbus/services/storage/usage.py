"""Usage records for billing: bytes stored per bucket and class, and operation counts.

Byte changes are written in the same transaction as the change itself, so they are
exact. Operation counts are tallied in memory and flushed every few seconds (and at
shutdown): a crash may forget the last seconds of counts, never an object.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.store.db import Database
from nimbus.store.models import (
    Bucket,
    BucketState,
    GenerationState,
    StorageByteChange,
    StorageOperationCount,
    StorageRemoval,
)

CLASS_A = "A"
CLASS_B = "B"
# Classes whose early removal is charged (the durations themselves are prices: the
# catalog holds them).
CLASSES_WITH_MINIMUM_DURATION = frozenset({"NEARLINE", "COLDLINE", "ARCHIVE"})
FLUSH_SECONDS = 2.0

_CountKey = tuple[str, int, str, str, dt.datetime]
# A bucket as its operations are counted and priced: name, project number, location and
# default storage class when counted.
BucketPricing = tuple[str, int, str, str]


def priced_as(bucket: Bucket) -> BucketPricing:
    return bucket.name, bucket.project_number, bucket.location, bucket.storage_class


class StorageUsage:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        # (bucket, project number, location, class, hour), then "A" or "B".
        self._counts: Counter[tuple[_CountKey, str]] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record_bytes(
        self, session: Session, bucket: BucketState, storage_class: str, delta: int
    ) -> None:
        if delta:
            session.add(
                StorageByteChange(
                    bucket=bucket.name,
                    project_number=bucket.project_number,
                    storage_class=storage_class,
                    location=bucket.location,
                    delta_bytes=delta,
                    at=self.clock.now(),
                )
            )

    def record_removal(self, session: Session, bucket: BucketState, row: GenerationState) -> None:
        """An object leaves storage for good: its bytes go, and if its class has a
        minimum storage duration the removal is kept for the early-deletion charge."""
        self.record_bytes(session, bucket, row.storage_class, -row.size)
        if row.storage_class in CLASSES_WITH_MINIMUM_DURATION:
            session.add(
                StorageRemoval(
                    project_number=bucket.project_number,
                    bucket=bucket.name,
                    location=bucket.location,
                    storage_class=row.storage_class,
                    size_bytes=row.size,
                    stored_since=row.time_storage_class_updated,
                    removed_at=self.clock.now(),
                )
            )

    def count(self, bucket: Bucket, operation_class: str) -> None:
        """One operation on ``bucket``, priced later by its location and default class."""
        self.count_as(priced_as(bucket), operation_class)

    def count_as(self, pricing: BucketPricing, operation_class: str) -> None:
        """``count``, for a bucket known by what prices its operations."""
        hour = self.clock.now().replace(minute=0, second=0, microsecond=0)
        with self._lock:
            self._counts[((*pricing, hour), operation_class)] += 1

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return
        merged: dict[_CountKey, list[int]] = {}
        for (key, kind), amount in counts.items():
            pair = merged.setdefault(key, [0, 0])
            pair[0 if kind == CLASS_A else 1] += amount
        insert = sqlite_insert if self.db.is_sqlite else pg_insert
        with self.db.write() as session:
            for (bucket, project, location, storage_class, hour), (a, b) in merged.items():
                statement = insert(StorageOperationCount).values(
                    bucket=bucket,
                    hour=hour,
                    project_number=project,
                    location=location,
                    storage_class=storage_class,
                    class_a=a,
                    class_b=b,
                )
                session.execute(
                    statement.on_conflict_do_update(
                        index_elements=["bucket", "hour"],
                        set_={
                            "class_a": StorageOperationCount.class_a + a,
                            "class_b": StorageOperationCount.class_b + b,
                        },
                    )
                )

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="storage-usage", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self.flush()
