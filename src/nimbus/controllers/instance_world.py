"""What the instance controller needs from the rest of the host, as narrow interfaces:
image root filesystems, network attachments, and the environment of an instance."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class InstanceView:
    """An instance as the controller acts on it (a plain copy, safe outside a session)."""

    id: int
    name: str
    zone: str
    project_id: str
    project_number: int
    vcpus: float
    # Shared-core types: the fraction of a core guaranteed (see InstanceSpec.cpu_share).
    cpu_share: float | None
    memory_mb: int
    image_id: int
    network_id: int
    subnet_cidr: str
    gateway: str
    network_ip: str
    nat_ip: str | None
    # Every subnet of the instance's network: (name, region, cidr, gateway).
    network_subnets: tuple[tuple[str, str, str, str], ...] = ()

    @property
    def key(self) -> str:
        return str(self.id)

    @property
    def fqdn(self) -> str:
        """Google's zonal DNS name."""
        return f"{self.name}.{self.zone}.c.{self.project_id}.internal"

    @property
    def search_domains(self) -> tuple[str, ...]:
        """Google's search path, so that a bare instance name resolves."""
        return (f"{self.zone}.c.{self.project_id}.internal", f"c.{self.project_id}.internal",
                "google.internal")  # fmt: skip


class DiskStore(Protocol):
    """Disk and snapshot files on this host (``nimbus.runtime.disks.DiskFiles``)."""

    def path(self, disk_key: str) -> Path: ...

    def create(self, disk_key: str, size_gb: int, *, snapshot_key: str | None = None) -> Path:
        """Make the disk (blank, or a copy of a snapshot); idempotent."""

    def resize(self, disk_key: str, size_gb: int) -> None: ...

    def snapshot(self, disk_key: str, snapshot_key: str) -> int:
        """Copy the disk, consistent even while in use; the bytes stored."""

    def delete(self, disk_key: str) -> None: ...

    def delete_snapshot(self, snapshot_key: str) -> None: ...


class ImageRoots(Protocol):
    def root_for(self, image_id: int) -> Path | None:
        """The image's root filesystem, or None while it is not ready yet."""


class InstanceNetworks(Protocol):
    def attach(self, instance: InstanceView) -> Path | None:
        """Prepare the instance's network namespace; its path (None: no network)."""

    def detach(self, instance: InstanceView) -> None: ...

    def environment(self, instance: InstanceView) -> dict[str, str]:
        """Variables every process of the instance sees (API_ENDPOINT_OVERRIDE...)."""

    def nameservers(self, instance: InstanceView) -> tuple[str, ...]:
        """The instance's DNS servers (none: it keeps the image's resolver)."""


class NoNetworks:
    """Instances without a network (the fake runtime)."""

    def attach(self, instance: InstanceView) -> Path | None:
        return None

    def detach(self, instance: InstanceView) -> None:
        return None

    def environment(self, instance: InstanceView) -> dict[str, str]:
        return {}

    def nameservers(self, instance: InstanceView) -> tuple[str, ...]:
        return ()
