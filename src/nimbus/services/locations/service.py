"""Reading the region and zone catalog, as a project sees it."""

from __future__ import annotations

from nimbus.services.caller import Caller
from nimbus.services.compute.machine_types import CATALOG, MachineType, machine_type
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.locations import catalog
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import Project


class Locations:
    def __init__(self, db: Database, authorizer: Authorizer) -> None:
        self.db = db
        self.authorizer = authorizer

    def regions(self, caller: Caller, project_ref: str) -> tuple[Project, list[catalog.RegionInfo]]:
        project = self._project(caller, project_ref, "compute.regions.list")
        return project, sorted(catalog.REGIONS.values(), key=lambda r: r.name)

    def region(
        self, caller: Caller, project_ref: str, name: str
    ) -> tuple[Project, catalog.RegionInfo]:
        project = self._project(caller, project_ref, "compute.regions.get")
        return project, catalog.region(name)

    def zones(self, caller: Caller, project_ref: str) -> tuple[Project, list[catalog.ZoneInfo]]:
        project = self._project(caller, project_ref, "compute.zones.list")
        return project, sorted(catalog.ZONES.values(), key=lambda z: z.name)

    def zone(self, caller: Caller, project_ref: str, name: str) -> tuple[Project, catalog.ZoneInfo]:
        project = self._project(caller, project_ref, "compute.zones.get")
        return project, catalog.zone(name)

    def machine_types(
        self, caller: Caller, project_ref: str, zone: str
    ) -> tuple[Project, list[MachineType]]:
        project = self._project(caller, project_ref, "compute.machineTypes.list")
        catalog.zone(zone)
        return project, sorted(CATALOG.values(), key=lambda t: t.name)

    def machine_type(
        self, caller: Caller, project_ref: str, zone: str, name: str
    ) -> tuple[Project, MachineType]:
        project = self._project(caller, project_ref, "compute.machineTypes.get")
        catalog.zone(zone)
        return project, machine_type(name)

    def _project(self, caller: Caller, ref: str, permission: str) -> Project:
        with self.db.read() as session:
            return hierarchy.authorized_project(session, self.authorizer, caller, ref, permission)
