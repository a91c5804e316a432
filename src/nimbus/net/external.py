"""The external range: where natIPs live, chosen among addresses the host does not use."""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from nimbus.net.errors import NoExternalRange

# RFC 6598 shared address space: never routed on the internet, rarely used at home.
SHARED_SPACE = IPv4Network("100.64.0.0/10")
RANGE_PREFIX = 24


def choose_range(routes: Iterable[IPv4Network], addresses: Iterable[IPv4Interface]) -> IPv4Network:
    """The first /24 of 100.64.0.0/10 that no host route or address overlaps. Default
    routes overlap everything and are not counted."""
    taken = [route for route in routes if route.prefixlen > 0]
    taken += [address.network for address in addresses]
    taken += [IPv4Network(address.ip) for address in addresses]
    for candidate in SHARED_SPACE.subnets(new_prefix=RANGE_PREFIX):
        if not any(candidate.overlaps(network) for network in taken):
            return candidate
    raise NoExternalRange(f"every /{RANGE_PREFIX} of {SHARED_SPACE} is in use on this host")


def host_address(network: IPv4Network) -> IPv4Address:
    """The host's own address on its fabric bridge: the range's first."""
    return network.network_address + 1


def pool(network: IPv4Network) -> list[IPv4Address]:
    """Addresses that may be handed out as natIPs: all but the host's."""
    return [address for address in network.hosts() if address != host_address(network)]
