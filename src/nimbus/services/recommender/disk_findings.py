"""Findings about persistent disks and snapshots: disks no instance has used for
Google's 15 days (snapshot, then delete), and old snapshots (delete)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from sqlalchemy import select

from nimbus.core.clock import rfc3339
from nimbus.services.compute import disk_rows
from nimbus.services.recommender import thresholds as th
from nimbus.services.recommender.findings import (
    Finding,
    command,
    compute_resource,
    operation,
    step,
)
from nimbus.services.recommender.scope import Scope, priced
from nimbus.store.models import Disk, DiskAttachment, Snapshot

IDLE_DISK = "google.compute.disk.IdleResourceRecommender"
OLD_SNAPSHOT = "nimbus.compute.snapshot.IdleResourceRecommender"
DISK_TYPE = "compute.googleapis.com/Disk"
SNAPSHOT_TYPE = "compute.googleapis.com/Snapshot"
_GIB = 2**30


def backup_name(disk: Disk) -> str:
    """The snapshot the recommendation makes before deleting (a valid, 63-char name)."""
    return f"{disk.name[:56].rstrip('-')}-backup"


def idle_disks(scope: Scope) -> Iterator[Finding]:
    cutoff = scope.now - th.IDLE_DISK_AGE
    attached = select(DiskAttachment.id).where(DiskAttachment.disk_id == Disk.id).exists()
    disks = scope.session.scalars(
        select(Disk)
        .where(
            Disk.project_number == scope.project.number,
            Disk.status == disk_rows.READY,
            Disk.creation_time <= cutoff,
            ~attached,
        )
        .order_by(Disk.zone, Disk.name)
    )
    for disk in disks:
        if disk.last_detach_time is not None and disk.last_detach_time > cutoff:
            continue
        disk_cost = priced(scope.prices.monthly_disk_cost, disk.disk_type, disk.size_gb, disk.zone)
        # The saving is the disk's cost, as Google shows it; the backup bills its used
        # bytes, at most the disk's size (shown beside it).
        backup_cost = priced(scope.prices.monthly_snapshot_cost, disk.size_gb)
        if disk_cost is None or backup_cost is None:
            continue
        yield _idle_disk(scope, disk, disk_cost, backup_cost)


def _idle_disk(scope: Scope, disk: Disk, disk_cost: Decimal, backup_cost: Decimal) -> Finding:
    target = compute_resource(scope.project_id, "zones", disk.zone, "disks", disk.name)
    backup = backup_name(disk)
    source = f"projects/{scope.project_id}/zones/{disk.zone}/disks/{disk.name}"
    unused_since = disk.last_detach_time or disk.creation_time
    return Finding(
        recommender=IDLE_DISK,
        subtype="SNAPSHOT_AND_DELETE_DISK",
        location=disk.zone,
        key=str(disk.id),
        target=target,
        description=(
            f"Save cost by snapshotting and then deleting idle persistent disk '{disk.name}'."
        ),
        operations=(
            operation(
                "add",
                SNAPSHOT_TYPE,
                compute_resource(scope.project_id, "global", "snapshots", backup),
                value={"name": backup, "sourceDisk": source},
            ),
            operation("remove", DISK_TYPE, target),
        ),
        command=command(
            step(
                "compute snapshots create",
                backup,
                f"--source-disk={disk.name}",
                f"--source-disk-zone={disk.zone}",
                f"--project={scope.project_id}",
            ),
            step(
                "compute disks delete",
                disk.name,
                f"--zone={disk.zone}",
                f"--project={scope.project_id}",
                "--quiet",
            ),
        ),
        saving=disk_cost,
        facts={
            "unusedSince": rfc3339(unused_since),
            "diskMonthlyCost": f"{disk_cost:.2f}",
            "backupMonthlyCostAtMost": f"{backup_cost:.2f}",
        },
    )


def old_snapshots(scope: Scope) -> Iterator[Finding]:
    cutoff = scope.now - th.OLD_SNAPSHOT_AGE
    snapshots = scope.session.scalars(
        select(Snapshot)
        .where(
            Snapshot.project_number == scope.project.number,
            Snapshot.status == disk_rows.READY,
            Snapshot.creation_time <= cutoff,
        )
        .order_by(Snapshot.name)
    )
    for snapshot in snapshots:
        cost = priced(scope.prices.monthly_snapshot_cost, snapshot.storage_bytes / _GIB)
        if cost is None:
            continue
        target = compute_resource(scope.project_id, "global", "snapshots", snapshot.name)
        yield Finding(
            recommender=OLD_SNAPSHOT,
            subtype="DELETE_SNAPSHOT",
            location="global",
            key=str(snapshot.id),
            target=target,
            description=(
                f"Save cost by deleting snapshot '{snapshot.name}', taken "
                f"{rfc3339(snapshot.creation_time)}, if it is no longer needed."
            ),
            operations=(operation("remove", SNAPSHOT_TYPE, target),),
            command=command(
                step(
                    "compute snapshots delete",
                    snapshot.name,
                    f"--project={scope.project_id}",
                    "--quiet",
                )
            ),
            saving=cost,
            facts={"storageBytes": snapshot.storage_bytes, "sourceDisk": snapshot.source_disk},
        )
