"""Compute Engine shapes of instances and images (compute/v1)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from nimbus.wire.base import Wire
from nimbus.wire.compute import Metadata


class AccessConfig(Wire):
    kind: str = "compute#accessConfig"
    type: str = "ONE_TO_ONE_NAT"
    name: str = "External NAT"
    nat_ip: str | None = Field(default=None, alias="natIP")
    network_tier: str = "PREMIUM"


class NetworkInterface(Wire):
    kind: str = "compute#networkInterface"
    network: str
    subnetwork: str
    network_ip: str = Field(alias="networkIP")
    name: str = "nic0"
    access_configs: list[AccessConfig] | None = None
    fingerprint: str
    stack_type: str = "IPV4_ONLY"


class AttachedDisk(Wire):
    kind: str = "compute#attachedDisk"
    type: str = "PERSISTENT"
    mode: str = "READ_WRITE"
    source: str
    device_name: str
    index: int = 0
    boot: bool = True
    auto_delete: bool = True
    interface: str = "SCSI"
    disk_size_gb: str
    architecture: str = "X86_64"


class ServiceAccountRef(Wire):
    email: str
    scopes: list[str]


class Tags(Wire):
    items: list[str] | None = None
    fingerprint: str


class Instance(Wire):
    kind: str = "compute#instance"
    id: str
    creation_timestamp: str
    name: str
    description: str | None = None
    tags: Tags
    machine_type: str
    status: str
    status_message: str | None = None
    zone: str
    can_ip_forward: bool = False
    network_interfaces: list[NetworkInterface]
    disks: list[AttachedDisk]
    metadata: Metadata
    service_accounts: list[ServiceAccountRef] | None = None
    self_link: str
    scheduling: dict[str, Any]
    cpu_platform: str = "Intel Broadwell"
    labels: dict[str, str] | None = None
    label_fingerprint: str
    start_restricted: bool = False
    deletion_protection: bool = False
    fingerprint: str
    last_start_timestamp: str | None = None
    last_stop_timestamp: str | None = None


class InstanceList(Wire):
    kind: str = "compute#instanceList"
    id: str
    items: list[Instance]
    next_page_token: str | None = None
    self_link: str


class SerialPortOutput(Wire):
    kind: str = "compute#serialPortOutput"
    contents: str
    start: str
    next: str
    self_link: str


class Image(Wire):
    kind: str = "compute#image"
    id: str
    creation_timestamp: str
    name: str
    description: str | None = None
    family: str | None = None
    source_type: str = "RAW"
    status: str
    archive_size_bytes: str
    disk_size_gb: str
    self_link: str
    labels: dict[str, str] | None = None
    label_fingerprint: str
    deprecated: dict[str, Any] | None = None
    architecture: str = "X86_64"
    licenses: list[str] | None = None
    guest_os_features: list[dict[str, str]] | None = None


class ImageList(Wire):
    kind: str = "compute#imageList"
    id: str
    items: list[Image]
    next_page_token: str | None = None
    self_link: str
