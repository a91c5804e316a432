"""Compute Engine resources rendered in compute/v1 shapes."""

from __future__ import annotations

from nimbus.core.clock import compute_timestamp
from nimbus.services.compute.machine_types import MachineType as MachineTypeInfo
from nimbus.services.compute.quotas import QuotaLine
from nimbus.services.locations import catalog
from nimbus.store.models import ComputeProject, Operation, Project
from nimbus.wire.compute import ComputeProject as ProjectWire
from nimbus.wire.compute import (
    MachineType,
    Metadata,
    MetadataItem,
    OperationError,
    OperationErrorItem,
    Quota,
    Region,
    Zone,
)
from nimbus.wire.compute import Operation as OperationWire


def region(project_link: str, info: catalog.RegionInfo, quotas: list[QuotaLine]) -> Region:
    return Region(
        id=str(info.id),
        creation_timestamp=compute_timestamp(catalog.CREATED),
        name=info.name,
        description=info.name,
        status=info.status,
        zones=[f"{project_link}/zones/{zone}" for zone in info.zones],
        quotas=_quotas(quotas),
        self_link=f"{project_link}/regions/{info.name}",
    )


def _quotas(lines: list[QuotaLine]) -> list[Quota]:
    return [Quota(metric=line.metric, limit=line.limit, usage=line.usage) for line in lines]


def zone(project_link: str, info: catalog.ZoneInfo) -> Zone:
    return Zone(
        id=str(info.id),
        creation_timestamp=compute_timestamp(catalog.CREATED),
        name=info.name,
        description=info.name,
        status=info.status,
        region=f"{project_link}/regions/{info.region}",
        self_link=f"{project_link}/zones/{info.name}",
        available_cpu_platforms=list(catalog.CPU_PLATFORMS),
    )


def operation(project_link: str, row: Operation) -> OperationWire:
    where = "global" if row.scope == "global" else f"{row.scope}s/{row.location}"
    error = (
        OperationError(errors=[OperationErrorItem(**item) for item in row.error])
        if row.error
        else None
    )
    return OperationWire(
        id=str(row.id),
        name=row.name,
        operation_type=row.operation_type,
        target_link=row.target_link or None,
        target_id=row.target_id or None,
        status=row.status,
        user=row.user or None,
        progress=row.progress,
        insert_time=compute_timestamp(row.insert_time),
        start_time=compute_timestamp(row.start_time) if row.start_time else None,
        end_time=compute_timestamp(row.end_time) if row.end_time else None,
        error=error,
        http_error_status_code=row.http_error_status_code,
        http_error_message=row.http_error_message,
        self_link=f"{project_link}/{where}/operations/{row.name}",
        region=f"{project_link}/regions/{row.location}" if row.scope == "region" else None,
        zone=f"{project_link}/zones/{row.location}" if row.scope == "zone" else None,
    )


def compute_project(
    project_link: str, project: Project, settings: ComputeProject, quotas: list[QuotaLine]
) -> ProjectWire:
    items = [MetadataItem(**item) for item in settings.metadata_items]
    return ProjectWire(
        id=str(project.number),
        creation_timestamp=compute_timestamp(project.create_time),
        name=project.project_id,
        common_instance_metadata=Metadata(
            fingerprint=settings.metadata_fingerprint, items=items or None
        ),
        quotas=_quotas(quotas),
        self_link=project_link,
        default_service_account=f"{project.number}-compute@developer.gserviceaccount.com",
    )


def machine_type(project_link: str, zone_name: str, info: MachineTypeInfo) -> MachineType:
    return MachineType(
        id=str(info.id),
        creation_timestamp=compute_timestamp(catalog.CREATED),
        name=info.name,
        description=info.description,
        guest_cpus=info.guest_cpus,
        memory_mb=info.memory_mb,
        maximum_persistent_disks=info.maximum_persistent_disks,
        zone=zone_name,
        self_link=f"{project_link}/zones/{zone_name}/machineTypes/{info.name}",
        is_shared_cpu=info.shared_cpu,
    )
