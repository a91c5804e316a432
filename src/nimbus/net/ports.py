"""An instance's cable: a veth from the router's bridge to the instance's ``eth0``.

Functions named ``router_*`` run inside the router's namespace, ``instance_*`` inside
the instance's.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Interface, IPv4Network

from nimbus.net.links import Links
from nimbus.net.model import VPC_MTU, Attachment
from nimbus.net.names import INSTANCE_LINK, ROUTER_BRIDGE

DEFAULT_ROUTE = IPv4Network("0.0.0.0/0")


@dataclass(frozen=True)
class RouterView:
    """What a router holds for one attachment."""

    has_subnet: bool  # its bridge carries the subnet's gateway
    has_port: bool  # the instance's cable is plugged in


def router_view(port: str, gateway: IPv4Interface) -> RouterView:
    with Links() as links:
        bridge = links.index(ROUTER_BRIDGE)
        has_subnet = bridge is not None and gateway in links.addresses(bridge)
        return RouterView(has_subnet, links.index(port) is not None)


def router_plug(port: str, instance_netns_fd: int) -> None:
    """Create the pair (its instance end named eth0, straight in the instance's
    namespace) unless it exists, and put the router end on the bridge."""
    with Links() as links:
        bridge = links.require(ROUTER_BRIDGE)
        index = links.ensure_veth(port, INSTANCE_LINK, instance_netns_fd)
        links.configure(index, mtu=VPC_MTU, master=bridge)


def router_unplug(port: str) -> None:
    with Links() as links:
        links.delete(port)


def instance_configure(attachment: Attachment) -> None:
    """lo up; eth0 with the internal address, the MAC asked for and GCE's MTU; a default
    route via the subnet's gateway and no other route than the subnet's own."""
    with Links() as links:
        links.configure(links.require("lo"))
        link = links.require(INSTANCE_LINK)
        links.configure(link, mtu=VPC_MTU, mac=attachment.mac)
        links.sync_addresses(link, [attachment.interface])
        links.replace_route(DEFAULT_ROUTE, link, gateway=attachment.subnet.gateway)


def instance_unplug() -> None:
    with Links() as links:
        links.delete(INSTANCE_LINK)
