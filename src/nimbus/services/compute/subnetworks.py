"""Subnetworks (compute/v1 ``subnetworks``): the regional ranges of VPC networks.

Custom mode networks get theirs from users; auto mode networks have their own in every
region and may take more outside their auto-mode block. Changes apply at once: their
region Operations are born DONE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    RequiredField,
)
from nimbus.core.fingerprints import fingerprint_of
from nimbus.core.ids import new_numeric_id
from nimbus.services.caller import Caller
from nimbus.services.compute.done_operations import Target, record_done, repeated
from nimbus.services.compute.fingerprints import require_fingerprint
from nimbus.services.compute.names import check_name
from nimbus.services.compute.networks import (
    AUTO_MODE_BLOCK,
    IN_USE,
    ensure_default_network,
    is_auto_subnet,
    referenced_network,
)
from nimbus.services.compute.subnet_ranges import (
    check_no_overlap,
    check_outside,
    check_range,
    gateway_of,
)
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.locations import catalog
from nimbus.services.operations.service import Operations
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import Instance, Network, Operation, Project, Subnetwork

# Output-only or Nimbus-fixed fields a client may echo back; anything else is refused.
_FIXED = {"purpose": "PRIVATE", "stackType": "IPV4_ONLY"}


@dataclass(frozen=True)
class SubnetRef:
    project: str
    region: str
    name: str


def subnet_fingerprint(row: Subnetwork) -> str:
    return fingerprint_of([row.ip_cidr_range, row.description])


class Subnetworks:
    def __init__(
        self, db: Database, authorizer: Authorizer, operations: Operations, clock: Clock
    ) -> None:
        self.db = db
        self.authorizer = authorizer
        self.operations = operations
        self.clock = clock

    # -- reads -----------------------------------------------------------------------------

    def list(
        self, caller: Caller, project_ref: str, region: str | None
    ) -> tuple[Project, list[tuple[Network, Subnetwork]]]:
        """One region's subnetworks, or every region's (aggregated)."""
        if region is not None:
            catalog.region(region)
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.subnetworks.list")
            ensure_default_network(session, project.number, self.clock)
            query = select(Subnetwork, Network).join(Network, Network.id == Subnetwork.network_id)
            query = query.where(Subnetwork.project_number == project.number)
            if region is not None:
                query = query.where(Subnetwork.region == region)
            rows = session.execute(query.order_by(Subnetwork.region, Subnetwork.name)).all()
            return project, [(network, subnet) for subnet, network in rows]

    def get(self, caller: Caller, ref: SubnetRef) -> tuple[Project, Network, Subnetwork]:
        with self.db.write() as session:
            project, subnet = self._resolve(session, caller, ref, "compute.subnetworks.get")
            return project, session.get_one(Network, subnet.network_id), subnet

    # -- writes ----------------------------------------------------------------------------

    def insert(
        self, caller: Caller, project_ref: str, region: str, body: dict[str, Any], target: Target
    ) -> tuple[Project, Operation]:
        catalog.region(region)
        name = _name(body)
        _check_fixed_fields(body, region)
        cidr = check_range(body.get("ipCidrRange"))
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.subnetworks.create")
            again = repeated(session, project.number, target.request_id)
            if again is not None:
                return project, again
            reference = body.get("network")
            if not isinstance(reference, str) or not reference:
                raise InvalidArgument(
                    "Invalid value for field 'resource.network': ''. The referenced network "
                    "resource cannot be found."
                )
            network = referenced_network(
                session, project, reference, "resource.network", self.clock
            )
            if self._find(session, project, region, name) is not None:
                raise AlreadyExists(
                    f"The resource 'projects/{project.project_id}/regions/{region}/subnetworks/"
                    f"{name}' already exists"
                )
            if network.auto_create_subnetworks:
                check_outside(cidr, AUTO_MODE_BLOCK, network.name)
            others = session.scalars(select(Subnetwork).where(Subnetwork.network_id == network.id))
            check_no_overlap(cidr, others)
            description = body.get("description") or ""
            row = Subnetwork(
                id=new_numeric_id(),
                project_number=project.number,
                network_id=network.id,
                region=region,
                name=name,
                description=str(description),
                ip_cidr_range=str(cidr),
                gateway_address=gateway_of(cidr),
                creation_time=self.clock.now(),
            )
            session.add(row)
            session.flush()
            return project, self._done(session, project, caller, target, "insert", row)

    def patch(
        self, caller: Caller, ref: SubnetRef, body: dict[str, Any], target: Target
    ) -> tuple[Project, Operation]:
        """Google's subnetwork patch names the fingerprint it read; of the fields Nimbus
        keeps, the description may change."""
        with self.db.write() as session:
            project, row = self._resolve(session, caller, ref, "compute.subnetworks.update")
            fingerprint = body.get("fingerprint")
            if not fingerprint:
                raise InvalidArgument(
                    "Invalid value for field 'resource.fingerprint': ''. The fingerprint of the "
                    "subnetwork is required to patch it."
                )
            require_fingerprint(str(fingerprint), subnet_fingerprint(row), "subnetwork")
            given = body.get("ipCidrRange")
            if given is not None and given != row.ip_cidr_range:
                raise InvalidArgument(
                    f"Invalid value for field 'resource.ipCidrRange': '{given}'. The range of "
                    "a subnetwork cannot change with patch."
                )
            if "description" in body:
                row.description = str(body.get("description") or "")
            return project, self._done(session, project, caller, target, "patch", row)

    def delete(self, caller: Caller, ref: SubnetRef, target: Target) -> tuple[Project, Operation]:
        with self.db.write() as session:
            project, row = self._resolve(session, caller, ref, "compute.subnetworks.delete")
            again = repeated(session, project.number, target.request_id)
            if again is not None:
                return project, again
            network = session.get_one(Network, row.network_id)
            if is_auto_subnet(network, row):
                raise FailedPrecondition(
                    "Invalid resource usage: 'Cannot delete auto subnetwork from an auto "
                    "subnet mode network.'",
                    reason="invalidResourceUsage",
                )
            user = session.scalars(
                select(Instance).where(Instance.subnetwork_id == row.id).order_by(Instance.name)
            ).first()
            if user is not None:
                prefix = f"projects/{project.project_id}"
                raise FailedPrecondition(
                    f"The subnetwork resource '{prefix}/regions/{row.region}/subnetworks/"
                    f"{row.name}' is already being used by '{prefix}/zones/{user.zone}/"
                    f"instances/{user.name}'",
                    reason=IN_USE,
                )
            session.delete(row)
            return project, self._done(session, project, caller, target, "delete", row)

    # -- helpers ---------------------------------------------------------------------------

    def _done(
        self,
        session: Session,
        project: Project,
        caller: Caller,
        target: Target,
        verb: str,
        row: Subnetwork,
    ) -> Operation:
        return record_done(self.operations, session, project.number, caller, target, verb, row.id)

    @staticmethod
    def _find(session: Session, project: Project, region: str, name: str) -> Subnetwork | None:
        return session.scalars(
            select(Subnetwork).where(
                Subnetwork.project_number == project.number,
                Subnetwork.region == region,
                Subnetwork.name == name,
            )
        ).first()

    def _resolve(
        self, session: Session, caller: Caller, ref: SubnetRef, permission: str
    ) -> tuple[Project, Subnetwork]:
        catalog.region(ref.region)
        project = self._project(session, caller, ref.project, permission)
        ensure_default_network(session, project.number, self.clock)
        row = self._find(session, project, ref.region, ref.name)
        if row is None:
            raise NotFound(
                f"The resource 'projects/{project.project_id}/regions/{ref.region}/subnetworks/"
                f"{ref.name}' was not found"
            )
        return project, row

    def _project(self, session: Session, caller: Caller, ref: str, permission: str) -> Project:
        return hierarchy.authorized_project(session, self.authorizer, caller, ref, permission)


def _name(body: dict[str, Any]) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise RequiredField("Required field 'resource.name' not specified")
    return check_name(name)


def _check_fixed_fields(body: dict[str, Any], region: str) -> None:
    """What Nimbus subnetworks cannot be: dual-stack, special-purpose, with secondary
    ranges, or in another region than the path's."""
    for key, only in _FIXED.items():
        if body.get(key) not in (None, only):
            raise InvalidArgument(
                f"Invalid value for field 'resource.{key}': '{body[key]}'. Nimbus subnetworks "
                f"are {only}."
            )
    if body.get("secondaryIpRanges"):
        raise InvalidArgument(
            "Invalid value for field 'resource.secondaryIpRanges': Nimbus subnetworks have "
            "one range."
        )
    given = body.get("region")
    if given and str(given).rstrip("/").rsplit("/", 1)[-1] != region:
        raise InvalidArgument(
            f"Invalid value for field 'resource.region': '{given}'. It must be the region of "
            f"the request, '{region}'."
        )
