"""VPC networks on this host: network namespaces, bridges, veths, nftables."""

from nimbus.net.errors import (
    AddressConflict,
    InstanceNotFound,
    InvalidName,
    NetError,
    NetworkNotFound,
    NoExternalRange,
)
from nimbus.net.fabric import Fabric
from nimbus.net.firewall import FirewallEntry, InstanceFirewall, PortMatch
from nimbus.net.model import VPC_MTU, Subnet

__all__ = [
    "VPC_MTU",
    "AddressConflict",
    "Fabric",
    "FirewallEntry",
    "InstanceFirewall",
    "InstanceNotFound",
    "InvalidName",
    "NetError",
    "NetworkNotFound",
    "NoExternalRange",
    "PortMatch",
    "Subnet",
]
