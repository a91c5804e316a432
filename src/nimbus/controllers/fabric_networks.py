"""Instance networks on this host's fabric (``nimbus.net``): each VPC network a router
namespace, each instance a namespace of its own plugged into it."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

from nimbus.controllers.instance_world import InstanceView
from nimbus.net.fabric import Fabric, Subnet
from nimbus.net.firewall import InstanceFirewall
from nimbus.services.compute.addresses import instance_mac
from nimbus.services.compute.metadata_server import API_RELAY_PORT, METADATA_ADDRESS
from nimbus.settings import ServerSettings


class FabricNetworks:
    def __init__(self, fabric: Fabric, settings: ServerSettings) -> None:
        self.fabric = fabric
        self.settings = settings
        # Called with a network's id once it exists (to serve the metadata server in it).
        self.listeners: list[Callable[[str], None]] = []
        # Applies an instance's firewall (given its key) right after it is attached.
        self._apply_firewall: Callable[[str], None] | None = None

    def attach(self, instance: InstanceView) -> Path | None:
        subnets = [
            Subnet(
                name=f"{name}-{region}",
                cidr=ipaddress.IPv4Network(cidr),
                gateway=ipaddress.IPv4Address(gateway),
            )
            for name, region, cidr, gateway in instance.network_subnets
        ]
        network_id = str(instance.network_id)
        self.fabric.ensure_network(network_id, subnets)
        for listener in self.listeners:
            listener(network_id)
        own = next(s for s in subnets if str(s.cidr) == instance.subnet_cidr)
        path = self.fabric.attach(
            network_id,
            instance.key,
            ipaddress.IPv4Address(instance.network_ip),
            own,
            external=ipaddress.IPv4Address(instance.nat_ip) if instance.nat_ip else None,
            mac=instance_mac(instance.id),
        )
        # Before boot: a new namespace is closed until its rules are in.
        if self._apply_firewall is not None:
            self._apply_firewall(instance.key)
        return path

    def detach(self, instance: InstanceView) -> None:
        self.fabric.detach(instance.key)

    # The firewall controller's view of this host (controllers.firewalls.FirewallHost).

    def attached(self) -> list[str]:
        return self.fabric.instance_ids()

    def set_firewall(self, instance_key: str, firewall: InstanceFirewall) -> None:
        self.fabric.set_firewall(instance_key, firewall)

    def on_attach(self, apply: Callable[[str], None]) -> None:
        self._apply_firewall = apply

    def nameservers(self, instance: InstanceView) -> tuple[str, ...]:
        return (METADATA_ADDRESS,)

    def environment(self, instance: InstanceView) -> dict[str, str]:
        api = f"http://{METADATA_ADDRESS}:{API_RELAY_PORT}"
        return {
            # google-cloud-storage (and other Google clients) honour it and keep
            # authenticating with the metadata server's tokens.
            "API_ENDPOINT_OVERRIDE": api,
            "NIMBUS_API_ENDPOINT": api,
            "GCE_METADATA_HOST": METADATA_ADDRESS,
            "GOOGLE_CLOUD_PROJECT": instance.project_id,
        }
