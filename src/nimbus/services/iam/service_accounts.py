"""Service accounts (iam/v1): create, read, list, patch, disable, enable, delete, IAM."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import AlreadyExists, Conflict, InvalidArgument, NotFound
from nimbus.core.fingerprints import new_etag, same_tag
from nimbus.core.ids import new_unique_id_21
from nimbus.core.paging import Page, PageRequest, paginate
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer, Target
from nimbus.services.iam.policies import Policies
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import IamPolicy, Project, ServiceAccount
from nimbus.wire.iam import Policy, TestIamPermissionsResponse

_ACCOUNT_ID = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
IAM = "//iam.googleapis.com"


def account_email(account_id: str, project_id: str) -> str:
    return f"{account_id}@{project_id}.iam.gserviceaccount.com"


def account_target(project: Project, account: ServiceAccount) -> Target:
    return Target(
        full_name=f"{IAM}/projects/{project.project_id}/serviceAccounts/{account.email}",
        chain=(*hierarchy.project_target(project).chain, account_key(project, account)),
    )


def account_key(project: Project, account: ServiceAccount) -> str:
    return f"projects/{project.number}/serviceAccounts/{account.unique_id}"


def split_name(name: str) -> tuple[str, str]:
    """``projects/P/serviceAccounts/EMAIL_OR_ID`` → (P, EMAIL_OR_ID)."""
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "projects" or parts[2] != "serviceAccounts" or not parts[3]:
        raise InvalidArgument(f"Invalid service account name: '{name}'.")
    return parts[1], parts[3]


class ServiceAccounts:
    def __init__(
        self, db: Database, authorizer: Authorizer, policies: Policies, clock: Clock
    ) -> None:
        self.db = db
        self.authorizer = authorizer
        self.policies = policies
        self.clock = clock

    def create(
        self,
        caller: Caller,
        project_ref: str,
        account_id: str,
        display_name: str = "",
        description: str = "",
    ) -> tuple[Project, ServiceAccount]:
        if not (6 <= len(account_id) <= 30 and _ACCOUNT_ID.match(account_id)):
            raise InvalidArgument(
                f"Invalid account id '{account_id}': it must be 6 to 30 lowercase letters, "
                "digits or hyphens, start with a letter and not end with a hyphen."
            )
        if len(display_name) > 100 or len(description) > 256:
            raise InvalidArgument("displayName is at most 100 and description 256 characters.")
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "iam.serviceAccounts.create")
            email = account_email(account_id, project.project_id)
            if session.scalars(select(ServiceAccount).where(ServiceAccount.email == email)).first():
                raise AlreadyExists(
                    f"Service account {account_id} already exists within project "
                    f"projects/{project.project_id}."
                )
            account = self.insert(session, project, account_id, display_name, description)
            return project, account

    def insert(
        self,
        session: Session,
        project: Project,
        account_id: str,
        display_name: str = "",
        description: str = "",
        email: str | None = None,
    ) -> ServiceAccount:
        """Write an account with no permission check (bootstrap and other services)."""
        account = ServiceAccount(
            unique_id=new_unique_id_21(),
            email=email or account_email(account_id, project.project_id),
            project_number=project.number,
            account_id=account_id,
            display_name=display_name,
            description=description,
            disabled=False,
            etag=new_etag(),
            create_time=self.clock.now(),
        )
        session.add(account)
        session.flush()
        return account

    def get(self, caller: Caller, name: str) -> tuple[Project, ServiceAccount]:
        with self.db.read() as session:
            return self.resolve(session, caller, name, "iam.serviceAccounts.get")

    def list_in_project(
        self, caller: Caller, project_ref: str, page: PageRequest
    ) -> tuple[Project, Page[ServiceAccount]]:
        with self.db.read() as session:
            project = self._project(session, caller, project_ref, "iam.serviceAccounts.list")
            accounts = session.scalars(
                select(ServiceAccount)
                .where(ServiceAccount.project_number == project.number)
                .order_by(ServiceAccount.email)
            ).all()
            return project, paginate(list(accounts), [a.email for a in accounts], page)

    def patch(
        self,
        caller: Caller,
        name: str,
        *,
        display_name: str | None,
        description: str | None,
        etag: str | None = None,
    ) -> tuple[Project, ServiceAccount]:
        with self.db.write() as session:
            project, account = self.resolve(session, caller, name, "iam.serviceAccounts.update")
            if etag and not same_tag(etag, account.etag):
                raise Conflict("The service account was changed; read it again and retry.")
            if display_name is not None:
                account.display_name = display_name
            if description is not None:
                account.description = description
            account.etag = new_etag()
            return project, account

    def set_disabled(self, caller: Caller, name: str, disabled: bool) -> None:
        verb = "disable" if disabled else "enable"
        with self.db.write() as session:
            _, account = self.resolve(session, caller, name, f"iam.serviceAccounts.{verb}")
            account.disabled = disabled
            account.etag = new_etag()

    def delete(self, caller: Caller, name: str) -> None:
        with self.db.write() as session:
            project, account = self.resolve(session, caller, name, "iam.serviceAccounts.delete")
            policy = session.get(IamPolicy, account_key(project, account))
            if policy is not None:
                session.delete(policy)
            session.delete(account)

    def get_iam_policy(self, caller: Caller, name: str, version: int | None) -> Policy:
        permission = "iam.serviceAccounts.getIamPolicy"
        with self.db.read() as session:
            project, account = self.resolve(session, caller, name, permission)
            target = account_target(project, account)
            return self.policies.get(session, caller, target, permission, version)

    def set_iam_policy(
        self, caller: Caller, name: str, policy: Policy, update_mask: str | None
    ) -> Policy:
        permission = "iam.serviceAccounts.setIamPolicy"
        with self.db.write() as session:
            project, account = self.resolve(session, caller, name, permission)
            target = account_target(project, account)
            return self.policies.set(session, caller, target, permission, policy, update_mask)

    def test_iam_permissions(
        self, caller: Caller, name: str, permissions: list[str]
    ) -> TestIamPermissionsResponse:
        with self.db.read() as session:
            found = self._find(session, name)
            if found is None:
                return TestIamPermissionsResponse()
            return self.policies.test(session, caller, account_target(*found), permissions)

    def resolve(
        self, session: Session, caller: Caller, name: str, permission: str
    ) -> tuple[Project, ServiceAccount]:
        """The account named, once the caller holds ``permission`` on it."""
        found = self._find(session, name)
        if found is None:
            project_ref, account_ref = split_name(name)
            project = hierarchy.find_project(session, project_ref) if project_ref != "-" else None
            target = (
                hierarchy.project_target(project)
                if project is not None
                else hierarchy.missing_project_target(session, project_ref)
            )
            self.authorizer.check(session, caller, permission, target)
            raise NotFound(f"Service account {account_ref} does not exist.")
        self.authorizer.check(session, caller, permission, account_target(*found))
        return found

    def _find(self, session: Session, name: str) -> tuple[Project, ServiceAccount] | None:
        project_ref, account_ref = split_name(name)
        column = ServiceAccount.email if "@" in account_ref else ServiceAccount.unique_id
        account = session.scalars(select(ServiceAccount).where(column == account_ref)).first()
        if account is None:
            return None
        project = session.get(Project, account.project_number)
        if project is None:
            return None
        if project_ref != "-" and project_ref not in (project.project_id, str(project.number)):
            return None
        return project, account

    def _project(self, session: Session, caller: Caller, ref: str, permission: str) -> Project:
        return hierarchy.authorized_project(session, self.authorizer, caller, ref, permission)
