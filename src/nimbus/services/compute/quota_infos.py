"""Cloud Quotas API ``quotaInfos``: each Compute Engine quota with its current limit in
every place it applies (regions, or ``global``)."""

from __future__ import annotations

from dataclasses import dataclass

from nimbus.core.errors import NotFound
from nimbus.services.caller import Caller
from nimbus.services.compute import quota_catalog as qc
from nimbus.services.compute import quota_limits
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.locations import catalog
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import Project

READ = "serviceusage.quotas.get"
GLOBAL = "global"


@dataclass(frozen=True)
class QuotaInfo:
    quota: qc.Quota
    # (region, or None for a global quota; its limit there)
    limits: list[tuple[str | None, int]]


class QuotaInfos:
    def __init__(self, db: Database, authorizer: Authorizer) -> None:
        self.db = db
        self.authorizer = authorizer

    def list_all(
        self, caller: Caller, project_ref: str, service: str
    ) -> tuple[Project, list[QuotaInfo]]:
        return self._read(caller, project_ref, service, None)

    def get(
        self, caller: Caller, project_ref: str, service: str, quota_id: str
    ) -> tuple[Project, QuotaInfo]:
        project, found = self._read(caller, project_ref, service, quota_id)
        return project, found[0]

    def _read(
        self, caller: Caller, project_ref: str, service: str, quota_id: str | None
    ) -> tuple[Project, list[QuotaInfo]]:
        with self.db.read() as session:
            project = hierarchy.authorized_project(
                session, self.authorizer, caller, project_ref, READ
            )
            if service != qc.SERVICE:
                raise NotFound(f"Service '{service}' has no quota information here.")
            wanted: tuple[qc.Quota, ...] = qc.ALL
            if quota_id is not None:
                if quota_id not in qc.BY_QUOTA_ID:
                    raise NotFound(
                        f"Quota info 'projects/{project.number}/locations/global/services/"
                        f"{service}/quotaInfos/{quota_id}' was not found."
                    )
                wanted = (qc.BY_QUOTA_ID[quota_id],)
            regions = sorted(catalog.REGIONS)
            regional = quota_limits.regional_limits(session, project.number, regions)
            global_ = quota_limits.global_limits(session, project.number)
            infos = [
                QuotaInfo(
                    quota,
                    [(r, regional[r][quota.metric]) for r in regions]
                    if quota.regional
                    else [(None, global_[quota.metric])],
                )
                for quota in wanted
            ]
            return project, infos
