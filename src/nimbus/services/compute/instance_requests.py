"""An ``instances.insert`` body, checked and reduced to what Nimbus acts on.

Fields Nimbus does not model (shielded VM options, reservations...) are accepted and
ignored, as a client written for Google sends them; fields it models are checked with
Google's messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nimbus.core.errors import InvalidArgument, NotFound, RequiredField
from nimbus.core.labels import validate_labels
from nimbus.services.compute import machine_types
from nimbus.services.compute.metadata import validate_items
from nimbus.services.compute.names import check_name, last_segment

DISK_TYPES = ("pd-standard", "pd-balanced", "pd-ssd", "pd-extreme", "hyperdisk-balanced")
ON_HOST_MAINTENANCE = ("MIGRATE", "TERMINATE")
DEFAULT_SCOPES = (
    "https://www.googleapis.com/auth/devstorage.read_only",
    "https://www.googleapis.com/auth/logging.write",
    "https://www.googleapis.com/auth/monitoring.write",
    "https://www.googleapis.com/auth/service.management.readonly",
    "https://www.googleapis.com/auth/servicecontrol",
    "https://www.googleapis.com/auth/trace.append",
)


@dataclass(frozen=True)
class BootDisk:
    source_image: str
    size_gb: int
    disk_type: str
    device_name: str
    auto_delete: bool


@dataclass(frozen=True)
class InstanceRequest:
    name: str
    machine_type: machine_types.MachineType
    boot_disk: BootDisk
    network: str
    external_ip: bool
    description: str = ""
    metadata: list[dict[str, str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    # [{"email": "default" or an address, "scopes": [...]}]
    service_accounts: list[dict[str, Any]] = field(default_factory=list)
    scheduling: dict[str, Any] = field(default_factory=dict)


def parse_instance(body: dict[str, Any], zone: str) -> InstanceRequest:
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise RequiredField("Required field 'resource.name' not specified")
    check_name(name)
    return InstanceRequest(
        name=name,
        machine_type=_machine_type(body.get("machineType"), zone),
        boot_disk=_boot_disk(body.get("disks"), name, zone),
        network=_network(body.get("networkInterfaces")),
        external_ip=_external_ip(body.get("networkInterfaces")),
        description=str(body.get("description") or ""),
        metadata=validate_items(list((body.get("metadata") or {}).get("items") or [])),
        labels=validate_labels(body.get("labels")),
        tags=_tags(body.get("tags")),
        service_accounts=_service_accounts(body.get("serviceAccounts")),
        scheduling=_scheduling(body.get("scheduling")),
    )


def _machine_type(value: object, zone: str) -> machine_types.MachineType:
    if not isinstance(value, str) or not value:
        raise RequiredField("Required field 'resource.machineType' not specified")
    name = last_segment(value)
    try:
        return machine_types.machine_type(name)
    except NotFound as error:
        raise InvalidArgument(
            f"Invalid value for field 'resource.machineType': '{value}'. Machine type with "
            f"name '{name}' does not exist in zone '{zone}'."
        ) from error


def _boot_disk(disks: object, name: str, zone: str) -> BootDisk:
    if not isinstance(disks, list) or not disks:
        raise RequiredField("Required field 'resource.disks' not specified")
    boots = [d for d in disks if isinstance(d, dict) and (d.get("boot") or len(disks) == 1)]
    if len(boots) != 1:
        raise InvalidArgument("Exactly one boot disk must be given in 'resource.disks'.")
    disk = boots[0]
    params = disk.get("initializeParams") or {}
    source = params.get("sourceImage")
    if not isinstance(source, str) or not source:
        raise RequiredField(
            "Required field 'resource.disks[0].initializeParams.sourceImage' not specified"
        )
    size = params.get("diskSizeGb", 10)
    try:
        size_gb = int(size)
    except (TypeError, ValueError) as error:
        raise InvalidArgument(f"Invalid value for field 'diskSizeGb': '{size}'.") from error
    if not 10 <= size_gb <= 65536:
        raise InvalidArgument(
            f"Invalid value for field 'diskSizeGb': '{size}'. It must be between 10 and 65536."
        )
    disk_type = last_segment(str(params.get("diskType") or "pd-standard"))
    if disk_type not in DISK_TYPES:
        raise InvalidArgument(
            f"Invalid value for field 'diskType': '{params.get('diskType')}'. Disk type "
            f"'{disk_type}' does not exist in zone '{zone}'."
        )
    return BootDisk(
        source_image=source,
        size_gb=size_gb,
        disk_type=disk_type,
        device_name=str(disk.get("deviceName") or name),
        auto_delete=bool(disk.get("autoDelete", True)),
    )


def _interfaces(value: object) -> list[dict[str, Any]]:
    if value is None:
        return [{"network": "global/networks/default"}]
    if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
        raise InvalidArgument("Invalid value for field 'resource.networkInterfaces'.")
    if len(value) > 1:
        raise InvalidArgument("Nimbus instances have one network interface.")
    return value or [{"network": "global/networks/default"}]


def _network(value: object) -> str:
    interface = _interfaces(value)[0]
    return last_segment(str(interface.get("network") or "default"))


def _external_ip(value: object) -> bool:
    interface = _interfaces(value)[0]
    configs = interface.get("accessConfigs") or []
    return any(c.get("type", "ONE_TO_ONE_NAT") == "ONE_TO_ONE_NAT" for c in configs)


def _tags(value: object) -> list[str]:
    items = (value or {}).get("items") if isinstance(value, dict) or value is None else None
    items = items or []
    for tag in items:
        check_name(str(tag), "resource.tags.items")
    return sorted(set(items))


def _service_accounts(value: object) -> list[dict[str, Any]]:
    if not value:
        return []
    if not isinstance(value, list) or len(value) > 1:
        raise InvalidArgument("An instance may have at most one service account.")
    account = value[0]
    email = account.get("email") or "default"
    scopes = account.get("scopes") or []
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise InvalidArgument("Invalid value for field 'resource.serviceAccounts[0].scopes'.")
    return [{"email": email, "scopes": scopes}]


def _scheduling(value: object) -> dict[str, Any]:
    given = value if isinstance(value, dict) else {}
    preemptible = bool(given.get("preemptible", False))
    maintenance = given.get("onHostMaintenance") or ("TERMINATE" if preemptible else "MIGRATE")
    if maintenance not in ON_HOST_MAINTENANCE:
        raise InvalidArgument(
            f"Invalid value for field 'resource.scheduling.onHostMaintenance': '{maintenance}'."
        )
    return {
        "onHostMaintenance": maintenance,
        "automaticRestart": bool(given.get("automaticRestart", not preemptible)),
        "preemptible": preemptible,
        "provisioningModel": given.get("provisioningModel")
        or ("SPOT" if preemptible else "STANDARD"),
    }
