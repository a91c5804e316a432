"""The organization at the top of the hierarchy, and its IAM policy."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nimbus.core.errors import NotFound
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.iam.policies import Policies
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import Organization
from nimbus.wire.iam import Policy, TestIamPermissionsResponse


class Organizations:
    def __init__(self, db: Database, authorizer: Authorizer, policies: Policies) -> None:
        self.db = db
        self.authorizer = authorizer
        self.policies = policies

    def get(self, caller: Caller, ref: str) -> Organization:
        with self.db.read() as session:
            return self._authorized(session, caller, ref, "resourcemanager.organizations.get")

    def search(self, caller: Caller) -> list[Organization]:
        with self.db.read() as session:
            org = hierarchy.organization(session)
            permission = "resourcemanager.organizations.get"
            visible = self.authorizer.permitted(
                session, caller, [permission], hierarchy.org_target(org)
            )
            return [org] if visible else []

    def get_iam_policy(self, caller: Caller, ref: str, version: int | None) -> Policy:
        permission = "resourcemanager.organizations.getIamPolicy"
        with self.db.read() as session:
            org = self._authorized(session, caller, ref, permission)
            target = hierarchy.org_target(org)
            return self.policies.get(session, caller, target, permission, version)

    def set_iam_policy(
        self, caller: Caller, ref: str, policy: Policy, update_mask: str | None
    ) -> Policy:
        permission = "resourcemanager.organizations.setIamPolicy"
        with self.db.write() as session:
            org = self._authorized(session, caller, ref, permission)
            target = hierarchy.org_target(org)
            return self.policies.set(session, caller, target, permission, policy, update_mask)

    def test_iam_permissions(
        self, caller: Caller, ref: str, permissions: list[str]
    ) -> TestIamPermissionsResponse:
        with self.db.read() as session:
            org = hierarchy.organization(session)
            if ref != str(org.number):
                return TestIamPermissionsResponse()
            return self.policies.test(session, caller, hierarchy.org_target(org), permissions)

    def _authorized(
        self, session: Session, caller: Caller, ref: str, permission: str
    ) -> Organization:
        org = hierarchy.organization(session)
        self.authorizer.check(session, caller, permission, hierarchy.org_target(org))
        if ref != str(org.number):
            raise NotFound(f"The resource 'organizations/{ref}' was not found")
        return org
