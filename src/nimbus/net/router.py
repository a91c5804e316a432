"""Inside a router namespace: the bridge instances plug into, the gateways of the
subnets, the uplink to the host bridge, the filter and the one-to-one NAT.

Every function here runs in a thread that entered the router's namespace.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path

from nimbus.net import rules, sysctl
from nimbus.net.links import Links
from nimbus.net.model import VPC_MTU, Subnet
from nimbus.net.names import ROUTER_BRIDGE, ROUTER_TABLE, ROUTER_UPLINK

_BASE_SETTINGS = {
    # IPv4 only: nothing may bypass the inet filter over IPv6.
    "net.ipv6.conf.all.disable_ipv6": "1",
    "net.ipv6.conf.default.disable_ipv6": "1",
    # Subnets share br0; redirects would teach instances to skip the router.
    "net.ipv4.conf.all.send_redirects": "0",
    "net.ipv4.conf.default.send_redirects": "0",
}


def configure(
    subnets: Sequence[Subnet],
    host_address: IPv4Address,
    uplink_peer: str,
    home: Path,
    nat: Mapping[IPv4Address, IPv4Address],
) -> None:
    """Make the router match ``subnets`` and ``nat`` (external -> internal); the filter
    goes in before forwarding is turned on."""
    sysctl.write(_BASE_SETTINGS)
    _apply_rules(nat)
    with Links() as links:
        links.configure(links.require("lo"))
        bridge = links.ensure_bridge(ROUTER_BRIDGE)
        links.configure(bridge, mtu=VPC_MTU)
        metadata = IPv4Interface(rules.METADATA_ADDRESS)
        links.sync_addresses(bridge, [*(s.gateway_interface for s in subnets), metadata])
        sysctl.write({f"net.ipv4.conf.{ROUTER_BRIDGE}.send_redirects": "0"})
        sysctl.write({"net.ipv4.ip_forward": "1"})
        uplink = links.index(ROUTER_UPLINK)
        if uplink is None:
            home_fd = os.open(home, os.O_RDONLY | os.O_CLOEXEC)
            try:
                uplink = links.ensure_veth(ROUTER_UPLINK, uplink_peer, home_fd)
            finally:
                os.close(home_fd)
        links.configure(uplink, mtu=VPC_MTU)
        _sync_uplink(links, uplink, nat, host_address)


def sync_nat(nat: Mapping[IPv4Address, IPv4Address], host_address: IPv4Address) -> None:
    """Hold exactly the natIPs of ``nat`` (external -> internal) on the uplink."""
    _apply_rules(nat)
    with Links() as links:
        uplink = links.index(ROUTER_UPLINK)
        # A router without its uplink is half-made; ensuring its network adds both.
        if uplink is not None:
            _sync_uplink(links, uplink, nat, host_address)


def _sync_uplink(
    links: Links, uplink: int, nat: Mapping[IPv4Address, IPv4Address], host_address: IPv4Address
) -> None:
    links.sync_addresses(uplink, [IPv4Interface(external) for external in nat])
    # Only the host's own address is reachable upstream: no default route. Set after the
    # addresses, as removing a link's last address drops the routes through it.
    links.replace_route(IPv4Network(host_address), uplink)


def _apply_rules(nat: Mapping[IPv4Address, IPv4Address]) -> None:
    """Commit the rule set and the NAT map, each only if it differs."""
    ruleset, digest = rules.router_ruleset()
    current = rules.read(ROUTER_TABLE) or rules.TableState()
    script = ruleset if current.digest != digest else ""
    if current.nat != dict(nat):
        script += rules.nat_map(nat)
    if script:
        rules.apply(script)


def dismantle() -> None:
    """Delete every link, so the uplink leaves the host bridge even while a socket still
    holds the namespace."""
    with Links() as links:
        for name in links.names():
            if name != "lo":
                links.delete(name)
