"""Compute Engine shapes shared by every compute resource (operations, regions, zones)."""

from __future__ import annotations

from pydantic import Field

from nimbus.wire.base import Wire, WireRequest


class OperationErrorItem(Wire):
    code: str
    message: str
    location: str | None = None


class OperationError(Wire):
    errors: list[OperationErrorItem]


class Operation(Wire):
    kind: str = "compute#operation"
    id: str
    name: str
    operation_type: str
    target_link: str | None = None
    target_id: str | None = None
    status: str
    user: str | None = None
    progress: int
    insert_time: str
    start_time: str | None = None
    end_time: str | None = None
    error: OperationError | None = None
    http_error_status_code: int | None = None
    http_error_message: str | None = None
    self_link: str
    region: str | None = None
    zone: str | None = None


class OperationList(Wire):
    kind: str = "compute#operationList"
    id: str
    items: list[Operation]
    next_page_token: str | None = None
    self_link: str


class Zone(Wire):
    kind: str = "compute#zone"
    id: str
    creation_timestamp: str
    name: str
    description: str
    status: str
    region: str
    self_link: str
    available_cpu_platforms: list[str] | None = None
    supports_pzs: bool = False


class Quota(Wire):
    metric: str
    limit: float
    usage: float


class Region(Wire):
    kind: str = "compute#region"
    id: str
    creation_timestamp: str
    name: str
    description: str
    status: str
    zones: list[str]
    quotas: list[Quota] | None = None
    self_link: str
    supports_pzs: bool = False


class ZoneList(Wire):
    kind: str = "compute#zoneList"
    id: str
    items: list[Zone]
    next_page_token: str | None = None
    self_link: str


class RegionList(Wire):
    kind: str = "compute#regionList"
    id: str
    items: list[Region]
    next_page_token: str | None = None
    self_link: str


class MetadataItem(Wire):
    key: str
    value: str | None = None


class Metadata(Wire):
    kind: str = "compute#metadata"
    fingerprint: str | None = None
    items: list[MetadataItem] | None = None


class MetadataRequest(WireRequest):
    kind: str | None = None
    fingerprint: str | None = None
    items: list[dict[str, object]] | None = None


class ComputeProject(Wire):
    kind: str = "compute#project"
    id: str
    creation_timestamp: str
    name: str
    common_instance_metadata: Metadata
    quotas: list[Quota] = Field(default_factory=list)
    self_link: str
    default_service_account: str
    xpn_project_status: str = "UNSPECIFIED_XPN_PROJECT_STATUS"
    default_network_tier: str = "PREMIUM"
    vm_dns_setting: str = "ZONAL_ONLY"


class MachineType(Wire):
    kind: str = "compute#machineType"
    id: str
    creation_timestamp: str
    name: str
    description: str
    guest_cpus: int
    memory_mb: int
    image_space_gb: int = 0
    maximum_persistent_disks: int
    maximum_persistent_disks_size_gb: str = "263168"
    zone: str
    self_link: str
    is_shared_cpu: bool


class MachineTypeList(Wire):
    kind: str = "compute#machineTypeList"
    id: str
    items: list[MachineType]
    next_page_token: str | None = None
    self_link: str
