"""Instances and images rendered in compute/v1 shapes."""

from __future__ import annotations

from nimbus.core.clock import compute_timestamp
from nimbus.core.fingerprints import fingerprint_of
from nimbus.services.locations import catalog
from nimbus.store.models import Disk, DiskAttachment, Image, Instance
from nimbus.wire.compute import Metadata, MetadataItem
from nimbus.wire.compute_instances import (
    AccessConfig,
    AttachedDisk,
    NetworkInterface,
    ServiceAccountRef,
    Tags,
)
from nimbus.wire.compute_instances import Image as ImageWire
from nimbus.wire.compute_instances import Instance as InstanceWire


def instance(
    project_link: str,
    row: Instance,
    attached: list[tuple[DiskAttachment, Disk]] | None = None,
) -> InstanceWire:
    region = catalog.zone(row.zone).region
    zone_link = f"{project_link}/zones/{row.zone}"
    access = [AccessConfig(nat_ip=row.nat_ip)] if row.nat_ip else None
    interface = NetworkInterface(
        network=f"{project_link}/global/networks/{row.network_name}",
        subnetwork=f"{project_link}/regions/{region}/subnetworks/{row.subnetwork_name}",
        network_ip=row.network_ip,
        access_configs=access,
        fingerprint=fingerprint_of([row.network_ip, row.nat_ip]),
    )
    disks = _attached_disks(zone_link, row, attached)
    items = [MetadataItem(**item) for item in row.metadata_items]
    return InstanceWire(
        id=str(row.id),
        creation_timestamp=compute_timestamp(row.creation_time),
        name=row.name,
        description=row.description or None,
        tags=Tags(items=row.tags or None, fingerprint=row.tags_fingerprint),
        machine_type=f"{zone_link}/machineTypes/{row.machine_type}",
        status=row.status,
        status_message=row.status_message or None,
        zone=zone_link,
        network_interfaces=[interface],
        disks=disks,
        metadata=Metadata(fingerprint=row.metadata_fingerprint, items=items or None),
        service_accounts=[ServiceAccountRef(**sa) for sa in row.service_accounts] or None,
        self_link=f"{zone_link}/instances/{row.name}",
        scheduling=row.scheduling,
        labels=row.labels or None,
        label_fingerprint=row.label_fingerprint,
        fingerprint=row.fingerprint,
        last_start_timestamp=compute_timestamp(row.last_start_time)
        if row.last_start_time
        else None,
        last_stop_timestamp=compute_timestamp(row.last_stop_time) if row.last_stop_time else None,
    )


def _attached_disks(
    zone_link: str, row: Instance, attached: list[tuple[DiskAttachment, Disk]] | None
) -> list[AttachedDisk]:
    if not attached:
        # An instance from before disks were resources: its boot disk as it was asked for.
        return [
            AttachedDisk(
                source=f"{zone_link}/disks/{row.boot_disk.get('deviceName', row.name)}",
                device_name=str(row.boot_disk.get("deviceName", row.name)),
                auto_delete=bool(row.boot_disk.get("autoDelete", True)),
                disk_size_gb=str(row.boot_disk.get("diskSizeGb", 10)),
            )
        ]
    return [
        AttachedDisk(
            source=f"{zone_link}/disks/{disk.name}",
            device_name=attachment.device_name,
            index=index,
            boot=attachment.boot,
            mode=attachment.mode,
            auto_delete=attachment.auto_delete,
            disk_size_gb=str(disk.size_gb),
        )
        for index, (attachment, disk) in enumerate(attached)
    ]


def image(image_project_link: str, row: Image) -> ImageWire:
    return ImageWire(
        id=str(row.id),
        creation_timestamp=compute_timestamp(row.creation_time),
        name=row.name,
        description=row.description or None,
        family=row.family,
        status=row.status,
        archive_size_bytes=str(row.archive_size_bytes),
        disk_size_gb=str(row.disk_size_gb),
        self_link=f"{image_project_link}/global/images/{row.name}",
        labels=row.labels or None,
        label_fingerprint=row.label_fingerprint,
        deprecated=row.deprecated,
        guest_os_features=[{"type": "VIRTIO_SCSI_MULTIQUEUE"}, {"type": "UEFI_COMPATIBLE"}],
    )
