"""Subnet IPv4 ranges as Google accepts them: private or special-purpose space, /8 to
/29, the network address of the prefix, and no overlap inside one VPC network."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from ipaddress import IPv4Network

from nimbus.core.errors import InvalidArgument
from nimbus.store.models import Subnetwork

LARGEST_PREFIX, SMALLEST_PREFIX = 8, 29
# The ranges Google documents as valid for subnets, but for privately used public ones
# and 100.64.0.0/10 (RFC 6598), where this Nimbus's hosts keep their external addresses.
VALID_RANGES = tuple(
    IPv4Network(cidr)
    for cidr in (
        "10.0.0.0/8",  # RFC 1918
        "172.16.0.0/12",  # RFC 1918
        "192.168.0.0/16",  # RFC 1918
        "192.0.0.0/24",  # RFC 6890 IETF protocol assignments
        "192.0.2.0/24",  # RFC 5737 documentation (TEST-NET-1)
        "198.51.100.0/24",  # RFC 5737 documentation (TEST-NET-2)
        "203.0.113.0/24",  # RFC 5737 documentation (TEST-NET-3)
        "192.88.99.0/24",  # RFC 7526 formerly 6to4 relay
        "198.18.0.0/15",  # RFC 2544 benchmarking
        "240.0.0.0/4",  # RFC 1112 reserved (class E)
    )
)
FIELD = "resource.ipCidrRange"


def check_range(text: object) -> IPv4Network:
    """The subnet range a body names, or Google's 400."""
    try:
        network = ipaddress.ip_network(str(text), strict=False)
    except ValueError as error:
        raise InvalidArgument(
            f"Invalid value for field '{FIELD}': '{text}'. Must be a valid IPv4 CIDR range, "
            "e.g. 10.0.0.0/24."
        ) from error
    if not isinstance(network, IPv4Network):
        raise InvalidArgument(
            f"Invalid value for field '{FIELD}': '{text}'. The primary range of a subnetwork "
            "is IPv4."
        )
    if str(text).split("/")[0] != str(network.network_address) or "/" not in str(text):
        raise InvalidArgument(
            f"Invalid value for field '{FIELD}': '{text}'. It must be given as the network "
            f"address of its prefix: {network}."
        )
    if not LARGEST_PREFIX <= network.prefixlen <= SMALLEST_PREFIX:
        raise InvalidArgument(
            f"Invalid value for field '{FIELD}': '{text}'. The prefix length must be between "
            f"/{LARGEST_PREFIX} and /{SMALLEST_PREFIX}."
        )
    if not any(network.subnet_of(valid) for valid in VALID_RANGES):
        raise InvalidArgument(
            f"Invalid value for field '{FIELD}': '{text}'. The range must lie in a private "
            "range (RFC 1918: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16) or another range "
            "valid for subnets (e.g. 198.18.0.0/15); 100.64.0.0/10 holds external addresses."
        )
    return network


def check_no_overlap(network: IPv4Network, others: Iterable[Subnetwork]) -> None:
    for other in others:
        if network.overlaps(IPv4Network(other.ip_cidr_range)):
            raise InvalidArgument(
                f"Invalid IPCidrRange: {network} conflicts with existing subnetwork "
                f"'{other.name}' in region '{other.region}'."
            )


def check_outside(network: IPv4Network, block: IPv4Network, network_name: str) -> None:
    """Auto mode networks keep their block for their own subnets."""
    if network.overlaps(block):
        raise InvalidArgument(
            f"Invalid IPCidrRange: {network} conflicts with the range {block} that the auto "
            f"mode network '{network_name}' reserves for its automatic subnetworks."
        )


def gateway_of(network: IPv4Network) -> str:
    """Google's gateway: the first address after the network address."""
    return str(network.network_address + 1)
