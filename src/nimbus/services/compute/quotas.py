"""Compute Engine quotas: shown (``regions.get``, ``projects.get``) and enforced.

A write that grows a quota's usage calls ``enforce`` inside its own transaction, after
its rows are written: usage is counted from the store, this write's rows included, and
a quota past its limit raises Google's ``quotaExceeded``, which rolls the whole write
back (nothing is created). On PostgreSQL the project's row is locked first, so two
concurrent writes are counted one after the other (SQLite serializes writers anyway).

Only the quotas a write grows are checked: a limit lowered below usage stops further
growth but not unrelated changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session, object_session

from nimbus.core.errors import QuotaExceeded
from nimbus.services.compute import capacity, quota_limits, quota_usage
from nimbus.services.compute import quota_catalog as qc
from nimbus.services.compute.instance_requests import InstanceRequest
from nimbus.services.locations import catalog
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import Instance


class ComputeQuotaExceeded(QuotaExceeded):
    domain = "usageLimits"


@dataclass(frozen=True)
class QuotaLine:
    """One entry of a region's or project's ``quotas``."""

    metric: str
    limit: float
    usage: float


def cpu_metric(spot: bool) -> str:
    """The quota an instance's vCPUs grow; ``enforce`` moves Spot CPUs to CPUS where
    the project has no preemptible quota."""
    return qc.PREEMPTIBLE_CPUS if spot else qc.CPUS


def disk_metric(disk_type: str) -> str:
    return qc.DISK_METRIC.get(disk_type, qc.DISKS_TOTAL_GB)


def grown_by_insert(request: InstanceRequest) -> list[str]:
    """The quotas an ``instances.insert`` grows: CPUs, instances, and the disks it makes."""
    made = [d for d in (request.boot_disk, *request.disks) if d.source is None]
    return [
        cpu_metric(capacity.reclaimable(request.scheduling)),
        qc.INSTANCES,
        *(disk_metric(d.disk_type) for d in made),
    ]


def enforce_machine_type(instance: Instance) -> None:
    """A stopped instance's new machine type must fit the CPU quota it needs to start."""
    session = object_session(instance)
    assert session is not None
    metric = cpu_metric(capacity.is_spot(instance))
    counted = quota_usage.holds_cpus(instance.status, instance.desired_status)
    enforce(
        session,
        instance.project_number,
        catalog.zone(instance.zone).region,
        [metric],
        pending=None if counted else {metric: instance.vcpus},
    )


# -- showing ---------------------------------------------------------------------------


def region_lines(session: Session, project_number: int, region: str) -> list[QuotaLine]:
    return regions_lines(session, project_number, [region])[region]


def regions_lines(
    session: Session, project_number: int, regions: Iterable[str] | None = None
) -> dict[str, list[QuotaLine]]:
    names = list(regions) if regions is not None else sorted(catalog.REGIONS)
    limits, usage = _regional(session, project_number, names)
    return {
        region: [
            QuotaLine(q.metric, float(limits[region][q.metric]), usage[region][q.metric])
            for q in qc.REGIONAL
        ]
        for region in names
    }


def project_lines(session: Session, project_number: int) -> list[QuotaLine]:
    limits = quota_limits.global_limits(session, project_number)
    usage = quota_usage.global_usage(session, project_number)
    return [QuotaLine(q.metric, float(limits[q.metric]), usage[q.metric]) for q in qc.GLOBAL]


class QuotaReader:
    """Quotas as ``regions.get``, ``regions.list`` and ``projects.get`` show them (the
    caller's permission on those was checked already)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def region(self, project_number: int, region: str) -> list[QuotaLine]:
        with self.db.read() as session:
            return region_lines(session, project_number, region)

    def regions(self, project_number: int) -> dict[str, list[QuotaLine]]:
        with self.db.read() as session:
            return regions_lines(session, project_number)

    def project(self, project_number: int) -> list[QuotaLine]:
        with self.db.read() as session:
            return project_lines(session, project_number)


def _regional(
    session: Session, project_number: int, regions: list[str]
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, float]]]:
    limits = quota_limits.regional_limits(session, project_number, regions)
    own_spot_quota = {r: limits[r][qc.PREEMPTIBLE_CPUS] != 0 for r in regions}
    usage = quota_usage.regional_usage(session, project_number, regions, own_spot_quota)
    return limits, usage


# -- enforcing -------------------------------------------------------------------------


def enforce(
    session: Session,
    project_number: int,
    region: str | None,
    grown: Iterable[str],
    *,
    pending: Mapping[str, float] | None = None,
) -> None:
    """Raise Google's quotaExceeded if a quota in ``grown`` is now past its limit.

    ``region`` is None for the global quotas. ``pending`` adds usage that is not in the
    store yet (an instance's new machine type, counted before it starts).
    """
    session.flush()
    hierarchy.lock_project(session, project_number)
    if region is None:
        limits = quota_limits.global_limits(session, project_number)
        usage = quota_usage.global_usage(session, project_number)
    else:
        all_limits, all_usage = _regional(session, project_number, [region])
        limits, usage = all_limits[region], all_usage[region]
    extra: dict[str, float] = {}
    for metric, amount in (pending or {}).items():
        key = _resolved(metric, limits)
        extra[key] = extra.get(key, 0.0) + amount
    for metric in dict.fromkeys(_resolved(m, limits) for m in grown):
        amount = usage[metric] + extra.get(metric, 0.0)
        if quota_limits.exceeds(amount, limits[metric]):
            raise exceeded(metric, limits[metric], region)


def _resolved(metric: str, limits: Mapping[str, int]) -> str:
    """Spot CPUs count against CPUS where the preemptible quota is zero."""
    if metric == qc.PREEMPTIBLE_CPUS and limits.get(qc.PREEMPTIBLE_CPUS) == 0:
        return qc.CPUS
    return metric


def exceeded(metric: str, limit: int, region: str | None) -> ComputeQuotaExceeded:
    # Google's wording, two spaces included.
    where = f"in region {region}" if region is not None else "globally"
    return ComputeQuotaExceeded(f"Quota '{metric}' exceeded.  Limit: {float(limit):.1f} {where}.")
