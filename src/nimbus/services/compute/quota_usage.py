"""How much of each Compute Engine quota a project uses, counted from the store (no
counters to drift), by Google's rules:

- CPUS: the vCPUs (``guestCpus``; a shared-core E2 type counts its 2) of every instance
  that is not TERMINATED or SUSPENDED, or that was asked to start or resume. Spot and
  preemptible instances count against PREEMPTIBLE_CPUS instead where that quota is
  above zero.
- INSTANCES: every instance, whatever its status.
- DISKS_TOTAL_GB: pd-standard disks; SSD_TOTAL_GB: pd-ssd and pd-balanced disks, at
  their requested size (a pending resize counts).
- SNAPSHOTS, NETWORKS, FIREWALLS: how many there are.

Disks and snapshots being deleted are gone for their user, and for their quota.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nimbus.services.compute import capacity, disk_rows
from nimbus.services.compute import instance_states as st
from nimbus.services.compute import quota_catalog as qc
from nimbus.services.locations import catalog
from nimbus.store.models import Disk, Firewall, Instance, Network, Snapshot

# Statuses that hold no CPUs (unless a start or resume was asked for).
_AT_REST = (st.TERMINATED, st.SUSPENDED)


def holds_cpus(status: str, desired_status: str) -> bool:
    return desired_status == st.WANT_RUNNING or status not in _AT_REST


def regional_usage(
    session: Session,
    project_number: int,
    regions: Collection[str],
    spot_has_own_quota: Mapping[str, bool],
) -> dict[str, dict[str, float]]:
    """Usage per region; ``spot_has_own_quota`` says, per region, whether Spot CPUs
    count against PREEMPTIBLE_CPUS (its limit is above zero) or against CPUS."""
    found = {region: {q.metric: 0.0 for q in qc.REGIONAL} for region in regions}
    zones = [zone for region in regions for zone in catalog.region(region).zones]
    instances = session.execute(
        select(
            Instance.zone,
            Instance.vcpus,
            Instance.scheduling,
            Instance.status,
            Instance.desired_status,
        ).where(Instance.project_number == project_number, Instance.zone.in_(zones))
    )
    for zone, vcpus, scheduling, status, desired in instances:
        region = catalog.ZONES[zone].region
        counts = found[region]
        counts[qc.INSTANCES] += 1
        if holds_cpus(status, desired):
            counts[_cpu_metric(scheduling, spot_has_own_quota[region])] += vcpus
    disks = session.execute(
        select(Disk.zone, Disk.disk_type, func.sum(Disk.size_gb))
        .where(
            Disk.project_number == project_number,
            Disk.zone.in_(zones),
            Disk.status != disk_rows.DELETING,
        )
        .group_by(Disk.zone, Disk.disk_type)
    )
    for zone, disk_type, size_gb in disks:
        metric = qc.DISK_METRIC.get(disk_type, qc.DISKS_TOTAL_GB)
        found[catalog.ZONES[zone].region][metric] += float(size_gb or 0)
    return found


def global_usage(session: Session, project_number: int) -> dict[str, float]:
    def count(query: Any) -> float:
        return float(session.scalar(select(func.count()).select_from(query.subquery())) or 0)

    return {
        qc.SNAPSHOTS: count(
            select(Snapshot.id).where(
                Snapshot.project_number == project_number,
                Snapshot.status != disk_rows.DELETING,
            )
        ),
        qc.NETWORKS: count(select(Network.id).where(Network.project_number == project_number)),
        qc.FIREWALLS: count(select(Firewall.id).where(Firewall.project_number == project_number)),
    }


def _cpu_metric(scheduling: dict[str, Any] | None, spot_has_own_quota: bool) -> str:
    if spot_has_own_quota and capacity.reclaimable(scheduling or {}):
        return qc.PREEMPTIBLE_CPUS
    return qc.CPUS
