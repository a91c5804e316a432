"""An instance's network interface: what ``networkInterfaces[0]`` asks for (network,
subnetwork, a static internal address) and what the instance gets, as Google decides.

- only a network: an auto mode network's subnet in the instance's region; a custom mode
  network needs the subnetwork named;
- only a subnetwork: its network;
- ``networkIP``: a free, unreserved address of the subnetwork; otherwise the lowest free.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import InvalidArgument
from nimbus.services.compute.addresses import allocate_internal
from nimbus.services.compute.networks import DEFAULT, referenced_network, subnets_of
from nimbus.services.compute.references import parse_reference, same_project
from nimbus.store.models import Instance, Network, Project, Subnetwork

FIELD = "resource.networkInterfaces[0]"


@dataclass(frozen=True)
class InterfaceRequest:
    network: str | None = None
    subnetwork: str | None = None
    network_ip: str | None = None


@dataclass(frozen=True)
class ChosenInterface:
    network: Network
    subnet: Subnetwork
    network_ip: str


def parse_interface(interface: dict[str, Any]) -> InterfaceRequest:
    def text(key: str) -> str | None:
        value = interface.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidArgument(f"Invalid value for field '{FIELD}.{key}': '{value}'.")
        return value or None

    return InterfaceRequest(
        network=text("network"), subnetwork=text("subnetwork"), network_ip=text("networkIP")
    )


def choose_interface(
    session: Session, project: Project, region: str, request: InterfaceRequest, clock: Clock
) -> ChosenInterface:
    subnet = _named_subnet(session, project, region, request.subnetwork)
    if request.network is None and subnet is not None:
        network = session.get_one(Network, subnet.network_id)
    else:
        reference = request.network or f"global/networks/{DEFAULT}"
        network = referenced_network(session, project, reference, f"{FIELD}.network", clock)
    if subnet is None:
        subnet = _subnet_of(session, network, region)
    elif subnet.network_id != network.id:
        raise InvalidArgument(
            f"Invalid value for field '{FIELD}.subnetwork': '{request.subnetwork}'. The "
            f"subnetwork does not belong to the network '{network.name}'."
        )
    address = (
        _free_address(session, subnet, request.network_ip)
        if request.network_ip
        else allocate_internal(session, subnet)
    )
    return ChosenInterface(network, subnet, address)


def _named_subnet(
    session: Session, project: Project, region: str, reference: str | None
) -> Subnetwork | None:
    if reference is None:
        return None
    field = f"{FIELD}.subnetwork"
    parsed = parse_reference(reference, "subnetworks", field)
    if not same_project(parsed, project.project_id, project.number):
        raise InvalidArgument(
            f"Invalid value for field '{field}': '{reference}'. The referenced subnetwork "
            "resource cannot be found."
        )
    if parsed.region not in (None, region):
        raise InvalidArgument(
            f"Invalid value for field '{field}': '{reference}'. The subnetwork must be in the "
            f"instance's region, '{region}'."
        )
    found = session.scalars(
        select(Subnetwork).where(
            Subnetwork.project_number == project.number,
            Subnetwork.region == region,
            Subnetwork.name == parsed.name,
        )
    ).first()
    if found is None:
        raise InvalidArgument(
            f"Invalid value for field '{field}': '{reference}'. The referenced subnetwork "
            "resource cannot be found."
        )
    return found


def _subnet_of(session: Session, network: Network, region: str) -> Subnetwork:
    """Without a subnetwork named: an auto mode network's own subnet in the region."""
    if not network.auto_create_subnetworks:
        raise InvalidArgument(
            f"Invalid value for field '{FIELD}.subnetwork': ''. Subnetwork should be "
            "specified for custom subnetmode network"
        )
    own = [s for s in subnets_of(session, [network.id])[network.id] if s.region == region]
    auto = [s for s in own if s.name == network.name] or own
    if not auto:
        raise InvalidArgument(
            f"Invalid value for field '{FIELD}.network': '{network.name}'. The network has no "
            f"subnetwork in region '{region}'."
        )
    return auto[0]


def _free_address(session: Session, subnet: Subnetwork, wanted: str) -> str:
    """A static internal address: in the subnet, not one of the four Google reserves
    (network, gateway, second-to-last, broadcast), and not taken."""
    field = f"{FIELD}.networkIP"
    try:
        address = ipaddress.IPv4Address(wanted)
    except ValueError as error:
        raise InvalidArgument(
            f"Invalid value for field '{field}': '{wanted}'. Must be an IPv4 address."
        ) from error
    cidr = ipaddress.IPv4Network(subnet.ip_cidr_range)
    if address not in cidr:
        raise InvalidArgument(
            f"Invalid value for field '{field}': '{wanted}'. Requested internal IP is outside "
            f"the subnetwork CIDR range {cidr}."
        )
    reserved = {
        cidr.network_address,
        cidr.network_address + 1,
        cidr.broadcast_address - 1,
        cidr.broadcast_address,
    }
    if address in reserved:
        raise InvalidArgument(
            f"Invalid value for field '{field}': '{wanted}'. The address is reserved in "
            f"subnetwork '{subnet.name}' ({cidr}): the first two and the last two are."
        )
    holder = session.scalars(
        select(Instance.name).where(
            Instance.subnetwork_id == subnet.id, Instance.network_ip == str(address)
        )
    ).first()
    if holder is not None:
        raise InvalidArgument(
            f"Invalid value for field '{field}': '{wanted}'. IP address '{address}' is already "
            "being used by another resource."
        )
    return str(address)
