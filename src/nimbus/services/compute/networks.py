"""VPC networks: every project's ``default`` network, auto mode, one subnet per region.

The ranges are Google's auto-mode ranges, the same in every project (projects are
isolated from each other, so they may overlap).
"""

from __future__ import annotations

import ipaddress

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import NotFound
from nimbus.core.ids import new_numeric_id
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.locations import catalog
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import Network, Project, Subnetwork

DEFAULT = "default"
# Google's auto-mode subnet ranges for the regions this Nimbus has.
AUTO_MODE_RANGES = {
    "us-central1": "10.128.0.0/20",
    "europe-west1": "10.132.0.0/20",
    "us-west1": "10.138.0.0/20",
    "asia-east1": "10.140.0.0/20",
    "us-east1": "10.142.0.0/20",
    "asia-northeast1": "10.146.0.0/20",
    "asia-southeast1": "10.148.0.0/20",
    "us-east4": "10.150.0.0/20",
    "australia-southeast1": "10.152.0.0/20",
    "europe-west2": "10.154.0.0/20",
    "europe-west3": "10.156.0.0/20",
    "southamerica-east1": "10.158.0.0/20",
    "northamerica-northeast1": "10.162.0.0/20",
    "europe-west4": "10.164.0.0/20",
    "europe-north1": "10.166.0.0/20",
    "us-west2": "10.168.0.0/20",
    "europe-west9": "10.200.0.0/20",
}
assert set(AUTO_MODE_RANGES) == set(catalog.REGIONS)


def ensure_default_network(session: Session, project_number: int, clock: Clock) -> Network:
    """The project's ``default`` network, made with its subnets on first use."""
    found = session.scalars(
        select(Network).where(Network.project_number == project_number, Network.name == DEFAULT)
    ).first()
    if found is not None:
        return found
    now = clock.now()
    network = Network(
        id=new_numeric_id(),
        project_number=project_number,
        name=DEFAULT,
        description="Default network for the project",
        auto_create_subnetworks=True,
        creation_time=now,
    )
    session.add(network)
    for region, cidr in AUTO_MODE_RANGES.items():
        gateway = ipaddress.ip_network(cidr).network_address + 1
        session.add(
            Subnetwork(
                id=new_numeric_id(),
                project_number=project_number,
                network_id=network.id,
                region=region,
                name=DEFAULT,
                ip_cidr_range=cidr,
                gateway_address=str(gateway),
                creation_time=now,
            )
        )
    session.flush()
    return network


def find_network(session: Session, project_number: int, project_id: str, name: str) -> Network:
    found = session.scalars(
        select(Network).where(Network.project_number == project_number, Network.name == name)
    ).first()
    if found is None:
        raise NotFound(f"The resource 'projects/{project_id}/global/networks/{name}' was not found")
    return found


def subnet_in(session: Session, network: Network, region: str) -> Subnetwork:
    found = session.scalars(
        select(Subnetwork).where(Subnetwork.network_id == network.id, Subnetwork.region == region)
    ).first()
    if found is None:
        raise NotFound(f"Network '{network.name}' has no subnetwork in region '{region}'.")
    return found


class Networks:
    """Reads of networks and subnetworks (the default network is made on first read)."""

    def __init__(self, db: Database, authorizer: Authorizer, clock: Clock) -> None:
        self.db = db
        self.authorizer = authorizer
        self.clock = clock

    def list_all(self, caller: Caller, project_ref: str) -> tuple[Project, list[Network]]:
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.networks.list")
            ensure_default_network(session, project.number, self.clock)
            rows = session.scalars(
                select(Network)
                .where(Network.project_number == project.number)
                .order_by(Network.name)
            ).all()
            return project, list(rows)

    def get(self, caller: Caller, project_ref: str, name: str) -> tuple[Project, Network]:
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.networks.get")
            ensure_default_network(session, project.number, self.clock)
            return project, find_network(session, project.number, project.project_id, name)

    def subnetworks(
        self, caller: Caller, project_ref: str, region: str | None
    ) -> tuple[Project, list[tuple[Network, Subnetwork]]]:
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.subnetworks.list")
            ensure_default_network(session, project.number, self.clock)
            query = select(Subnetwork, Network).join(Network, Network.id == Subnetwork.network_id)
            query = query.where(Subnetwork.project_number == project.number)
            if region is not None:
                catalog.region(region)
                query = query.where(Subnetwork.region == region)
            rows = session.execute(query.order_by(Subnetwork.region, Subnetwork.name)).all()
            return project, [(network, subnet) for subnet, network in rows]

    def _project(self, session: Session, caller: Caller, ref: str, permission: str) -> Project:
        return hierarchy.authorized_project(session, self.authorizer, caller, ref, permission)
