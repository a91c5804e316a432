"""Predefined roles with Google's permission lists, loaded from ``roles.json``.

The basic roles are Google's lists restricted to the services Nimbus implements, and
nested as on Google Cloud: editor holds all of viewer, and ``roles/owner`` is completed
with every permission any role grants, so the owner can do everything Nimbus can.
(The lists come from snapshots of different dates; nesting keeps them consistent.)
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass
from pathlib import Path

_DATA = Path(__file__).with_name("roles.json")

# Permissions Nimbus checks that no Google role lists (Nimbus's own admin surface).
NIMBUS_PERMISSIONS = frozenset({"nimbus.users.mintCredentials"})


@dataclass(frozen=True)
class PredefinedRole:
    name: str
    title: str
    description: str
    stage: str
    permissions: frozenset[str]


class RoleCatalog:
    def __init__(self, roles: list[PredefinedRole]) -> None:
        every = frozenset().union(*(role.permissions for role in roles)) | NIMBUS_PERMISSIONS
        self._roles = {role.name: role for role in roles}
        viewer = self._roles.get("roles/viewer")
        if viewer is not None:
            self._widen("roles/editor", viewer.permissions)
        self._widen("roles/owner", every)
        self.all_permissions = every

    def _widen(self, name: str, extra: frozenset[str]) -> None:
        role = self._roles.get(name)
        if role is not None:
            self._roles[name] = dataclasses.replace(role, permissions=role.permissions | extra)

    def get(self, name: str) -> PredefinedRole | None:
        return self._roles.get(name)

    def names(self) -> list[str]:
        return sorted(self._roles)

    def roles(self) -> list[PredefinedRole]:
        return [self._roles[name] for name in self.names()]


@functools.cache
def load_catalog() -> RoleCatalog:
    raw = json.loads(_DATA.read_text())
    return RoleCatalog(
        [
            PredefinedRole(
                name=item["name"],
                title=item.get("title", ""),
                description=item.get("description", ""),
                stage=item.get("stage", "GA"),
                permissions=frozenset(item.get("includedPermissions", [])),
            )
            for item in raw["roles"]
        ]
    )
