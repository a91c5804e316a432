"""Compute usage records for billing: intervals opened and closed in the same
transaction as the change they measure, so they are exact across restarts.

An instance accrues while it runs (from RUNNING to its stop, suspension or deletion);
a disk accrues at its provisioned size from creation to deletion (a resize closes one
interval and opens the next); a snapshot accrues its stored bytes while it exists.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from nimbus.store.models import Disk, Instance, Snapshot, UsageInterval

INSTANCE = "instance"
DISK = "disk"
SNAPSHOT = "snapshot"


def provisioning_model(instance: Instance) -> str:
    scheduling = instance.scheduling or {}
    if scheduling.get("provisioningModel") == "SPOT":
        return "SPOT"
    return "PREEMPTIBLE" if scheduling.get("preemptible") else "STANDARD"


def instance_started(session: Session, instance: Instance, at: dt.datetime) -> None:
    if _open(session, INSTANCE, instance.id) is None:
        session.add(
            UsageInterval(
                project_number=instance.project_number,
                resource_kind=INSTANCE,
                resource_id=instance.id,
                resource_name=instance.name,
                location=instance.zone,
                sku=instance.machine_type,
                provisioning_model=provisioning_model(instance),
                vcpus=instance.vcpus,
                memory_mb=instance.memory_mb,
                size_gb=0.0,
                started=at,
            )
        )


def disk_provisioned(session: Session, disk: Disk, at: dt.datetime) -> None:
    """The disk exists at ``disk.size_gb`` from ``at`` (closing an earlier size)."""
    ended(session, DISK, disk.id, at)
    session.add(
        UsageInterval(
            project_number=disk.project_number,
            resource_kind=DISK,
            resource_id=disk.id,
            resource_name=disk.name,
            location=disk.zone,
            sku=disk.disk_type,
            size_gb=float(disk.size_gb),
            started=at,
        )
    )


def snapshot_stored(session: Session, snapshot: Snapshot, at: dt.datetime) -> None:
    ended(session, SNAPSHOT, snapshot.id, at)
    session.add(
        UsageInterval(
            project_number=snapshot.project_number,
            resource_kind=SNAPSHOT,
            resource_id=snapshot.id,
            resource_name=snapshot.name,
            location="global",
            sku=SNAPSHOT,
            size_gb=snapshot.storage_bytes / 2**30,
            started=at,
        )
    )


def ended(session: Session, kind: str, resource_id: int, at: dt.datetime) -> None:
    interval = _open(session, kind, resource_id)
    if interval is not None:
        interval.ended = max(at, interval.started)


def _open(session: Session, kind: str, resource_id: int) -> UsageInterval | None:
    return session.scalars(
        select(UsageInterval).where(
            UsageInterval.resource_kind == kind,
            UsageInterval.resource_id == resource_id,
            UsageInterval.ended.is_(None),
        )
    ).first()


@dataclass(frozen=True)
class UsageLine:
    """Usage of one resource at one SKU over a window."""

    resource_kind: str
    resource_id: int
    resource_name: str
    location: str
    sku: str
    provisioning_model: str
    # Instances: seconds run, vCPU-seconds and GiB-seconds; disks and snapshots:
    # GB-seconds (and the seconds they existed).
    seconds: float
    vcpu_seconds: float
    memory_gib_seconds: float
    gb_seconds: float


def usage_between(
    session: Session, project_number: int, start: dt.datetime, end: dt.datetime
) -> list[UsageLine]:
    """Every resource's usage within [start, end), open intervals counted up to ``end``."""
    rows = session.scalars(
        select(UsageInterval)
        .where(
            UsageInterval.project_number == project_number,
            UsageInterval.started < end,
            or_(UsageInterval.ended.is_(None), UsageInterval.ended > start),
        )
        .order_by(UsageInterval.id)
    )
    totals: dict[tuple[str, int, str, str], list[float]] = defaultdict(lambda: [0.0] * 4)
    names: dict[tuple[str, int, str, str], tuple[str, str]] = {}
    for row in rows:
        seconds = (min(row.ended or end, end) - max(row.started, start)).total_seconds()
        if seconds <= 0:
            continue
        key = (row.resource_kind, row.resource_id, row.sku, row.provisioning_model)
        names[key] = (row.resource_name, row.location)
        total = totals[key]
        total[0] += seconds
        total[1] += seconds * row.vcpus
        total[2] += seconds * row.memory_mb / 1024
        total[3] += seconds * row.size_gb
    lines = []
    for key in sorted(totals):
        kind, resource_id, sku, model = key
        name, location = names[key]
        lines.append(UsageLine(kind, resource_id, name, location, sku, model, *totals[key]))
    return lines
