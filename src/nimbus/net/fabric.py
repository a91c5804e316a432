"""VPC networks on this host, as Google's default VPC behaves.

Each network is a router namespace holding a bridge with the subnets' gateways; each
instance is a namespace plugged into its router's bridge; the host reaches instances only
through their external addresses (one-to-one NAT on the router's uplink into the host
bridge). Nothing routes anywhere else.

Every method is idempotent and may be called again after a crash half-way. Methods
block (they are meant for worker threads) and may be called from several threads.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator, Sequence
from functools import partial
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path

from nimbus.net import external, host, instance_filter, namespaces, ports, router, sockets
from nimbus.net.errors import AddressConflict, InstanceNotFound, NetworkNotFound
from nimbus.net.firewall import InstanceFirewall
from nimbus.net.links import Links
from nimbus.net.locks import host_lock
from nimbus.net.model import Attachment, Subnet
from nimbus.net.names import Names, instance_port, new_tag
from nimbus.net.state import Attachments, Identity, load_identity

__all__ = ["Fabric", "Subnet"]

_MAC = re.compile(r"[0-9a-f][02468ace](:[0-9a-f]{2}){5}")


def _choose_identity() -> Identity:
    def scan() -> tuple[set[IPv4Network], set[IPv4Interface]]:
        with Links() as links:
            return links.route_networks(), links.all_addresses()

    routes, addresses = namespaces.run_home(scan)
    return Identity(new_tag(), external.choose_range(routes, addresses))


class Fabric:
    tag: str
    external_network: IPv4Network
    host_address: IPv4Address  # the host's own address on its fabric bridge

    def __init__(self, state_dir: Path) -> None:
        self._records = Attachments(state_dir / "instances")
        self._lock = threading.RLock()
        identity_file = state_dir / "fabric.json"
        if identity_file.exists():
            self._adopt(load_identity(identity_file, _choose_identity))
            return
        with host_lock():
            self._adopt(load_identity(identity_file, _choose_identity))
            # Claimed at once: the bridge's address keeps other fabrics off the range.
            self._ensure_host()

    def _adopt(self, identity: Identity) -> None:
        self.tag = identity.tag
        self.external_network = identity.external_network
        self.host_address = external.host_address(self.external_network)
        self._names = Names(self.tag)

    def external_pool(self) -> Iterator[IPv4Address]:
        """The addresses the control plane may hand out as natIPs."""
        return iter(external.pool(self.external_network))

    # Networks

    def ensure_network(self, network_id: str, subnets: Sequence[Subnet]) -> None:
        """Create or update the network's router to hold exactly ``subnets``."""
        _check_subnets(subnets)
        router_ns = self._names.router_ns(network_id)
        peer = self._names.uplink_peer(network_id)
        with self._lock:
            self._ensure_host()
            if not namespaces.exists(router_ns):
                # A host end left by a router that died unplugged would block the uplink.
                namespaces.run_home(partial(host.delete_links, [peer]))
            namespaces.create(router_ns)
            home = namespaces.home_path()
            nat = self._nat_entries(network_id)
            configure = partial(router.configure, subnets, self.host_address, peer, home, nat)
            namespaces.run_in(router_ns, configure)
            namespaces.run_home(partial(host.connect_uplink, self._names.host_bridge, peer))

    def delete_network(self, network_id: str) -> None:
        """Remove the router, detaching every instance still plugged into it."""
        router_ns = self._names.router_ns(network_id)
        with self._lock:
            for record in self._records.on_network(network_id):
                self._detach(record.instance_id, sync_nat=False)
            if namespaces.exists(router_ns):
                namespaces.run_in(router_ns, router.dismantle)
            namespaces.remove(router_ns)
            namespaces.run_home(partial(host.delete_links, [self._names.uplink_peer(network_id)]))

    def network_ids(self) -> list[str]:
        prefix = self._names.router_prefix
        return [name.removeprefix(prefix) for name in namespaces.names(prefix)]

    # Instances

    def attach(
        self,
        network_id: str,
        instance_id: str,
        address: IPv4Address,
        subnet: Subnet,
        external: IPv4Address | None = None,
        mac: str | None = None,
    ) -> Path:
        """Plug the instance into the network; return its namespace's path. Attaching
        again with other values moves or re-addresses it.

        A new namespace is closed (ingress denied, egress allowed) before its cable is
        plugged, until ``set_firewall``; an existing one keeps the rules it has."""
        wanted = Attachment(instance_id, network_id, address, subnet, external, mac)
        self._check_attachment(wanted)
        router_ns = self._names.router_ns(network_id)
        instance_ns = self._names.instance_ns(instance_id)
        port = instance_port(instance_id)
        with self._lock:
            self._existing_router(network_id)
            view = namespaces.run_in(
                router_ns, partial(ports.router_view, port, subnet.gateway_interface)
            )
            if not view.has_subnet:
                raise NetworkNotFound(f"network {network_id} has no subnet {subnet.cidr} here")
            self._check_conflicts(wanted)
            old = self._records.get(instance_id)
            if old is not None and old.network_id != network_id:
                self._unplug(old)
            # Recorded first: whatever a crash leaves behind, detach can find.
            self._records.put(wanted)
            if namespaces.exists(instance_ns) and not view.has_port:
                # An eth0 left from an earlier cable would block the new one.
                namespaces.run_in(instance_ns, ports.instance_unplug)
            path = namespaces.create(instance_ns)
            namespaces.run_in(instance_ns, instance_filter.ensure_closed)
            with namespaces.opened(instance_ns) as instance_fd:
                namespaces.run_in(router_ns, partial(ports.router_plug, port, instance_fd))
            namespaces.run_in(instance_ns, partial(ports.instance_configure, wanted))
            if external is not None or (old is not None and old.external is not None):
                self._sync_nat(network_id)
            return path

    def set_firewall(self, instance_id: str, firewall: InstanceFirewall) -> None:
        """Enforce ``firewall`` in the attached instance's namespace, in one transaction
        and only if its rules differ. New connections meet the new rules at once;
        established ones carry on. Raises InstanceNotFound if it is not attached."""
        instance_ns = self._names.instance_ns(instance_id)
        with self._lock:
            if not namespaces.exists(instance_ns):
                raise InstanceNotFound(f"instance {instance_id} is not attached here")
            namespaces.run_in(instance_ns, partial(instance_filter.enforce, firewall))

    def detach(self, instance_id: str) -> None:
        """Unplug the instance and remove its namespace."""
        with self._lock:
            self._detach(instance_id, sync_nat=True)

    def netns_path(self, instance_id: str) -> Path:
        return namespaces.path_of(self._names.instance_ns(instance_id))

    def instance_ids(self) -> list[str]:
        """Every instance the fabric holds anything for, even half-attached."""
        prefix = self._names.instance_prefix
        held = {name.removeprefix(prefix) for name in namespaces.names(prefix)}
        return sorted(held | {record.instance_id for record in self._records.all()})

    # Services inside networks

    def listen(
        self,
        network_id: str,
        address: str,
        port: int,
        kind: socket.SocketKind = socket.SOCK_STREAM,
    ) -> socket.socket:
        """A socket bound in the network's router (e.g. 169.254.169.254:80); peers are
        instances, seen by their internal addresses."""
        return sockets.listen(self._existing_router(network_id), address, port, kind)

    def connect(
        self, network_id: str, address: IPv4Address, port: int, timeout: float
    ) -> socket.socket:
        """A TCP connection from the network's router to an internal address. It comes
        from the subnet's gateway address, which the instance's firewall treats like
        any other source."""
        router_ns = self._existing_router(network_id)
        return sockets.connect(router_ns, str(address), port, timeout)

    def teardown(self) -> None:
        """Remove every namespace, link and table of this fabric (fabric.json stays)."""
        with self._lock:
            for instance_id in self.instance_ids():
                self._detach(instance_id, sync_nat=False)
            for network_id in self.network_ids():
                self.delete_network(network_id)
            for name in namespaces.names(self._names.prefix):
                namespaces.remove(name)
            namespaces.run_home(self._remove_host)

    # Internals

    def _ensure_host(self) -> None:
        address = IPv4Interface(f"{self.host_address}/{self.external_network.prefixlen}")
        bridge, table = self._names.host_bridge, self._names.host_table
        namespaces.run_home(partial(host.ensure_bridge, bridge, address, table))

    def _remove_host(self) -> None:
        host.delete_links(host.links_starting(self._names.uplink_prefix))
        host.delete_links([self._names.host_bridge])
        host.delete_table(self._names.host_table)

    def _existing_router(self, network_id: str) -> str:
        router_ns = self._names.router_ns(network_id)
        if not namespaces.exists(router_ns):
            raise NetworkNotFound(f"network {network_id} is not on this host")
        return router_ns

    def _detach(self, instance_id: str, *, sync_nat: bool) -> None:
        record = self._records.get(instance_id)
        instance_ns = self._names.instance_ns(instance_id)
        if record is not None:
            # Deleting the router's end takes eth0 along.
            self._unplug(record, sync_nat=sync_nat)
        elif namespaces.exists(instance_ns):
            namespaces.run_in(instance_ns, ports.instance_unplug)
        namespaces.remove(instance_ns)
        # Forgotten last: until then a retry knows what to clean.
        self._records.delete(instance_id)

    def _unplug(self, record: Attachment, *, sync_nat: bool = True) -> None:
        router_ns = self._names.router_ns(record.network_id)
        if not namespaces.exists(router_ns):
            return
        if sync_nat and record.external is not None:
            self._sync_nat(record.network_id, leaving=record.instance_id)
        namespaces.run_in(
            router_ns, partial(ports.router_unplug, instance_port(record.instance_id))
        )

    def _sync_nat(self, network_id: str, leaving: str | None = None) -> None:
        """Make the router's natIPs match the records of its instances."""
        router_ns = self._names.router_ns(network_id)
        if not namespaces.exists(router_ns):
            return
        nat = self._nat_entries(network_id, leaving)
        namespaces.run_in(router_ns, partial(router.sync_nat, nat, self.host_address))

    def _nat_entries(
        self, network_id: str, leaving: str | None = None
    ) -> dict[IPv4Address, IPv4Address]:
        return {
            record.external: record.address
            for record in self._records.on_network(network_id)
            if record.external is not None and record.instance_id != leaving
        }

    def _check_attachment(self, wanted: Attachment) -> None:
        cidr, address = wanted.subnet.cidr, wanted.address
        reserved = {cidr.network_address, cidr.broadcast_address, wanted.subnet.gateway}
        if address not in cidr or address in reserved:
            raise ValueError(f"{address} is not an instance address of {cidr}")
        if wanted.external is not None and wanted.external not in set(self.external_pool()):
            raise ValueError(f"{wanted.external} is not in the external pool")
        if wanted.mac is not None and not _MAC.fullmatch(wanted.mac):
            raise ValueError(f"not a unicast MAC address in lowercase: {wanted.mac}")

    def _check_conflicts(self, wanted: Attachment) -> None:
        for record in self._records.all():
            if record.instance_id == wanted.instance_id:
                continue
            if record.network_id == wanted.network_id and record.address == wanted.address:
                raise AddressConflict(f"{wanted.address} is held by {record.instance_id}")
            if wanted.external is not None and record.external == wanted.external:
                raise AddressConflict(f"{wanted.external} is held by {record.instance_id}")


def _check_subnets(subnets: Sequence[Subnet]) -> None:
    for i, subnet in enumerate(subnets):
        for other in subnets[i + 1 :]:
            if subnet.cidr.overlaps(other.cidr):
                raise ValueError(f"subnets {subnet.name} and {other.name} overlap")
