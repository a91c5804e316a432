"""A project's quota limits: its granted quota preferences over Google's defaults.

A regional preference applies to the region its ``region`` dimension names, or, with no
dimension, to every region that has no preference of its own (Cloud Quotas' rule).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.services.compute import quota_catalog as qc
from nimbus.store.models import QuotaPreference

REGION = "region"


def dimension_key(dimensions: dict[str, str]) -> str:
    return ",".join(f"{key}={dimensions[key]}" for key in sorted(dimensions))


def _granted(session: Session, project_number: int) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(
            QuotaPreference.quota_id, QuotaPreference.dimensions, QuotaPreference.granted_value
        ).where(
            QuotaPreference.project_number == project_number,
            QuotaPreference.service == qc.SERVICE,
        )
    )
    return {(quota_id, dims.get(REGION, "")): value for quota_id, dims, value in rows}


def regional_limits(
    session: Session, project_number: int, regions: Iterable[str]
) -> dict[str, dict[str, int]]:
    granted = _granted(session, project_number)
    found: dict[str, dict[str, int]] = {}
    for region in regions:
        limits: dict[str, int] = {}
        for quota in qc.REGIONAL:
            value = granted.get((quota.quota_id, region), granted.get((quota.quota_id, "")))
            if value is not None:
                limits[quota.metric] = value
        limits.setdefault(qc.CPUS, qc.BY_METRIC[qc.CPUS].default)
        cpus = limits[qc.CPUS]
        # Google sets the instance quota from the CPU quota unless it is set itself.
        limits.setdefault(
            qc.INSTANCES, qc.UNLIMITED if cpus == qc.UNLIMITED else cpus * qc.INSTANCES_PER_CPU
        )
        for quota in qc.REGIONAL:
            limits.setdefault(quota.metric, quota.default)
        found[region] = limits
    return found


def global_limits(session: Session, project_number: int) -> dict[str, int]:
    granted = _granted(session, project_number)
    return {q.metric: granted.get((q.quota_id, ""), q.default) for q in qc.GLOBAL}


def regions_with_own(session: Session, project_number: int, quota_id: str) -> set[str]:
    """The regions a preference of their own sets ``quota_id`` in."""
    return {
        region
        for (quota, region) in _granted(session, project_number)
        if quota == quota_id and region
    }


def exceeds(usage: float, limit: int) -> bool:
    return limit != qc.UNLIMITED and usage > limit + 1e-9
