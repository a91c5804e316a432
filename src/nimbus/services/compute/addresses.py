"""Addresses for instances: internal IPs from their subnet, external IPs from the host's pool.

Free addresses are found by reading which are taken; the store's unique constraints
stop two concurrent inserts from taking the same one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.errors import ResourceExhausted
from nimbus.store.models import Instance, Subnetwork


def allocate_internal(session: Session, subnet: Subnetwork) -> str:
    """The lowest free address; Google reserves the network, the gateway (first), the
    second-to-last and the broadcast addresses of each subnet."""
    network = ipaddress.ip_network(subnet.ip_cidr_range)
    taken = set(
        session.scalars(select(Instance.network_ip).where(Instance.subnetwork_id == subnet.id))
    )
    hosts = list(network.hosts())
    for address in hosts[1:-1]:
        if str(address) not in taken:
            return str(address)
    raise ResourceExhausted(f"Subnetwork '{subnet.name}' in {subnet.region} has no free address.")


def allocate_external(session: Session, pool: Iterable[str]) -> str:
    taken = set(session.scalars(select(Instance.nat_ip).where(Instance.nat_ip.is_not(None))))
    for address in pool:
        if address not in taken:
            return address
    raise ResourceExhausted("No external IP address is free on this Nimbus.")


def instance_mac(instance_id: int) -> str:
    """Google's instances have ``42:01:...`` MACs; derived from the id, stable across boots."""
    tail = instance_id.to_bytes(8, "big")[-4:]
    return "42:01:" + ":".join(f"{b:02x}" for b in tail)
