"""An ``instances.insert`` body, checked and reduced to what Nimbus acts on.

Fields Nimbus does not model (shielded VM options, reservations...) are accepted and
ignored, as a client written for Google sends them; fields it models are checked with
Google's messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from nimbus.core.errors import InvalidArgument, NotFound, RequiredField
from nimbus.core.labels import validate_labels
from nimbus.services.compute import machine_types
from nimbus.services.compute.disk_rows import DISK_TYPES
from nimbus.services.compute.interfaces import InterfaceRequest, parse_interface
from nimbus.services.compute.metadata import validate_items
from nimbus.services.compute.names import check_name, last_segment

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
class DiskRequest:
    """One entry of ``disks[]``: an existing disk (``source``) or a new one
    (``initializeParams``)."""

    boot: bool
    device_name: str | None
    mode: str
    auto_delete: bool
    source: str | None = None
    disk_name: str | None = None
    source_image: str | None = None
    source_snapshot: str | None = None
    size_gb: object = None
    disk_type: str = "pd-standard"
    field: str = "resource.disks[0]"


@dataclass(frozen=True)
class InstanceRequest:
    name: str
    machine_type: machine_types.MachineType
    boot_disk: DiskRequest
    interface: InterfaceRequest
    external_ip: bool
    description: str = ""
    metadata: list[dict[str, str]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    # [{"email": "default" or an address, "scopes": [...]}]
    service_accounts: list[dict[str, Any]] = field(default_factory=list)
    scheduling: dict[str, Any] = field(default_factory=dict)
    # Disks other than the boot disk, in order.
    disks: list[DiskRequest] = field(default_factory=list)


def parse_instance(body: dict[str, Any], zone: str) -> InstanceRequest:
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise RequiredField("Required field 'resource.name' not specified")
    check_name(name)
    _refuse_accelerators(body.get("guestAccelerators"), zone)
    boot_disk, disks = _disks(body.get("disks"), name, zone)
    return InstanceRequest(
        name=name,
        machine_type=_machine_type(body.get("machineType"), zone),
        boot_disk=boot_disk,
        disks=disks,
        interface=parse_interface(_interfaces(body.get("networkInterfaces"))[0]),
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
    return machine_type_named(value, zone)


def machine_type_named(value: str, zone: str) -> machine_types.MachineType:
    """``e2-small`` or its URL, with Google's message for one that does not exist."""
    name = last_segment(value)
    try:
        return machine_types.machine_type(name)
    except NotFound as error:
        raise InvalidArgument(
            f"Invalid value for field 'resource.machineType': '{value}'. Machine type with "
            f"name '{name}' does not exist in zone '{zone}'."
        ) from error


def _disks(disks: object, name: str, zone: str) -> tuple[DiskRequest, list[DiskRequest]]:
    if not isinstance(disks, list) or not disks or not all(isinstance(d, dict) for d in disks):
        raise RequiredField("Required field 'resource.disks' not specified")
    parsed = [
        _disk(
            disk, f"resource.disks[{index}]", zone, boot=bool(disk.get("boot")) or len(disks) == 1
        )
        for index, disk in enumerate(disks)
    ]
    boots = [d for d in parsed if d.boot]
    if len(boots) != 1:
        raise InvalidArgument("Exactly one boot disk must be given in 'resource.disks'.")
    boot = boots[0]
    if boot.source is None and boot.source_image is None and boot.source_snapshot is None:
        raise RequiredField(
            f"Required field '{boot.field}.initializeParams.sourceImage' not specified"
        )
    if boot.device_name is None:
        boot = replace(boot, device_name=name)
    return boot, [d for d in parsed if not d.boot]


def _disk(disk: dict[str, Any], field: str, zone: str, *, boot: bool) -> DiskRequest:
    params = disk.get("initializeParams")
    source = disk.get("source")
    if params is not None and source:
        raise InvalidArgument(
            f"Invalid value for field '{field}': a disk has either 'source' or "
            "'initializeParams', not both."
        )
    if params is None and not source:
        missing = "initializeParams.sourceImage" if boot else "source"
        raise RequiredField(f"Required field '{field}.{missing}' not specified")
    mode = str(disk.get("mode") or "READ_WRITE")
    if mode not in ("READ_WRITE", "READ_ONLY"):
        raise InvalidArgument(f"Invalid value for field '{field}.mode': '{mode}'.")
    if boot and mode != "READ_WRITE":
        raise InvalidArgument(f"Invalid value for field '{field}.mode': a boot disk is READ_WRITE.")
    device_name = disk.get("deviceName")
    if device_name is not None:
        check_name(str(device_name), f"{field}.deviceName")
    base = DiskRequest(
        boot=boot,
        device_name=None if device_name is None else str(device_name),
        mode=mode,
        auto_delete=bool(disk.get("autoDelete", not source)),
        field=field,
    )
    if source:
        # Attached existing disks stay when the instance goes, unless asked otherwise.
        return replace(base, source=str(source))
    params = params if isinstance(params, dict) else {}
    disk_name = params.get("diskName")
    if disk_name is not None:
        check_name(str(disk_name), f"{field}.initializeParams.diskName")
    disk_type = last_segment(str(params.get("diskType") or "pd-standard"))
    if disk_type not in DISK_TYPES:
        raise InvalidArgument(
            f"Invalid value for field '{field}.initializeParams.diskType': "
            f"'{params.get('diskType')}'. Disk type '{disk_type}' does not exist in zone "
            f"'{zone}'."
        )
    return replace(
        base,
        disk_name=None if disk_name is None else str(disk_name),
        source_image=params.get("sourceImage") or None,
        source_snapshot=params.get("sourceSnapshot") or None,
        size_gb=params.get("diskSizeGb"),
        disk_type=disk_type,
    )


def _refuse_accelerators(value: object, zone: str) -> None:
    if not value:
        return
    first = value[0] if isinstance(value, list) and value else {}
    kind = str(first.get("acceleratorType") or "") if isinstance(first, dict) else ""
    raise InvalidArgument(
        f"Invalid value for field 'resource.guestAccelerators[0].acceleratorType': '{kind}'. "
        f"Accelerator type '{last_segment(kind) if kind else kind}' does not exist in zone "
        f"'{zone}': this zone has no accelerators."
    )


def _interfaces(value: object) -> list[dict[str, Any]]:
    if value is None:
        return [{"network": "global/networks/default"}]
    if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
        raise InvalidArgument("Invalid value for field 'resource.networkInterfaces'.")
    if len(value) > 1:
        raise InvalidArgument("Nimbus instances have one network interface.")
    return value or [{"network": "global/networks/default"}]


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
    model = given.get("provisioningModel")
    if model not in (None, "STANDARD", "SPOT"):
        raise InvalidArgument(
            f"Invalid value for field 'resource.scheduling.provisioningModel': '{model}'."
        )
    preemptible = bool(given.get("preemptible", False))
    spot = model == "SPOT"
    reclaimable = preemptible or spot
    maintenance = given.get("onHostMaintenance") or ("TERMINATE" if reclaimable else "MIGRATE")
    if maintenance not in ON_HOST_MAINTENANCE:
        raise InvalidArgument(
            f"Invalid value for field 'resource.scheduling.onHostMaintenance': '{maintenance}'."
        )
    restart = bool(given.get("automaticRestart", not reclaimable))
    if reclaimable and (maintenance != "TERMINATE" or restart):
        raise InvalidArgument(
            "Invalid value for field 'resource.scheduling': Scheduling must have preemptible "
            "(or provisioningModel SPOT) with onHostMaintenance TERMINATE and automaticRestart "
            "false."
        )
    action = given.get("instanceTerminationAction")
    if action not in (None, "STOP", "DELETE"):
        raise InvalidArgument(
            f"Invalid value for field 'resource.scheduling.instanceTerminationAction': '{action}'."
        )
    if action is not None and not reclaimable:
        raise InvalidArgument(
            "Invalid value for field 'resource.scheduling.instanceTerminationAction': "
            f"'{action}'. It applies to Spot and preemptible instances only."
        )
    scheduling: dict[str, Any] = {
        "onHostMaintenance": maintenance,
        "automaticRestart": restart,
        "preemptible": preemptible,
        "provisioningModel": "SPOT" if spot else "STANDARD",
    }
    if reclaimable:
        scheduling["instanceTerminationAction"] = action or "STOP"
    return scheduling
