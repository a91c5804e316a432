"""The policy evaluator: may this caller use this permission on this resource?

A resource is known by its ancestry of policy paths (organization → project →
resource). The caller holds a permission when some binding on any of those
policies names one of the caller's members with a role that includes it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import PermissionDenied, Unauthenticated
from nimbus.services.caller import ALL_AUTHENTICATED_USERS, ALL_USERS, Caller
from nimbus.services.iam.catalog import RoleCatalog
from nimbus.store.models import CustomRole, IamPolicy


class AnonymousDenied(Unauthenticated):
    """A permission the public does not hold. A 401 on the JSON API; the XML API
    (signed URLs, public links) answers 403 ``AccessDenied``, as Cloud Storage does."""


_POLICIES_OF = select(IamPolicy).where(IamPolicy.resource.in_(bindparam("chain", expanding=True)))


@dataclass(frozen=True)
class Target:
    """A resource as the evaluator sees it."""

    full_name: str
    chain: tuple[str, ...]
    # The project the resource lives in, for Cloud Storage's convenience members
    # (``projectOwner:ID``, ``projectEditor:ID``, ``projectViewer:ID``).
    project_id: str | None = None
    # Public access prevention: bindings to allUsers and allAuthenticatedUsers lapse.
    private: bool = False


class Authorizer:
    def __init__(self, catalog: RoleCatalog, clock: Clock) -> None:
        self.catalog = catalog
        self.clock = clock

    def check(self, session: Session, caller: Caller, permission: str, target: Target) -> None:
        """Raise 403 naming the permission unless the caller holds it on the target."""
        if self.permitted(session, caller, [permission], target):
            return
        if not caller.authenticated:
            raise AnonymousDenied(
                f"Anonymous caller does not have {permission} access to {target.full_name}. "
                "Request is missing required authentication credential."
            )
        raise PermissionDenied(
            f"Permission '{permission}' denied on resource '{target.full_name}' "
            "(or it may not exist)."
        )

    def permitted(
        self, session: Session, caller: Caller, permissions: Iterable[str], target: Target
    ) -> set[str]:
        """The subset of ``permissions`` the caller holds on the target."""
        policies = session.scalars(_POLICIES_OF, {"chain": list(target.chain)}).all()
        return self.permitted_by(
            policies,
            caller,
            permissions,
            target,
            lambda role: session.get(CustomRole, role),
        )

    def permitted_by(
        self,
        policies: Sequence[IamPolicy],
        caller: Caller,
        permissions: Iterable[str],
        target: Target,
        custom_role: Callable[[str], CustomRole | None],
    ) -> set[str]:
        """``permitted``, given the target's policies and a way to find custom roles."""
        wanted = set(permissions)
        granted: set[str] = set()
        for role in self.roles_in(policies, caller, target):
            granted |= self._role_permissions(role, custom_role) & wanted
            if granted == wanted:
                break
        return granted

    def roles_in(self, policies: Sequence[IamPolicy], caller: Caller, target: Target) -> list[str]:
        members = caller.members | self._convenience_members(policies, caller, target)
        if target.private:
            members -= {ALL_USERS, ALL_AUTHENTICATED_USERS}
        now = self.clock.now()
        roles: list[str] = []
        for policy in policies:
            for binding in policy.bindings:
                if members.isdisjoint(binding.get("members", ())):
                    continue
                if _condition_holds(binding.get("condition"), now):
                    roles.append(binding["role"])
        return roles

    def _convenience_members(
        self, policies: Sequence[IamPolicy], caller: Caller, target: Target
    ) -> frozenset[str]:
        """``projectOwner:P`` and the like, for a caller holding that basic role on P."""
        if target.project_id is None or not any(
            member.startswith(_CONVENIENCE_PREFIXES)
            for policy in policies
            for binding in policy.bindings
            for member in binding.get("members", ())
        ):
            return frozenset()
        held = {
            binding["role"]
            for policy in policies
            if policy.resource in target.chain[:2]
            for binding in policy.bindings
            if not caller.members.isdisjoint(binding.get("members", ()))
            and "condition" not in binding
        }
        return frozenset(
            f"{convenience}:{target.project_id}"
            for role, convenience in _CONVENIENCE.items()
            if role in held
        )

    def _role_permissions(
        self, role: str, custom_role: Callable[[str], CustomRole | None]
    ) -> frozenset[str]:
        predefined = self.catalog.get(role)
        if predefined is not None:
            return predefined.permissions
        custom = custom_role(role)
        if custom is None or custom.deleted or custom.stage == "DISABLED":
            return frozenset()
        return frozenset(custom.permissions)


_CONVENIENCE = {
    "roles/owner": "projectOwner",
    "roles/editor": "projectEditor",
    "roles/viewer": "projectViewer",
}
_CONVENIENCE_PREFIXES = tuple(f"{name}:" for name in _CONVENIENCE.values())

_TIME_CONDITION = re.compile(r'^\s*request\.time\s*(<|<=|>|>=)\s*timestamp\(\s*"([^"]+)"\s*\)\s*$')


def _condition_holds(condition: dict[str, str] | None, now: dt.datetime) -> bool:
    """IAM Conditions: time bounds are evaluated; any other expression grants nothing.

    Denying on an expression we cannot evaluate is the safe reading of a condition.
    """
    if not condition:
        return True
    clauses = [part for part in condition.get("expression", "").split("&&") if part.strip()]
    if not clauses:
        return False
    for clause in clauses:
        match = _TIME_CONDITION.match(clause)
        if match is None:
            return False
        try:
            bound = dt.datetime.fromisoformat(match.group(2).replace("Z", "+00:00"))
        except ValueError:
            return False
        holds = {"<": now < bound, "<=": now <= bound, ">": now > bound, ">=": now >= bound}
        if not holds[match.group(1)]:
            return False
    return True
