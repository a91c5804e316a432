"""Compute Engine shapes of VPC networks, subnetworks and firewall rules (compute/v1)."""

from __future__ import annotations

from pydantic import Field

from nimbus.wire.base import Wire


class Network(Wire):
    kind: str = "compute#network"
    id: str
    creation_timestamp: str
    name: str
    description: str | None = None
    self_link: str
    self_link_with_id: str
    auto_create_subnetworks: bool
    subnetworks: list[str] | None = None
    routing_config: dict[str, str]
    mtu: int
    network_firewall_policy_enforcement_order: str = "AFTER_CLASSIC_FIREWALL"


class NetworkList(Wire):
    kind: str = "compute#networkList"
    id: str
    items: list[Network]
    next_page_token: str | None = None
    self_link: str


class Subnetwork(Wire):
    kind: str = "compute#subnetwork"
    id: str
    creation_timestamp: str
    name: str
    description: str | None = None
    network: str
    ip_cidr_range: str
    gateway_address: str
    region: str
    self_link: str
    private_ip_google_access: bool = False
    purpose: str = "PRIVATE"
    stack_type: str = "IPV4_ONLY"
    fingerprint: str


class SubnetworkList(Wire):
    kind: str = "compute#subnetworkList"
    id: str
    items: list[Subnetwork]
    next_page_token: str | None = None
    self_link: str


class FirewallPorts(Wire):
    """One ``allowed`` or ``denied`` entry."""

    ip_protocol: str = Field(alias="IPProtocol")
    ports: list[str] | None = None


class FirewallLogConfig(Wire):
    enable: bool
    metadata: str | None = None


class Firewall(Wire):
    kind: str = "compute#firewall"
    id: str
    creation_timestamp: str
    name: str
    description: str | None = None
    network: str
    priority: int
    source_ranges: list[str] | None = None
    destination_ranges: list[str] | None = None
    source_tags: list[str] | None = None
    target_tags: list[str] | None = None
    source_service_accounts: list[str] | None = None
    target_service_accounts: list[str] | None = None
    allowed: list[FirewallPorts] | None = None
    denied: list[FirewallPorts] | None = None
    direction: str
    log_config: FirewallLogConfig
    disabled: bool
    self_link: str


class FirewallList(Wire):
    kind: str = "compute#firewallList"
    id: str
    items: list[Firewall]
    next_page_token: str | None = None
    self_link: str
