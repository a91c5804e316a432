"""Instances, images and networks rendered in compute/v1 shapes."""

from __future__ import annotations

from nimbus.core.clock import compute_timestamp
from nimbus.core.fingerprints import fingerprint_of
from nimbus.services.locations import catalog
from nimbus.store.models import Image, Instance, Network, Subnetwork
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
from nimbus.wire.compute_instances import Network as NetworkWire
from nimbus.wire.compute_instances import Subnetwork as SubnetworkWire


def instance(project_link: str, row: Instance) -> InstanceWire:
    network_name = row.network_name
    region = catalog.zone(row.zone).region
    zone_link = f"{project_link}/zones/{row.zone}"
    access = [AccessConfig(nat_ip=row.nat_ip)] if row.nat_ip else None
    interface = NetworkInterface(
        network=f"{project_link}/global/networks/{network_name}",
        subnetwork=f"{project_link}/regions/{region}/subnetworks/{network_name}",
        network_ip=row.network_ip,
        access_configs=access,
        fingerprint=fingerprint_of([row.network_ip, row.nat_ip]),
    )
    disk = AttachedDisk(
        source=f"{zone_link}/disks/{row.boot_disk.get('deviceName', row.name)}",
        device_name=str(row.boot_disk.get("deviceName", row.name)),
        auto_delete=bool(row.boot_disk.get("autoDelete", True)),
        disk_size_gb=str(row.boot_disk.get("diskSizeGb", 10)),
    )
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
        disks=[disk],
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


def network(project_link: str, row: Network, subnets: list[Subnetwork]) -> NetworkWire:
    return NetworkWire(
        id=str(row.id),
        creation_timestamp=compute_timestamp(row.creation_time),
        name=row.name,
        description=row.description or None,
        self_link=f"{project_link}/global/networks/{row.name}",
        self_link_with_id=f"{project_link}/global/networks/{row.id}",
        auto_create_subnetworks=row.auto_create_subnetworks,
        subnetworks=[f"{project_link}/regions/{s.region}/subnetworks/{s.name}" for s in subnets],
        routing_config={"routingMode": row.routing_mode},
        mtu=row.mtu,
    )


def subnetwork(project_link: str, network_row: Network, row: Subnetwork) -> SubnetworkWire:
    return SubnetworkWire(
        id=str(row.id),
        creation_timestamp=compute_timestamp(row.creation_time),
        name=row.name,
        network=f"{project_link}/global/networks/{network_row.name}",
        ip_cidr_range=row.ip_cidr_range,
        gateway_address=row.gateway_address,
        region=f"{project_link}/regions/{row.region}",
        self_link=f"{project_link}/regions/{row.region}/subnetworks/{row.name}",
        fingerprint=fingerprint_of([row.ip_cidr_range]),
    )
