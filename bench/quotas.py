"""Room for a benchmark's instances: a new project's quotas (24 vCPUs and 4 TB of
standard disk per region) hold a dozen shared-core instances, so a benchmark raises
its region's limits first, through the Cloud Quotas API, as an administrator would."""

from __future__ import annotations

from typing import Any


def raise_region_quotas(api: Any, url: str, project: str, zone: str, instances: int) -> None:
    """Fit ``instances`` two-vCPU instances with 10 GB boot disks in ``zone``'s region
    (the instance quota follows the CPUs: ten per CPU)."""
    preferences = f"{url}/v1/projects/{project}/locations/global/quotaPreferences"
    wanted = {
        "CPUS-per-project-region": max(24, 2 * instances),
        "DISKS-TOTAL-GB-per-project-region": max(4096, 10 * instances),
    }
    for quota_id, value in wanted.items():
        api.post(
            preferences,
            params={"quotaPreferenceId": quota_id.lower()},
            json={
                "service": "compute.googleapis.com",
                "quotaId": quota_id,
                "quotaConfig": {"preferredValue": str(value)},
                "dimensions": {"region": zone.rsplit("-", 1)[0]},
            },
        ).raise_for_status()
