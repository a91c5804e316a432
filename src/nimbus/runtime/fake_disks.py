"""Disk files for the fake runtime: sizes in memory, no files (control-plane tests)."""

from __future__ import annotations

import threading
from pathlib import Path

from nimbus.runtime.driver import DiskInUse, DiskNotFound


class MemoryDisks:
    def __init__(self, root: Path = Path("/nonexistent/fake-disks")) -> None:
        self.root = root
        self.sizes: dict[str, int] = {}
        self.snapshots: dict[str, int] = {}
        # Keys a test declares mounted, to see deletes refused.
        self.mounted: set[str] = set()
        self._lock = threading.Lock()

    def path(self, disk_key: str) -> Path:
        return self.root / f"{disk_key}.img"

    def snapshot_path(self, snapshot_key: str) -> Path:
        return self.root / "snapshots" / f"{snapshot_key}.img"

    def create(self, disk_key: str, size_gb: int, *, snapshot_key: str | None = None) -> Path:
        with self._lock:
            if snapshot_key is not None and snapshot_key not in self.snapshots:
                raise DiskNotFound(f"no snapshot {snapshot_key}")
            self.sizes.setdefault(disk_key, size_gb)
        return self.path(disk_key)

    def resize(self, disk_key: str, size_gb: int) -> None:
        with self._lock:
            if disk_key not in self.sizes:
                raise DiskNotFound(disk_key)
            if size_gb < self.sizes[disk_key]:
                raise ValueError("disks only grow")
            self.sizes[disk_key] = size_gb

    def snapshot(self, disk_key: str, snapshot_key: str) -> int:
        with self._lock:
            if disk_key not in self.sizes:
                raise DiskNotFound(disk_key)
            self.snapshots[snapshot_key] = self.sizes[disk_key]
            return 1 << 20

    def delete(self, disk_key: str) -> None:
        with self._lock:
            if disk_key in self.mounted:
                raise DiskInUse(disk_key)
            self.sizes.pop(disk_key, None)

    def delete_snapshot(self, snapshot_key: str) -> None:
        with self._lock:
            self.snapshots.pop(snapshot_key, None)
