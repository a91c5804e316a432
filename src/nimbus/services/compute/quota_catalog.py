"""The Compute Engine quotas Nimbus enforces, with Google's names and the defaults of
a new project.

Each quota has three names on Google: the metric that ``regions.get`` and
``projects.get`` show (``CPUS``), the Cloud Quotas ``quotaId``
(``CPUS-per-project-region``) and the service metric
(``compute.googleapis.com/cpus``). Defaults are those of a new paid project (seen in
``gcloud compute regions describe`` and ``project-info describe`` of new projects);
the VM instances quota is ten times the CPU quota unless set on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from nimbus.core.errors import InvalidArgument

SERVICE = "compute.googleapis.com"
# A limit of -1 is Google's "unlimited".
UNLIMITED = -1

CPUS = "CPUS"
PREEMPTIBLE_CPUS = "PREEMPTIBLE_CPUS"
INSTANCES = "INSTANCES"
DISKS_TOTAL_GB = "DISKS_TOTAL_GB"
SSD_TOTAL_GB = "SSD_TOTAL_GB"
SNAPSHOTS = "SNAPSHOTS"
NETWORKS = "NETWORKS"
FIREWALLS = "FIREWALLS"

INSTANCES_PER_CPU = 10
# Disk types and the quota their size counts against (pd-balanced is an SSD quota).
DISK_METRIC = {"pd-standard": DISKS_TOTAL_GB, "pd-balanced": SSD_TOTAL_GB, "pd-ssd": SSD_TOTAL_GB}


@dataclass(frozen=True)
class Quota:
    metric: str
    quota_id: str
    service_metric: str
    regional: bool
    default: int
    display_name: str
    unit: str = "1"


REGIONAL = (
    Quota(CPUS, "CPUS-per-project-region", f"{SERVICE}/cpus", True, 24, "CPUs"),
    Quota(
        DISKS_TOTAL_GB,
        "DISKS-TOTAL-GB-per-project-region",
        f"{SERVICE}/disks_total_storage",
        True,
        4096,
        "Persistent Disk Standard (GB)",
        "GBy",
    ),
    Quota(
        SSD_TOTAL_GB,
        "SSD-TOTAL-GB-per-project-region",
        f"{SERVICE}/ssd_total_storage",
        True,
        500,
        "Persistent Disk SSD (GB)",
        "GBy",
    ),
    Quota(
        INSTANCES,
        "INSTANCES-per-project-region",
        f"{SERVICE}/instances",
        True,
        24 * INSTANCES_PER_CPU,
        "VM instances",
    ),
    Quota(
        PREEMPTIBLE_CPUS,
        "PREEMPTIBLE-CPUS-per-project-region",
        f"{SERVICE}/preemptible_cpus",
        True,
        0,
        "Preemptible CPUs",
    ),
)
GLOBAL = (
    Quota(SNAPSHOTS, "SNAPSHOTS-per-project", f"{SERVICE}/snapshots", False, 1000, "Snapshots"),
    Quota(NETWORKS, "NETWORKS-per-project", f"{SERVICE}/networks", False, 5, "Networks"),
    Quota(FIREWALLS, "FIREWALLS-per-project", f"{SERVICE}/firewalls", False, 100, "Firewall rules"),
)
ALL = REGIONAL + GLOBAL
BY_METRIC = {q.metric: q for q in ALL}
BY_QUOTA_ID = {q.quota_id: q for q in ALL}


def quota_named(service: str, quota_id: str) -> Quota:
    """The quota a Cloud Quotas request names, or Google's 400."""
    if service != SERVICE:
        raise InvalidArgument(
            f"Service '{service}' has no quotas that can be adjusted here; the service must "
            f"be '{SERVICE}'."
        )
    found = BY_QUOTA_ID.get(quota_id)
    if found is None:
        raise InvalidArgument(f"Quota ID '{quota_id}' was not found in service '{service}'.")
    return found
