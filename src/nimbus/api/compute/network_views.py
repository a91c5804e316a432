"""Networks, subnetworks and firewall rules rendered in compute/v1 shapes."""

from __future__ import annotations

from nimbus.core.clock import compute_timestamp
from nimbus.services.compute.subnetworks import subnet_fingerprint
from nimbus.store.models import Firewall, Network, Subnetwork
from nimbus.wire.compute_networks import Firewall as FirewallWire
from nimbus.wire.compute_networks import FirewallLogConfig, FirewallPorts
from nimbus.wire.compute_networks import Network as NetworkWire
from nimbus.wire.compute_networks import Subnetwork as SubnetworkWire


def network(project_link: str, row: Network, subnets: list[Subnetwork]) -> NetworkWire:
    return NetworkWire(
        id=str(row.id),
        creation_timestamp=compute_timestamp(row.creation_time),
        name=row.name,
        description=row.description or None,
        self_link=f"{project_link}/global/networks/{row.name}",
        self_link_with_id=f"{project_link}/global/networks/{row.id}",
        auto_create_subnetworks=row.auto_create_subnetworks,
        subnetworks=[subnet_link(project_link, s) for s in subnets] or None,
        routing_config={"routingMode": row.routing_mode},
        mtu=row.mtu,
    )


def subnetwork(project_link: str, network_row: Network, row: Subnetwork) -> SubnetworkWire:
    return SubnetworkWire(
        id=str(row.id),
        creation_timestamp=compute_timestamp(row.creation_time),
        name=row.name,
        description=row.description or None,
        network=f"{project_link}/global/networks/{network_row.name}",
        ip_cidr_range=row.ip_cidr_range,
        gateway_address=row.gateway_address,
        region=f"{project_link}/regions/{row.region}",
        self_link=subnet_link(project_link, row),
        fingerprint=subnet_fingerprint(row),
    )


def subnet_link(project_link: str, row: Subnetwork) -> str:
    return f"{project_link}/regions/{row.region}/subnetworks/{row.name}"


def firewall(project_link: str, row: Firewall) -> FirewallWire:
    return FirewallWire(
        id=str(row.id),
        creation_timestamp=compute_timestamp(row.creation_time),
        name=row.name,
        description=row.description,
        network=f"{project_link}/global/networks/{row.network_name}",
        priority=row.priority,
        source_ranges=row.source_ranges or None,
        destination_ranges=row.destination_ranges or None,
        source_tags=row.source_tags or None,
        target_tags=row.target_tags or None,
        source_service_accounts=row.source_service_accounts or None,
        target_service_accounts=row.target_service_accounts or None,
        allowed=[FirewallPorts(**entry) for entry in row.allowed] or None,
        denied=[FirewallPorts(**entry) for entry in row.denied] or None,
        direction=row.direction,
        log_config=FirewallLogConfig(**row.log_config),
        disabled=row.disabled,
        self_link=f"{project_link}/global/firewalls/{row.name}",
    )
