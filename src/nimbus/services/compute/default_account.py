"""The project's default compute service account, made as Google makes it: on first use,
``PROJECT_NUMBER-compute@developer.gserviceaccount.com``, editor on the project."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import InvalidArgument
from nimbus.core.fingerprints import new_etag
from nimbus.services.iam.service_accounts import ServiceAccounts
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.models import IamPolicy, Project, ServiceAccount

EDITOR = "roles/editor"


def default_account_email(project_number: int) -> str:
    return f"{project_number}-compute@developer.gserviceaccount.com"


def ensure_default_account(
    session: Session, accounts: ServiceAccounts, project: Project, clock: Clock
) -> ServiceAccount:
    email = default_account_email(project.number)
    found = session.scalars(select(ServiceAccount).where(ServiceAccount.email == email)).first()
    if found is not None:
        return found
    # First use: concurrent first uses of a project take turns, then look again.
    hierarchy.lock_project(session, project.number)
    found = session.scalars(select(ServiceAccount).where(ServiceAccount.email == email)).first()
    if found is not None:
        return found
    account = accounts.insert(
        session,
        project,
        f"{project.number}-compute",
        "Compute Engine default service account",
        email=email,
    )
    _grant(session, hierarchy.project_key(project), EDITOR, f"serviceAccount:{email}", clock)
    return account


def instance_account(
    session: Session, accounts: ServiceAccounts, project: Project, email: str, clock: Clock
) -> ServiceAccount:
    """The account an instance runs as: ``default`` or an account of the project."""
    if email == "default":
        return ensure_default_account(session, accounts, project, clock)
    found = session.scalars(select(ServiceAccount).where(ServiceAccount.email == email)).first()
    if found is None:
        raise InvalidArgument(f"The resource '{email}' of type 'serviceAccount' was not found.")
    return found


def _grant(session: Session, key: str, role: str, member: str, clock: Clock) -> None:
    row = session.get(IamPolicy, key)
    if row is None:
        row = IamPolicy(resource=key, version=1, bindings=[], audit_configs=[])
        session.add(row)
    bindings = [dict(b) for b in row.bindings or []]
    for binding in bindings:
        if binding["role"] == role and "condition" not in binding:
            if member not in binding["members"]:
                binding["members"] = [*binding["members"], member]
            break
    else:
        bindings.append({"role": role, "members": [member]})
    row.bindings = bindings
    row.etag = new_etag()
    row.update_time = clock.now()
