"""Every recommender Nimbus runs: its id, the finder that computes it, and the
permissions that guard it (Google's ``recommender.*Recommendations.*`` where Google
has the recommender; the closest ones where it is Nimbus's own)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nimbus.core.errors import InvalidArgument
from nimbus.services.recommender import bucket_findings, disk_findings, instance_findings
from nimbus.services.recommender.findings import Finding
from nimbus.services.recommender.scope import Scope

LIST, GET, UPDATE = "list", "get", "update"


@dataclass(frozen=True)
class Recommender:
    id: str
    find: Callable[[Scope], Iterable[Finding]]
    # "recommender.computeInstanceIdleResourceRecommendations": + ".list", ".get", ".update".
    permission_base: str
    # Also accepted, per verb: for Nimbus's own recommenders, the permissions of the
    # resources they look at (the basic roles hold these where the role catalog has no
    # recommender permission for them).
    alternatives: tuple[tuple[str, str], ...] = ()
    google: bool = True

    def permissions(self, verb: str) -> list[str]:
        return [f"{self.permission_base}.{verb}", *(p for v, p in self.alternatives if v == verb)]


_STORAGE = (
    (LIST, "storage.buckets.list"),
    (GET, "storage.buckets.list"),
    (UPDATE, "storage.buckets.update"),
)
_INSTANCE_IDLE = "recommender.computeInstanceIdleResourceRecommendations"
_DISK_IDLE = "recommender.computeDiskIdleResourceRecommendations"
_BUCKET = "recommender.storageBucketSoftDeleteRecommendations"

RECOMMENDERS: dict[str, Recommender] = {
    r.id: r
    for r in (
        Recommender(instance_findings.IDLE_VM, instance_findings.idle_instances, _INSTANCE_IDLE),
        Recommender(
            instance_findings.MACHINE_TYPE,
            instance_findings.oversized_instances,
            "recommender.computeInstanceMachineTypeRecommendations",
        ),
        Recommender(
            instance_findings.STOPPED_VM,
            instance_findings.stopped_instances,
            _INSTANCE_IDLE,
            google=False,
        ),
        Recommender(disk_findings.IDLE_DISK, disk_findings.idle_disks, _DISK_IDLE),
        Recommender(
            disk_findings.OLD_SNAPSHOT, disk_findings.old_snapshots, _DISK_IDLE, google=False
        ),
        Recommender(
            bucket_findings.EMPTY_BUCKET,
            bucket_findings.empty_buckets,
            _BUCKET,
            _STORAGE,
            google=False,
        ),
        Recommender(
            bucket_findings.STORAGE_CLASS,
            bucket_findings.colder_buckets,
            _BUCKET,
            _STORAGE,
            google=False,
        ),
        Recommender(
            bucket_findings.PUBLIC_BUCKET,
            bucket_findings.public_buckets,
            _BUCKET,
            _STORAGE,
            google=False,
        ),
    )
}
ALL = "-"


def chosen(recommender_id: str) -> list[Recommender]:
    """The recommender a request names (``-``: every one)."""
    if recommender_id == ALL:
        return list(RECOMMENDERS.values())
    found = RECOMMENDERS.get(recommender_id)
    if found is None:
        raise InvalidArgument(
            f"Invalid recommender: '{recommender_id}'. Nimbus serves: "
            f"{', '.join(sorted(RECOMMENDERS))}."
        )
    return [found]


def findings(scope: Scope) -> list[Finding]:
    """Every recommender's findings for one project, now."""
    return [finding for r in RECOMMENDERS.values() for finding in r.find(scope)]
