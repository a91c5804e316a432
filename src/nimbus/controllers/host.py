"""This host's compute parts, chosen by the settings: the runtime driver, instance
networks, the external address pool and the built-in image builder."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from nimbus.controllers.instance_world import DiskStore, InstanceNetworks, NoNetworks
from nimbus.runtime.driver import Driver
from nimbus.settings import ServerSettings

# The fake runtime's "external" addresses: a documentation range, never routed.
_FAKE_EXTERNAL = ipaddress.ip_network("203.0.113.0/24")


@dataclass
class ComputeHost:
    driver: Driver
    networks: InstanceNetworks
    external_pool: Callable[[], Iterable[str]]
    disks: DiskStore
    # Builds (or finds built) the debian-12 image, reporting progress (stage, fraction).
    build_debian: Callable[[Callable[[str, float], None]], Path]


def assemble_host(settings: ServerSettings) -> ComputeHost:
    if settings.runtime == "fake":
        from nimbus.runtime.fake import FakeDriver
        from nimbus.runtime.fake_disks import MemoryDisks

        fake_root = settings.data_dir / "fake-image"
        return ComputeHost(
            driver=FakeDriver(),
            networks=NoNetworks(),
            external_pool=lambda: (str(a) for a in _FAKE_EXTERNAL.hosts()),
            disks=MemoryDisks(),
            build_debian=lambda _progress: fake_root,
        )
    return _container_host(settings)


def _container_host(settings: ServerSettings) -> ComputeHost:
    from nimbus.controllers.fabric_networks import FabricNetworks
    from nimbus.images.debian import ensure_debian_image
    from nimbus.net.fabric import Fabric
    from nimbus.runtime.container import ContainerDriver
    from nimbus.runtime.disks import DiskFiles

    runtime_dir = settings.data_dir / "runtime"
    fabric = Fabric(runtime_dir / "net")
    return ComputeHost(
        driver=ContainerDriver(runtime_dir / "container"),
        networks=FabricNetworks(fabric, settings),
        external_pool=lambda: (str(a) for a in fabric.external_pool()),
        disks=DiskFiles(runtime_dir / "disks"),
        build_debian=lambda progress: ensure_debian_image(settings.image_cache_dir, progress),
    )
