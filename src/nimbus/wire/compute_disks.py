"""Compute Engine shapes of persistent disks, snapshots and disk types (compute/v1)."""

from __future__ import annotations

from nimbus.wire.base import Wire


class Disk(Wire):
    kind: str = "compute#disk"
    id: str
    creation_timestamp: str
    name: str
    description: str | None = None
    size_gb: str
    zone: str
    status: str
    self_link: str
    type: str
    source_image: str | None = None
    source_image_id: str | None = None
    source_snapshot: str | None = None
    source_snapshot_id: str | None = None
    labels: dict[str, str] | None = None
    label_fingerprint: str
    users: list[str] | None = None
    last_attach_timestamp: str | None = None
    last_detach_timestamp: str | None = None
    physical_block_size_bytes: str = "4096"
    architecture: str = "X86_64"


class DiskList(Wire):
    kind: str = "compute#diskList"
    id: str
    items: list[Disk] | None = None
    next_page_token: str | None = None
    self_link: str


class Snapshot(Wire):
    kind: str = "compute#snapshot"
    id: str
    creation_timestamp: str
    name: str
    description: str | None = None
    status: str
    source_disk: str
    source_disk_id: str
    disk_size_gb: str
    storage_bytes: str
    storage_bytes_status: str = "UP_TO_DATE"
    storage_locations: list[str]
    self_link: str
    labels: dict[str, str] | None = None
    label_fingerprint: str
    snapshot_type: str = "STANDARD"
    architecture: str = "X86_64"


class SnapshotList(Wire):
    kind: str = "compute#snapshotList"
    id: str
    items: list[Snapshot] | None = None
    next_page_token: str | None = None
    self_link: str


class DiskType(Wire):
    kind: str = "compute#diskType"
    id: str
    creation_timestamp: str = "1969-12-31T16:00:00.000-08:00"
    name: str
    description: str
    valid_disk_size: str
    zone: str
    self_link: str
    default_disk_size_gb: str


class DiskTypeList(Wire):
    kind: str = "compute#diskTypeList"
    id: str
    items: list[DiskType] | None = None
    next_page_token: str | None = None
    self_link: str
