"""The Operations compute services record for a resource (zonal, regional or global),
found again by the caller's ``requestId``; changes made in the store at once
(networks, subnetworks, firewalls, labels) have theirs born DONE."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.services.caller import Caller
from nimbus.services.operations.service import Operations
from nimbus.store.models import Operation


@dataclass(frozen=True)
class Target:
    """What an operation is about: its scope (``global``, ``region`` or ``zone``), its
    location (a region or zone, or "" for global), its resource's selfLink and the
    caller's requestId."""

    scope: str
    location: str
    link: str
    request_id: str | None = None


def repeated(session: Session, project_number: int, request_id: str | None) -> Operation | None:
    """The operation a request with this ``requestId`` already made, if any."""
    if not request_id:
        return None
    return session.scalars(
        select(Operation).where(
            Operation.project_number == project_number, Operation.request_id == request_id
        )
    ).first()


def record(
    operations: Operations,
    session: Session,
    project_number: int,
    caller: Caller,
    target: Target,
    verb: str,
    target_id: int,
    *,
    done: bool,
) -> Operation:
    return operations.record_for_number(
        session,
        project_number,
        scope=target.scope,
        location=target.location,
        operation_type=verb,
        target_link=target.link,
        target_id=str(target_id),
        user=caller.email,
        done=done,
        request_id=target.request_id,
    )


def record_done(
    operations: Operations,
    session: Session,
    project_number: int,
    caller: Caller,
    target: Target,
    verb: str,
    target_id: int,
) -> Operation:
    return record(operations, session, project_number, caller, target, verb, target_id, done=True)
