"""The values the fabric is asked to realize and the record it keeps per instance."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import Any

# Google's VPC MTU, on every link of the fabric (so TCP never depends on PMTU discovery).
VPC_MTU = 1460


@dataclass(frozen=True)
class Subnet:
    """One regional range of a VPC network and its gateway (the router's address)."""

    name: str
    cidr: IPv4Network
    gateway: IPv4Address

    def __post_init__(self) -> None:
        if self.gateway not in self.cidr:
            raise ValueError(f"gateway {self.gateway} is outside {self.cidr}")

    @property
    def gateway_interface(self) -> IPv4Interface:
        return IPv4Interface(f"{self.gateway}/{self.cidr.prefixlen}")

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "cidr": str(self.cidr), "gateway": str(self.gateway)}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Subnet:
        return cls(data["name"], IPv4Network(data["cidr"]), IPv4Address(data["gateway"]))


@dataclass(frozen=True)
class Attachment:
    """How one instance is plugged into one network: what ``attach`` was asked for."""

    instance_id: str
    network_id: str
    address: IPv4Address
    subnet: Subnet
    external: IPv4Address | None = None
    mac: str | None = None

    @property
    def interface(self) -> IPv4Interface:
        return IPv4Interface(f"{self.address}/{self.subnet.cidr.prefixlen}")

    def to_json(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "network_id": self.network_id,
            "address": str(self.address),
            "subnet": self.subnet.to_json(),
            "external": None if self.external is None else str(self.external),
            "mac": self.mac,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attachment:
        external = data.get("external")
        return cls(
            instance_id=str(data["instance_id"]),
            network_id=str(data["network_id"]),
            address=IPv4Address(data["address"]),
            subnet=Subnet.from_json(data["subnet"]),
            external=None if external is None else IPv4Address(external),
            mac=data.get("mac"),
        )
