"""Cloud Quotas' safety checks on a decrease, as Google runs them unless the request
lists them in ``ignoreSafetyChecks``: no limit below current usage, and no cut of more
than 10 percent at once."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nimbus.core.errors import FailedPrecondition, InvalidArgument
from nimbus.services.compute import quota_catalog as qc
from nimbus.services.compute import quota_limits, quotas
from nimbus.services.locations import catalog

BELOW_USAGE = "QUOTA_DECREASE_BELOW_USAGE"
PERCENTAGE_TOO_HIGH = "QUOTA_DECREASE_PERCENTAGE_TOO_HIGH"
CHECKS = (BELOW_USAGE, PERCENTAGE_TOO_HIGH)
MAX_CUT = 0.10


def parse_ignored(values: list[str]) -> frozenset[str]:
    for value in values:
        if value not in CHECKS:
            raise InvalidArgument(
                f"Invalid value at 'ignore_safety_checks': '{value}'; expected one of "
                f"{', '.join(CHECKS)}."
            )
    return frozenset(values)


def check_decrease(
    session: Session,
    project_number: int,
    quota: qc.Quota,
    dimensions: dict[str, str],
    new_value: int,
    ignored: frozenset[str],
) -> None:
    """Refuse a decrease the checks forbid, in every region the change reaches."""
    for where, limit, usage in _affected(session, project_number, quota, dimensions):
        if not _lower(new_value, limit):
            continue
        if BELOW_USAGE not in ignored and new_value != qc.UNLIMITED and new_value < usage:
            raise FailedPrecondition(
                f"The requested value {new_value} for quota '{quota.quota_id}' is below its "
                f"current usage of {usage:g}{where}. Add {BELOW_USAGE} to ignoreSafetyChecks "
                "to apply it anyway."
            )
        if PERCENTAGE_TOO_HIGH not in ignored and (
            limit == qc.UNLIMITED or limit - new_value > MAX_CUT * limit
        ):
            raise FailedPrecondition(
                f"The requested value {new_value} for quota '{quota.quota_id}' decreases its "
                f"current value {limit}{where} by more than 10 percent. Add "
                f"{PERCENTAGE_TOO_HIGH} to ignoreSafetyChecks to apply it anyway."
            )


def current_limit(
    session: Session, project_number: int, quota: qc.Quota, dimensions: dict[str, str]
) -> int:
    """The limit a new preference replaces (a regional one without a region replaces
    Google's default)."""
    if not quota.regional:
        return quota_limits.global_limits(session, project_number)[quota.metric]
    region = dimensions.get(quota_limits.REGION)
    if not region:
        return quota.default
    return quota_limits.regional_limits(session, project_number, [region])[region][quota.metric]


def _lower(new_value: int, limit: int) -> bool:
    if new_value == qc.UNLIMITED:
        return False
    return limit == qc.UNLIMITED or new_value < limit


def _affected(
    session: Session, project_number: int, quota: qc.Quota, dimensions: dict[str, str]
) -> list[tuple[str, int, float]]:
    """(where, current limit, usage) for each scope a preference would set."""
    if not quota.regional:
        limit = quota_limits.global_limits(session, project_number)[quota.metric]
        line = next(
            x for x in quotas.project_lines(session, project_number) if x.metric == quota.metric
        )
        return [("", limit, line.usage)]
    region = dimensions.get(quota_limits.REGION)
    if region:
        regions = [region]
    else:
        own = quota_limits.regions_with_own(session, project_number, quota.quota_id)
        regions = sorted(set(catalog.REGIONS) - own)
    limits = quota_limits.regional_limits(session, project_number, regions)
    lines = quotas.regions_lines(session, project_number, regions)
    return [
        (
            f" in region {name}",
            limits[name][quota.metric],
            next(x.usage for x in lines[name] if x.metric == quota.metric),
        )
        for name in regions
    ]
