"""Where resources sit: the single organization, projects by id or number, their targets."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.errors import FailedPrecondition, NotFound
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer, Target
from nimbus.store.models import Organization, Project

CRM = "//cloudresourcemanager.googleapis.com"
ACTIVE = "ACTIVE"
DELETE_REQUESTED = "DELETE_REQUESTED"


def organization(session: Session) -> Organization:
    org = session.scalars(select(Organization).limit(1)).first()
    if org is None:
        raise FailedPrecondition("This Nimbus has no organization yet; start it with `nimbus up`.")
    return org


def org_target(org: Organization) -> Target:
    return Target(full_name=f"{CRM}/organizations/{org.number}", chain=(org_key(org.number),))


def org_key(number: int) -> str:
    return f"organizations/{number}"


def project_key(project: Project) -> str:
    return f"projects/{project.number}"


def project_target(project: Project) -> Target:
    return Target(
        full_name=f"{CRM}/projects/{project.project_id}",
        chain=(project.parent, project_key(project)),
    )


def missing_project_target(session: Session, ref: str) -> Target:
    """The target of a project that does not exist: only its ancestors can grant."""
    return Target(full_name=f"{CRM}/projects/{ref}", chain=(org_key(organization(session).number),))


def find_project(session: Session, ref: str) -> Project | None:
    """A project by id or by number."""
    if ref.isdigit():
        return session.get(Project, int(ref))
    return session.scalars(select(Project).where(Project.project_id == ref)).first()


def active_project(session: Session, ref: str) -> Project:
    """The project every other service works in; deleted projects are gone for them."""
    project = find_project(session, ref)
    if project is None or project.lifecycle_state != ACTIVE:
        raise NotFound(f"The resource 'projects/{ref}' was not found")
    return project


def authorized_project(
    session: Session,
    authorizer: Authorizer,
    caller: Caller,
    ref: str,
    permission: str,
    *,
    include_deleted: bool = False,
) -> Project:
    """A project, once the caller holds ``permission`` on it.

    Projects marked for deletion are gone for every service but Resource Manager
    (``include_deleted``). A missing project is a 404 only for callers allowed to know
    that (those holding the permission above it); others get the 403 of a hidden one.
    """
    project = find_project(session, ref)
    if project is None or not (include_deleted or project.lifecycle_state == ACTIVE):
        authorizer.check(session, caller, permission, missing_project_target(session, ref))
        raise NotFound(f"The resource 'projects/{ref}' was not found")
    authorizer.check(session, caller, permission, project_target(project))
    return project


def lock_project(session: Session, project_number: int) -> None:
    """Hold the project's row until commit, so that writers which first count or
    first create (quotas, a default network) take turns. SQLite needs no lock: it
    already runs one writer at a time."""
    if session.get_bind().dialect.name != "sqlite":
        session.execute(
            select(Project.number).where(Project.number == project_number).with_for_update()
        )
