"""VPC firewall rules (compute/v1 ``firewalls``).

Rules change in the store at once (their global Operations are born DONE); ``wake``
tells the firewall controller, which applies them to the instances of this host.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import AlreadyExists, InvalidArgument, NotFound
from nimbus.services.caller import Caller
from nimbus.services.compute import firewall_rows, quotas
from nimbus.services.compute import quota_catalog as qc
from nimbus.services.compute.done_operations import Target, record_done, repeated
from nimbus.services.compute.firewall_rules import FirewallRule, merged, parse_rule
from nimbus.services.compute.networks import ensure_default_network, referenced_network
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.operations.service import Operations
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import Firewall, Network, Operation, Project


class Firewalls:
    def __init__(
        self,
        db: Database,
        authorizer: Authorizer,
        operations: Operations,
        clock: Clock,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.authorizer = authorizer
        self.operations = operations
        self.clock = clock
        self.wake = wake

    # -- reads -----------------------------------------------------------------------------

    def list_all(self, caller: Caller, project_ref: str) -> tuple[Project, list[Firewall]]:
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.firewalls.list")
            ensure_default_network(session, project.number, self.clock)
            rows = session.scalars(
                select(Firewall)
                .where(Firewall.project_number == project.number)
                .order_by(Firewall.name)
            )
            return project, list(rows)

    def get(self, caller: Caller, project_ref: str, name: str) -> tuple[Project, Firewall]:
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.firewalls.get")
            ensure_default_network(session, project.number, self.clock)
            return project, self._named(session, project, name)

    # -- writes ----------------------------------------------------------------------------

    def insert(
        self, caller: Caller, project_ref: str, body: dict[str, Any], target: Target
    ) -> tuple[Project, Operation]:
        rule = parse_rule(body)
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.firewalls.create")
            again = repeated(session, project.number, target.request_id)
            if again is not None:
                return project, again
            network = referenced_network(
                session, project, rule.network, "resource.network", self.clock
            )
            if self._find(session, project, rule.name) is not None:
                raise AlreadyExists(
                    f"The resource 'projects/{project.project_id}/global/firewalls/{rule.name}' "
                    "already exists"
                )
            row = firewall_rows.new_row(project.number, network, rule, self.clock.now())
            session.add(row)
            session.flush()
            quotas.enforce(session, project.number, None, [qc.FIREWALLS])
            operation = self._done(session, project, caller, target, "insert", row)
        self.wake()
        return project, operation

    def patch(
        self, caller: Caller, project_ref: str, name: str, body: dict[str, Any], target: Target
    ) -> tuple[Project, Operation]:
        """Google's PATCH: the body is merged into the rule (JSON merge patch)."""
        return self._change(caller, project_ref, name, target, "patch", body, merge=True)

    def update(
        self, caller: Caller, project_ref: str, name: str, body: dict[str, Any], target: Target
    ) -> tuple[Project, Operation]:
        """Google's PUT: the body is the whole new rule."""
        return self._change(caller, project_ref, name, target, "update", body, merge=False)

    def delete(
        self, caller: Caller, project_ref: str, name: str, target: Target
    ) -> tuple[Project, Operation]:
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.firewalls.delete")
            again = repeated(session, project.number, target.request_id)
            if again is not None:
                return project, again
            ensure_default_network(session, project.number, self.clock)
            row = self._named(session, project, name)
            session.delete(row)
            operation = self._done(session, project, caller, target, "delete", row)
        self.wake()
        return project, operation

    # -- helpers ---------------------------------------------------------------------------

    def _change(
        self,
        caller: Caller,
        project_ref: str,
        name: str,
        target: Target,
        verb: str,
        body: dict[str, Any],
        *,
        merge: bool,
    ) -> tuple[Project, Operation]:
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "compute.firewalls.update")
            ensure_default_network(session, project.number, self.clock)
            row = self._named(session, project, name)
            current = firewall_rows.fields_of(row)
            wanted = merged(current, body) if merge else {"name": name, **body}
            rule = parse_rule(wanted)
            network = referenced_network(
                session, project, rule.network, "resource.network", self.clock
            )
            _check_unchanged(row, rule, network)
            firewall_rows.apply(row, network, rule)
            operation = self._done(session, project, caller, target, verb, row)
        self.wake()
        return project, operation

    def _done(
        self,
        session: Session,
        project: Project,
        caller: Caller,
        target: Target,
        verb: str,
        row: Firewall,
    ) -> Operation:
        return record_done(self.operations, session, project.number, caller, target, verb, row.id)

    @staticmethod
    def _find(session: Session, project: Project, name: str) -> Firewall | None:
        return session.scalars(
            select(Firewall).where(Firewall.project_number == project.number, Firewall.name == name)
        ).first()

    def _named(self, session: Session, project: Project, name: str) -> Firewall:
        found = self._find(session, project, name)
        if found is None:
            raise NotFound(
                f"The resource 'projects/{project.project_id}/global/firewalls/{name}' was not "
                "found"
            )
        return found

    def _project(self, session: Session, caller: Caller, ref: str, permission: str) -> Project:
        return hierarchy.authorized_project(session, self.authorizer, caller, ref, permission)


def _check_unchanged(row: Firewall, rule: FirewallRule, network: Network) -> None:
    """A rule keeps its name, network and direction."""
    if rule.name != row.name:
        raise InvalidArgument(
            f"Invalid value for field 'resource.name': '{rule.name}'. The name of a firewall "
            f"rule cannot change (it is '{row.name}')."
        )
    if network.id != row.network_id:
        raise InvalidArgument(
            f"Invalid value for field 'resource.network': '{rule.network}'. The network of a "
            "firewall rule cannot change."
        )
    if rule.direction != row.direction:
        raise InvalidArgument(
            f"Invalid value for field 'resource.direction': '{rule.direction}'. The direction "
            "of a firewall rule cannot change."
        )
