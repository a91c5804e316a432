"""Quota preferences and quota infos rendered in Cloud Quotas v1 shapes."""

from __future__ import annotations

from nimbus.core.clock import rfc3339
from nimbus.services.compute.quota_infos import GLOBAL, QuotaInfo
from nimbus.store.models import QuotaPreference
from nimbus.wire import quotas as wire


def preference(project_number: int, row: QuotaPreference) -> wire.QuotaPreference:
    return wire.QuotaPreference(
        name=f"projects/{project_number}/locations/global/quotaPreferences/{row.preference_id}",
        dimensions=dict(row.dimensions),
        quota_config=wire.QuotaConfig(
            preferred_value=str(row.preferred_value),
            granted_value=str(row.granted_value),
            trace_id=row.trace_id or None,
            annotations=dict(row.annotations) or None,
        ),
        etag=row.etag,
        create_time=rfc3339(row.create_time),
        update_time=rfc3339(row.update_time),
        service=row.service,
        quota_id=row.quota_id,
        justification=row.justification or None,
        contact_email=row.contact_email or None,
    )


def info(project_number: int, found: QuotaInfo) -> wire.QuotaInfo:
    quota = found.quota
    scope = "per project per region" if quota.regional else "per project"
    return wire.QuotaInfo(
        name=(
            f"projects/{project_number}/locations/global/services/compute.googleapis.com/"
            f"quotaInfos/{quota.quota_id}"
        ),
        quota_id=quota.quota_id,
        metric=quota.service_metric,
        service="compute.googleapis.com",
        dimensions=["region"] if quota.regional else [],
        metric_display_name=quota.display_name,
        quota_display_name=f"{quota.display_name} {scope}",
        metric_unit=quota.unit,
        dimensions_infos=[
            wire.DimensionsInfo(
                dimensions={"region": region} if region else {},
                details=wire.QuotaDetails(value=str(limit)),
                applicable_locations=[region or GLOBAL],
            )
            for region, limit in found.limits
        ],
    )
