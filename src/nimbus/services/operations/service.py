"""Operations: recorded by the service that starts slow work, finished by a controller.

Compute Engine's operations live in one of three scopes (global, a region, a zone)
and are read through ``globalOperations``, ``regionOperations`` and
``zoneOperations``; Resource Manager's are ``operations/...`` in the longrunning shape.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import InvalidArgument, NimbusError, NotFound
from nimbus.core.ids import new_numeric_id
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.operations import states
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import Operation, Project

WAIT_LIMIT = dt.timedelta(minutes=2)
_PERMISSIONS = {
    states.GLOBAL: "compute.globalOperations",
    states.REGION: "compute.regionOperations",
    states.ZONE: "compute.zoneOperations",
}


@dataclass(frozen=True)
class OperationRef:
    project: str
    scope: str
    location: str
    name: str


def new_operation_name(operation_id: int) -> str:
    """Google's shape: ``operation-<millis>-<hex>``."""
    return f"operation-{int(time.time() * 1000)}-{operation_id:x}"


class Operations:
    def __init__(self, db: Database, authorizer: Authorizer, clock: Clock) -> None:
        self.db = db
        self.authorizer = authorizer
        self.clock = clock

    # -- recorded by services, advanced by controllers ----------------------------------

    def record(
        self,
        session: Session,
        project: Project,
        *,
        scope: str,
        location: str,
        operation_type: str,
        target_link: str,
        target_id: str,
        user: str,
        done: bool = False,
    ) -> Operation:
        return self.record_for_number(
            session,
            project.number,
            scope=scope,
            location=location,
            operation_type=operation_type,
            target_link=target_link,
            target_id=target_id,
            user=user,
            done=done,
        )

    def record_for_number(
        self,
        session: Session,
        project_number: int,
        *,
        scope: str,
        location: str,
        operation_type: str,
        target_link: str,
        target_id: str,
        user: str,
        done: bool = False,
        request_id: str | None = None,
    ) -> Operation:
        now = self.clock.now()
        operation_id = new_numeric_id()
        operation = Operation(
            id=operation_id,
            name=new_operation_name(operation_id),
            scope=scope,
            location=location,
            project_number=project_number,
            operation_type=operation_type,
            target_link=target_link,
            target_id=target_id,
            status=states.DONE if done else states.PENDING,
            progress=100 if done else 0,
            user=user,
            insert_time=now,
            start_time=now if done else None,
            end_time=now if done else None,
            request_id=request_id,
        )
        session.add(operation)
        session.flush()
        return operation

    def start(self, session: Session, operation: Operation) -> None:
        if operation.status == states.PENDING:
            operation.status = states.RUNNING
            operation.start_time = self.clock.now()

    def finish(
        self, session: Session, operation: Operation, error: NimbusError | None = None
    ) -> None:
        now = self.clock.now()
        operation.start_time = operation.start_time or now
        operation.status = states.DONE
        operation.progress = 100
        operation.end_time = now
        if error is not None:
            operation.error = [{"code": error.reason.upper(), "message": error.message}]
            operation.http_error_status_code = error.code
            operation.http_error_message = error.status

    # -- read by clients ----------------------------------------------------------------

    def get(self, caller: Caller, ref: OperationRef) -> tuple[Project, Operation]:
        with self.db.read() as session:
            return self._resolve(session, caller, ref, "get")

    def list_in_scope(
        self, caller: Caller, project_ref: str, scope: str, location: str
    ) -> tuple[Project, list[Operation]]:
        with self.db.read() as session:
            project = self._project(session, caller, project_ref, scope, "list")
            rows = session.scalars(
                select(Operation)
                .where(
                    Operation.project_number == project.number,
                    Operation.scope == scope,
                    Operation.location == location,
                )
                .order_by(Operation.name)
            ).all()
            return project, list(rows)

    def list_all(self, caller: Caller, project_ref: str) -> tuple[Project, list[Operation]]:
        """Every operation of the project, in all three scopes (``aggregated/operations``,
        which Compute Engine guards with the global operations' permission)."""
        with self.db.read() as session:
            project = self._project(session, caller, project_ref, states.GLOBAL, "list")
            rows = session.scalars(
                select(Operation)
                .where(Operation.project_number == project.number)
                .order_by(Operation.name)
            ).all()
            return project, list(rows)

    def delete(self, caller: Caller, ref: OperationRef) -> None:
        with self.db.write() as session:
            _, operation = self._resolve(session, caller, ref, "delete")
            session.delete(operation)

    async def wait(
        self, caller: Caller, ref: OperationRef, limit: dt.timedelta = WAIT_LIMIT
    ) -> tuple[Project, Operation]:
        """Return once the operation is DONE, or when ``limit`` has passed (not DONE yet).

        Polls the store rather than waiting on an in-process signal, so that the
        replica answering may differ from the one doing the work.
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline = started + limit.total_seconds()
        while True:
            project, operation = await asyncio.to_thread(self.get, caller, ref)
            remaining = deadline - loop.time()
            if operation.status == states.DONE or remaining <= 0:
                return project, operation
            # Most operations end within a second (an instance boots in a few hundred
            # ms): look often at first, then back off.
            delay = 0.01 if loop.time() - started < 2 else 0.25
            await asyncio.sleep(min(delay, remaining))

    def _resolve(
        self, session: Session, caller: Caller, ref: OperationRef, verb: str
    ) -> tuple[Project, Operation]:
        project = self._project(session, caller, ref.project, ref.scope, verb)
        row = session.scalars(
            select(Operation).where(
                Operation.project_number == project.number,
                Operation.scope == ref.scope,
                Operation.location == ref.location,
                Operation.name == ref.name,
            )
        ).first()
        if row is None:
            where = "global" if ref.scope == states.GLOBAL else f"{ref.scope}s/{ref.location}"
            raise NotFound(
                f"The resource 'projects/{ref.project}/{where}/operations/{ref.name}' was not found"
            )
        return project, row

    def _project(
        self, session: Session, caller: Caller, ref: str, scope: str, verb: str
    ) -> Project:
        if scope not in _PERMISSIONS:
            raise InvalidArgument(f"Unknown operation scope '{scope}'.")
        permission = f"{_PERMISSIONS[scope]}.{verb}"
        return hierarchy.authorized_project(session, self.authorizer, caller, ref, permission)
