"""VPC networks on this host: network namespaces, bridges, veths, nftables."""

from nimbus.net.errors import (
    AddressConflict,
    InvalidName,
    NetError,
    NetworkNotFound,
    NoExternalRange,
)
from nimbus.net.fabric import Fabric
from nimbus.net.model import VPC_MTU, Subnet

__all__ = [
    "VPC_MTU",
    "AddressConflict",
    "Fabric",
    "InvalidName",
    "NetError",
    "NetworkNotFound",
    "NoExternalRange",
    "Subnet",
]
