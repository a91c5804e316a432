"""Reading and writing allow policies, the same code for every resource that has one.

Writes are compare-and-set on the etag: a policy written with a stale etag is
refused with 409 ABORTED, as Google does, and changes nothing.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import Conflict, InvalidArgument
from nimbus.core.fingerprints import new_etag, same_tag
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer, Target
from nimbus.services.iam.principals import is_service_account_email, validate_member
from nimbus.store.models import CustomRole, IamPolicy, ServiceAccount
from nimbus.wire.iam import Binding, Policy, TestIamPermissionsResponse

EMPTY_ETAG = "ACAB"
MAX_MEMBERS = 1500


class Policies:
    def __init__(self, authorizer: Authorizer, clock: Clock) -> None:
        self.authorizer = authorizer
        self.clock = clock

    def get(
        self,
        session: Session,
        caller: Caller,
        target: Target,
        permission: str,
        requested_version: int | None = None,
    ) -> Policy:
        self.authorizer.check(session, caller, permission, target)
        if requested_version not in (None, 0, 1, 3):
            raise InvalidArgument(
                f"Invalid requested policy version: {requested_version}. "
                "Valid versions are 0, 1 and 3."
            )
        return self.read(session, target.chain[-1])

    def read(self, session: Session, key: str) -> Policy:
        row = session.get(IamPolicy, key)
        if row is None:
            return Policy(version=1, etag=EMPTY_ETAG)
        return _render(row)

    def set(
        self,
        session: Session,
        caller: Caller,
        target: Target,
        permission: str,
        policy: Policy,
        update_mask: str | None = None,
    ) -> Policy:
        self.authorizer.check(session, caller, permission, target)
        key = target.chain[-1]
        mask = {field.strip() for field in (update_mask or "bindings,etag").split(",")}
        unknown = mask - {"bindings", "etag", "auditConfigs", "version"}
        if unknown:
            raise InvalidArgument(f"Invalid update mask field: {sorted(unknown)[0]}")
        row = session.get(IamPolicy, key, with_for_update=True)
        current_etag = row.etag if row is not None else EMPTY_ETAG
        if policy.etag is not None and not same_tag(policy.etag, current_etag):
            raise Conflict(
                "There were concurrent policy changes. Please retry the whole "
                "read-modify-write with exponential backoff."
            )
        bindings = (
            self._validated_bindings(session, target, policy)
            if "bindings" in mask
            else (row.bindings if row is not None else [])
        )
        audit = (
            [c.dump() for c in policy.audit_configs or []]
            if "auditConfigs" in mask
            else (row.audit_configs if row is not None else [])
        )
        version = 3 if any("condition" in b for b in bindings) else 1
        if row is None:
            row = IamPolicy(resource=key)
            session.add(row)
        row.bindings = bindings
        row.audit_configs = audit
        row.version = version
        row.etag = new_etag()
        row.update_time = self.clock.now()
        session.flush()
        return _render(row)

    def test(
        self, session: Session, caller: Caller, target: Target, permissions: list[str]
    ) -> TestIamPermissionsResponse:
        for permission in permissions:
            if "*" in permission or permission.count(".") < 2:
                raise InvalidArgument(f"Permission {permission} is not valid.")
        granted = self.authorizer.permitted(session, caller, permissions, target)
        held = [p for p in permissions if p in granted]
        return TestIamPermissionsResponse(permissions=held or None)

    def _validated_bindings(
        self, session: Session, target: Target, policy: Policy
    ) -> list[dict[str, Any]]:
        version = policy.version or 1
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        total_members = 0
        for binding in policy.bindings or []:
            if binding.condition is not None and version < 3:
                raise InvalidArgument(
                    "Conditions are only supported in policy version 3; "
                    f"the policy sets version {version}."
                )
            self._check_role(session, target, binding)
            members = [self._check_member(session, m) for m in binding.members]
            if not members:
                continue
            condition = binding.condition.dump() if binding.condition else None
            key = (binding.role, repr(sorted(condition.items())) if condition else "")
            entry = merged.setdefault(key, {"role": binding.role, "members": []})
            if condition:
                entry["condition"] = condition
            for member in members:
                if member not in entry["members"]:
                    entry["members"].append(member)
                    total_members += 1
        if total_members > MAX_MEMBERS:
            raise InvalidArgument(f"A policy may hold at most {MAX_MEMBERS} principals.")
        for entry in merged.values():
            entry["members"].sort()
        return sorted(merged.values(), key=lambda b: (b["role"], "condition" in b))

    def _check_role(self, session: Session, target: Target, binding: Binding) -> None:
        role = binding.role
        if self.authorizer.catalog.get(role) is not None:
            return
        parent = role.rsplit("/roles/", 1)[0] if "/roles/" in role else None
        if parent is not None and _custom_role_visible(session, role, parent, target):
            return
        raise InvalidArgument(f"Role {role} is not supported for this resource.")

    def _check_member(self, session: Session, member: str) -> str:
        validate_member(member)
        kind, _, email = member.partition(":")
        if (
            kind == "serviceAccount"
            and is_service_account_email(email)
            and not _SERVICE_AGENT.match(email)
        ):
            known = session.query(ServiceAccount.unique_id).filter_by(email=email).first()
            if known is None:
                raise InvalidArgument(f"Service account {email} does not exist.")
        return member


# Google's service agents (``service-<project number>@gs-project-accounts...``, the one
# ``storage.projects.serviceAccount.get`` names) are Google-managed: they exist in no
# project's list of accounts, yet policies may grant them roles.
_SERVICE_AGENT = re.compile(r"^service-\d+@[a-z0-9-]+\.iam\.gserviceaccount\.com$")


def _custom_role_visible(session: Session, role: str, parent: str, target: Target) -> bool:
    row = session.get(CustomRole, role)
    if row is None or row.deleted:
        return False
    return any(key == row.parent for key in target.chain)


def _render(row: IamPolicy) -> Policy:
    return Policy.model_validate(
        {
            "version": row.version,
            "bindings": row.bindings or None,
            "auditConfigs": row.audit_configs or None,
            "etag": row.etag,
        }
    )
