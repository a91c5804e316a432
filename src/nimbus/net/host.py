"""The host side of the fabric, in the process's own namespace: one bridge holding the
host's external address, with every router's uplink as an isolated port."""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Interface

from nimbus.net import rules, sysctl
from nimbus.net.links import Links
from nimbus.net.model import VPC_MTU


def ensure_bridge(bridge: str, address: IPv4Interface, table: str) -> None:
    ruleset, digest = rules.host_ruleset(table, bridge)
    current = rules.read(table)
    if current is None or current.digest != digest:
        rules.apply(ruleset)
    with Links() as links:
        index = links.ensure_bridge(bridge)
        _without_ipv6(bridge)
        links.configure(index, mtu=VPC_MTU)
        links.sync_addresses(index, [address])


def connect_uplink(bridge: str, peer: str) -> None:
    """Isolated: routers reach the host, never each other."""
    with Links() as links:
        index = links.require(peer)
        _without_ipv6(peer)
        links.configure(index, mtu=VPC_MTU, master=links.require(bridge))
        links.isolate_port(index)


def _without_ipv6(link: str) -> None:
    # Routers speak IPv4 only; no link-local chatter on the fabric. Only our own links.
    sysctl.write({f"net.ipv6.conf.{link}.disable_ipv6": "1"})


def delete_links(names: Iterable[str]) -> None:
    with Links() as links:
        for name in names:
            links.delete(name)


def links_starting(prefix: str) -> list[str]:
    with Links() as links:
        return [name for name in links.names() if name.startswith(prefix)]


def delete_table(table: str) -> None:
    rules.apply(rules.delete_table(table))
