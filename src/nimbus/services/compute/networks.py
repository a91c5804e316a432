"""VPC networks (compute/v1 ``networks``): every project's ``default`` network, and the
auto mode and custom mode networks users make.

Auto mode networks get Google's auto-mode subnet ranges, the same in every network and
every project (networks are isolated from each other, so they may overlap). Changes
apply at once: their global Operations are born DONE.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from nimbus.core.ids import new_numeric_id
from nimbus.services.caller import Caller
from nimbus.services.compute import firewall_rows, quotas
from nimbus.services.compute import quota_catalog as qc
from nimbus.services.compute.default_firewalls import DEFAULT_RULES
from nimbus.services.compute.done_operations import Target, record_done, repeated
from nimbus.services.compute.metadata import metadata_fingerprint
from nimbus.services.compute.network_requests import NetworkPatch, NetworkSpec
from nimbus.services.compute.references import parse_reference, same_project
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.locations import catalog
from nimbus.services.operations.service import Operations
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import (
    ComputeProject,
    Firewall,
    Instance,
    Network,
    Operation,
    Project,
    Subnetwork,
)

DEFAULT = "default"
# Google's auto-mode subnet ranges for the regions this Nimbus has, all in one block.
AUTO_MODE_BLOCK = ipaddress.IPv4Network("10.128.0.0/9")
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
IN_USE = "resourceInUseByAnotherResource"


def ensure_default_network(session: Session, project_number: int, clock: Clock) -> Network | None:
    """The project's ``default`` network, made with its subnets and firewall rules on
    first use; None once the user deleted it (Google does not bring it back)."""
    settings = session.get(ComputeProject, project_number)
    if settings is None or not settings.default_network_made:
        # First use: concurrent first uses of a project take turns, then look again.
        hierarchy.lock_project(session, project_number)
        settings = session.get(ComputeProject, project_number, populate_existing=True)
    found = session.scalars(
        select(Network).where(Network.project_number == project_number, Network.name == DEFAULT)
    ).first()
    if settings is not None and settings.default_network_made:
        return found
    if found is None:
        found = _new_network(session, project_number, _DEFAULT_SPEC, clock.now())
        for rule in DEFAULT_RULES:
            session.add(firewall_rows.new_row(project_number, found, rule, clock.now()))
    if settings is None:
        settings = ComputeProject(
            project_number=project_number,
            metadata_items=[],
            metadata_fingerprint=metadata_fingerprint([]),
        )
        session.add(settings)
    settings.default_network_made = True
    session.flush()
    return found


def find_network(session: Session, project_number: int, project_id: str, name: str) -> Network:
    found = session.scalars(
        select(Network).where(Network.project_number == project_number, Network.name == name)
    ).first()
    if found is None:
        raise NotFound(f"The resource 'projects/{project_id}/global/networks/{name}' was not found")
    return found


def referenced_network(
    session: Session, project: Project, reference: str, field: str, clock: Clock
) -> Network:
    """The network a body names (``resource.network``...), or Google's 400."""
    parsed = parse_reference(reference, "networks", field)
    if not same_project(parsed, project.project_id, project.number):
        raise InvalidArgument(
            f"Invalid value for field '{field}': '{reference}'. Cross-project references for "
            "this resource type are not allowed."
        )
    if parsed.name == DEFAULT:
        ensure_default_network(session, project.number, clock)
    try:
        return find_network(session, project.number, project.project_id, parsed.name)
    except NotFound as error:
        raise InvalidArgument(
            f"Invalid value for field '{field}': '{reference}'. The referenced network "
            "resource cannot be found."
        ) from error


def is_auto_subnet(network: Network, subnet: Subnetwork) -> bool:
    """Made by an auto mode network itself (as opposed to added by its user)."""
    return (
        network.auto_create_subnetworks
        and subnet.name == network.name
        and AUTO_MODE_RANGES.get(subnet.region) == subnet.ip_cidr_range
    )


def subnets_of(session: Session, network_ids: list[int]) -> dict[int, list[Subnetwork]]:
    found: dict[int, list[Subnetwork]] = {network_id: [] for network_id in network_ids}
    rows = session.scalars(
        select(Subnetwork)
        .where(Subnetwork.network_id.in_(network_ids))
        .order_by(Subnetwork.region, Subnetwork.name)
    )
    for row in rows:
        found[row.network_id].append(row)
    return found


class Networks:
    """The networks of a project. Reads make the default network on first use."""

    def __init__(
        self,
        db: Database,
        authorizer: Authorizer,
        operations: Operations,
        clock: Clock,
    ) -> None:
        self.db = db
        self.authorizer = authorizer
        self.operations = operations
        self.clock = clock

    # -- reads -----------------------------------------------------------------------------

    def list_all(
        self, caller: Caller, project_ref: str
    ) -> tuple[Project, list[tuple[Network, list[Subnetwork]]]]:
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.networks.list")
            ensure_default_network(session, project.number, self.clock)
            rows = list(
                session.scalars(
                    select(Network)
                    .where(Network.project_number == project.number)
                    .order_by(Network.name)
                )
            )
            subnets = subnets_of(session, [row.id for row in rows])
            return project, [(row, subnets[row.id]) for row in rows]

    def get(
        self, caller: Caller, project_ref: str, name: str
    ) -> tuple[Project, Network, list[Subnetwork]]:
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.networks.get")
            ensure_default_network(session, project.number, self.clock)
            row = find_network(session, project.number, project.project_id, name)
            return project, row, subnets_of(session, [row.id])[row.id]

    # -- writes ----------------------------------------------------------------------------

    def insert(
        self, caller: Caller, project_ref: str, spec: NetworkSpec, target: Target
    ) -> tuple[Project, Operation]:
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.networks.create")
            again = repeated(session, project.number, target.request_id)
            if again is not None:
                return project, again
            ensure_default_network(session, project.number, self.clock)
            exists = session.scalars(
                select(Network.id).where(
                    Network.project_number == project.number, Network.name == spec.name
                )
            ).first()
            if exists is not None:
                raise AlreadyExists(
                    f"The resource 'projects/{project.project_id}/global/networks/{spec.name}' "
                    "already exists"
                )
            row = _new_network(session, project.number, spec, self.clock.now())
            quotas.enforce(session, project.number, None, [qc.NETWORKS])
            operation = self._done(session, project, caller, target, "insert", row)
        return project, operation

    def patch(
        self, caller: Caller, project_ref: str, name: str, patch: NetworkPatch, target: Target
    ) -> tuple[Project, Operation]:
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.networks.update")
            ensure_default_network(session, project.number, self.clock)
            row = find_network(session, project.number, project.project_id, name)
            if patch.description is not None:
                row.description = patch.description
            if patch.routing_mode is not None:
                row.routing_mode = patch.routing_mode
            if patch.mtu is not None:
                row.mtu = patch.mtu
            operation = self._done(session, project, caller, target, "patch", row)
        return project, operation

    def delete(
        self, caller: Caller, project_ref: str, name: str, target: Target
    ) -> tuple[Project, Operation]:
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.networks.delete")
            again = repeated(session, project.number, target.request_id)
            if again is not None:
                return project, again
            ensure_default_network(session, project.number, self.clock)
            row = find_network(session, project.number, project.project_id, name)
            subnets = subnets_of(session, [row.id])[row.id]
            self._refuse_if_used(session, project, row, subnets)
            for subnet in subnets:
                session.delete(subnet)
            session.delete(row)
            operation = self._done(session, project, caller, target, "delete", row)
        return project, operation

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _refuse_if_used(
        session: Session, project: Project, network: Network, subnets: list[Subnetwork]
    ) -> None:
        instance = session.scalars(
            select(Instance).where(Instance.network_id == network.id).order_by(Instance.name)
        ).first()
        firewall = session.scalars(
            select(Firewall.name).where(Firewall.network_id == network.id).order_by(Firewall.name)
        ).first()
        own = [s for s in subnets if not is_auto_subnet(network, s)]
        user = None
        if instance is not None:
            user = f"zones/{instance.zone}/instances/{instance.name}"
        elif own:
            user = f"regions/{own[0].region}/subnetworks/{own[0].name}"
        elif firewall is not None:
            user = f"global/firewalls/{firewall}"
        if user is not None:
            prefix = f"projects/{project.project_id}"
            raise FailedPrecondition(
                f"The network resource '{prefix}/global/networks/{network.name}' is already "
                f"being used by '{prefix}/{user}'",
                reason=IN_USE,
            )

    def _done(
        self,
        session: Session,
        project: Project,
        caller: Caller,
        target: Target,
        verb: str,
        row: Network,
    ) -> Operation:
        return record_done(self.operations, session, project.number, caller, target, verb, row.id)

    def _project(self, session: Session, caller: Caller, ref: str, permission: str) -> Project:
        return hierarchy.authorized_project(session, self.authorizer, caller, ref, permission)


_DEFAULT_SPEC = NetworkSpec(
    name=DEFAULT, auto_create_subnetworks=True, description="Default network for the project"
)


def _new_network(
    session: Session, project_number: int, spec: NetworkSpec, now: dt.datetime
) -> Network:
    network = Network(
        id=new_numeric_id(),
        project_number=project_number,
        name=spec.name,
        description=spec.description,
        auto_create_subnetworks=spec.auto_create_subnetworks,
        routing_mode=spec.routing_mode,
        mtu=spec.mtu,
        creation_time=now,
    )
    session.add(network)
    if spec.auto_create_subnetworks:
        for region, cidr in AUTO_MODE_RANGES.items():
            gateway = ipaddress.ip_network(cidr).network_address + 1
            session.add(
                Subnetwork(
                    id=new_numeric_id(),
                    project_number=project_number,
                    network_id=network.id,
                    region=region,
                    name=spec.name,
                    description="",
                    ip_cidr_range=cidr,
                    gateway_address=str(gateway),
                    creation_time=now,
                )
            )
    session.flush()
    return network
