"""The disk controller: makes, grows, snapshots and removes disk files until they match
the store, and finishes the disks' and snapshots' Operations.

Like the instance controller it keeps no state: every pass reads what is due from the
store, and every file operation is idempotent, so a crash half-way is simply redone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.controllers.instance_world import DiskStore
from nimbus.controllers.repeating import RepeatingPass
from nimbus.core.clock import Clock
from nimbus.core.errors import NimbusError, Unavailable
from nimbus.runtime.driver import DiskInUse, DriverError
from nimbus.services.compute import disk_rows, usage
from nimbus.services.operations import states as op_states
from nimbus.services.operations.service import Operations
from nimbus.store.db import Database
from nimbus.store.models import Disk, Operation, Snapshot

log = logging.getLogger("nimbus.controllers.disks")
POLL_SECONDS = 0.2


class DiskController:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        operations: Operations,
        files: DiskStore,
        *,
        on_ready: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.operations = operations
        self.files = files
        # Called when a disk became ready (instances may be waiting for it).
        self.on_ready = on_ready
        self._passes = RepeatingPass("disks", self.run_once, POLL_SECONDS, log)

    def start(self) -> None:
        self._passes.start()

    def stop(self) -> None:
        self._passes.stop()

    def wake(self) -> None:
        self._passes.wake()

    def run_once(self) -> None:
        """One pass over every disk and snapshot that is not settled."""
        with self.db.read() as session:
            disks = [
                (d.id, d.status)
                for d in session.scalars(
                    select(Disk).where(
                        Disk.status.in_(
                            (disk_rows.CREATING, disk_rows.RESTORING, disk_rows.DELETING)
                        )
                        | ((Disk.status == disk_rows.READY) & (Disk.provisioned_gb < Disk.size_gb))
                    )
                )
            ]
            snapshots = [
                (s.id, s.status)
                for s in session.scalars(
                    select(Snapshot).where(
                        Snapshot.status.in_((disk_rows.CREATING, disk_rows.DELETING))
                    )
                )
            ]
        made = False
        for disk_id, status in disks:
            if status == disk_rows.DELETING:
                self._delete_disk(disk_id)
            else:
                made = self._make_disk(disk_id) or made
        for snapshot_id, status in snapshots:
            if status == disk_rows.DELETING:
                self._delete_snapshot(snapshot_id)
            else:
                self._take_snapshot(snapshot_id)
        if made:
            self.on_ready()

    # -- disks -----------------------------------------------------------------------------

    def make_disk(self, disk_id: int) -> bool:
        """Make (or grow) one disk now, in the caller's thread: an instance booting
        from a new disk need not wait for this controller's next pass. Safe alongside a
        pass doing the same (the files are made idempotently, under a lock)."""
        return self._make_disk(disk_id)

    def _make_disk(self, disk_id: int) -> bool:
        with self.db.read() as session:
            disk = session.get(Disk, disk_id)
            if disk is None:
                return False
            key, size = str(disk.id), disk.size_gb
            snapshot = None if disk.source_snapshot_id is None else str(disk.source_snapshot_id)
            fresh = disk.status != disk_rows.READY
        try:
            if fresh:  # made at its size (a snapshot's copy grown to it)
                self.files.create(key, size, snapshot_key=snapshot)
            else:
                self.files.resize(key, size)
        except (DriverError, ValueError, OSError) as error:
            log.warning("disk %s: %s", key, error)
            if fresh:
                self._fail_disk(disk_id, str(error))
            return False
        with self.db.write() as session:
            disk = session.get(Disk, disk_id)
            if disk is None:
                return False
            disk.provisioned_gb = max(disk.provisioned_gb, size)
            if disk.status in (disk_rows.CREATING, disk_rows.RESTORING):
                disk.status = disk_rows.READY
            if disk.provisioned_gb >= disk.size_gb:
                self._finish(session, disk.project_number, key)
        return True

    def _fail_disk(self, disk_id: int, message: str) -> None:
        with self.db.write() as session:
            disk = session.get(Disk, disk_id)
            if disk is None:
                return
            disk.status = disk_rows.FAILED
            disk.failure = message
            self._finish(
                session,
                disk.project_number,
                str(disk.id),
                Unavailable(f"Disk '{disk.name}' could not be made: {message}"),
            )

    def _delete_disk(self, disk_id: int) -> None:
        try:
            self.files.delete(str(disk_id))
        except DiskInUse:
            return  # an instance is still letting go of it; the next pass retries
        except DriverError as error:
            log.warning("disk %s: %s", disk_id, error)
            return
        with self.db.write() as session:
            disk = session.get(Disk, disk_id)
            if disk is None:
                return
            usage.ended(session, usage.DISK, disk.id, self.clock.now())
            self._finish(session, disk.project_number, str(disk.id))
            session.delete(disk)

    # -- snapshots -------------------------------------------------------------------------

    def _take_snapshot(self, snapshot_id: int) -> None:
        with self.db.read() as session:
            snapshot = session.get(Snapshot, snapshot_id)
            if snapshot is None:
                return
            disk_key = str(snapshot.source_disk_id)
        try:
            stored = self.files.snapshot(disk_key, str(snapshot_id))
        except (DriverError, OSError) as error:
            with self.db.write() as session:
                row = session.get(Snapshot, snapshot_id)
                if row is not None:
                    row.status = disk_rows.FAILED
                    row.failure = str(error)
                    failure = Unavailable(f"Snapshot '{row.name}' failed: {error}")
                    self._finish(session, row.project_number, str(row.id), failure)
            return
        with self.db.write() as session:
            row = session.get(Snapshot, snapshot_id)
            if row is None:
                return
            row.status = disk_rows.READY
            row.storage_bytes = stored
            usage.snapshot_stored(session, row, self.clock.now())
            self._finish(session, row.project_number, str(row.id))

    def _delete_snapshot(self, snapshot_id: int) -> None:
        try:
            self.files.delete_snapshot(str(snapshot_id))
        except DriverError as error:
            log.warning("snapshot %s: %s", snapshot_id, error)
            return
        with self.db.write() as session:
            row = session.get(Snapshot, snapshot_id)
            if row is None:
                return
            usage.ended(session, usage.SNAPSHOT, row.id, self.clock.now())
            self._finish(session, row.project_number, str(row.id))
            session.delete(row)

    def _finish(
        self,
        session: Session,
        project_number: int,
        target_id: str,
        error: NimbusError | None = None,
    ) -> None:
        for operation in session.scalars(
            select(Operation).where(
                Operation.project_number == project_number,
                Operation.target_id == target_id,
                Operation.status != op_states.DONE,
            )
        ):
            self.operations.finish(session, operation, error)
