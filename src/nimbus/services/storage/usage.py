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
from nimbus.store.models import Bucket, StorageByteChange, StorageOperationCount

CLASS_A = "A"
CLASS_B = "B"
FLUSH_SECONDS = 2.0


class StorageUsage:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._counts: Counter[tuple[str, int, dt.datetime, str]] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def record_bytes(
        self, session: Session, bucket: Bucket, storage_class: str, delta: int
    ) -> None:
        if delta:
            session.add(
                StorageByteChange(
                    bucket=bucket.name,
                    project_number=bucket.project_number,
                    storage_class=storage_class,
                    delta_bytes=delta,
                    at=self.clock.now(),
                )
            )

    def count(self, bucket: str, project_number: int, operation_class: str) -> None:
        hour = self.clock.now().replace(minute=0, second=0, microsecond=0)
        with self._lock:
            self._counts[(bucket, project_number, hour, operation_class)] += 1

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return
        merged: dict[tuple[str, int, dt.datetime], list[int]] = {}
        for (bucket, project, hour, kind), amount in counts.items():
            pair = merged.setdefault((bucket, project, hour), [0, 0])
            pair[0 if kind == CLASS_A else 1] += amount
        insert = sqlite_insert if self.db.is_sqlite else pg_insert
        with self.db.write() as session:
            for (bucket, project, hour), (class_a, class_b) in merged.items():
                statement = insert(StorageOperationCount).values(
                    bucket=bucket,
                    hour=hour,
                    project_number=project,
                    class_a=class_a,
                    class_b=class_b,
                )
                session.execute(
                    statement.on_conflict_do_update(
                        index_elements=["bucket", "hour"],
                        set_={
                            "class_a": StorageOperationCount.class_a + class_a,
                            "class_b": StorageOperationCount.class_b + class_b,
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
