"""Roles: the predefined catalog, and custom roles defined on a project."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import AlreadyExists, Conflict, InvalidArgument, NotFound
from nimbus.core.fingerprints import new_etag, same_tag
from nimbus.core.paging import Page, PageRequest, paginate
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.iam.catalog import PredefinedRole, RoleCatalog
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import CustomRole, Project

_ROLE_ID = re.compile(r"^[a-zA-Z0-9_.]{3,64}$")
_STAGES = ("ALPHA", "BETA", "GA", "DEPRECATED", "DISABLED", "EAP")
MAX_PERMISSIONS = 3000


@dataclass(frozen=True)
class RoleView:
    name: str
    title: str
    description: str
    stage: str
    permissions: list[str]
    etag: str | None = None
    deleted: bool = False


def _predefined_view(role: PredefinedRole) -> RoleView:
    return RoleView(role.name, role.title, role.description, role.stage, sorted(role.permissions))


def _custom_view(row: CustomRole) -> RoleView:
    return RoleView(
        row.name,
        row.title,
        row.description,
        row.stage,
        sorted(row.permissions),
        row.etag,
        row.deleted,
    )


@dataclass(frozen=True)
class CustomRoleSpec:
    title: str | None = None
    description: str | None = None
    permissions: list[str] | None = None
    stage: str | None = None


class Roles:
    def __init__(
        self, db: Database, authorizer: Authorizer, catalog: RoleCatalog, clock: Clock
    ) -> None:
        self.db = db
        self.authorizer = authorizer
        self.catalog = catalog
        self.clock = clock

    def list_predefined(self, page: PageRequest) -> Page[RoleView]:
        views = [_predefined_view(role) for role in self.catalog.roles()]
        return paginate(views, [v.name for v in views], page)

    def testable_permissions(self, full_resource_name: str, page: PageRequest) -> Page[str]:
        """The permissions that can be tested on (and granted by a custom role over) a
        resource: on a project, folder or organization, every one; on a resource of one
        service (``//storage.googleapis.com/...``), that service's. gcloud names a
        project after its Resource Manager endpoint, this server when overridden."""
        service, _, path = full_resource_name.removeprefix("//").partition("/")
        if not full_resource_name.startswith("//") or not service or not path:
            raise InvalidArgument(
                f"Invalid value for field 'fullResourceName': '{full_resource_name}'."
            )
        names = sorted(self.catalog.all_permissions)
        if service.endswith(".googleapis.com") and service != "cloudresourcemanager.googleapis.com":
            prefix = service.removesuffix(".googleapis.com") + "."
            names = [name for name in names if name.startswith(prefix)]
        return paginate(names, names, page)

    def get_predefined(self, name: str) -> RoleView:
        role = self.catalog.get(name)
        if role is None:
            raise NotFound(f"The role named {name} was not found.")
        return _predefined_view(role)

    def list_custom(
        self, caller: Caller, project_ref: str, page: PageRequest, show_deleted: bool
    ) -> Page[RoleView]:
        with self.db.read() as session:
            project = self._project(session, caller, project_ref, "iam.roles.list")
            rows = session.scalars(
                select(CustomRole)
                .where(CustomRole.parent == hierarchy.project_key(project))
                .order_by(CustomRole.name)
            ).all()
            views = [_custom_view(r) for r in rows if show_deleted or not r.deleted]
            return paginate(views, [v.name for v in views], page)

    def get_custom(self, caller: Caller, name: str) -> RoleView:
        with self.db.read() as session:
            row = self._custom(session, caller, name, "iam.roles.get")
            return _custom_view(row)

    def create_custom(
        self, caller: Caller, project_ref: str, role_id: str, spec: CustomRoleSpec
    ) -> RoleView:
        if not _ROLE_ID.match(role_id):
            raise InvalidArgument(
                f"Invalid role id '{role_id}': 3 to 64 letters, digits, underscores or periods."
            )
        permissions = self._valid_permissions(spec.permissions or [])
        stage = self._valid_stage(spec.stage or "GA")
        with self.db.write() as session:
            project = self._project(session, caller, project_ref, "iam.roles.create")
            key = self._key(project, role_id)
            if session.get(CustomRole, key) is not None:
                raise AlreadyExists(
                    f"A role named {role_id} in projects/{project.project_id} already exists."
                )
            row = CustomRole(
                name=key,
                parent=hierarchy.project_key(project),
                title=spec.title or role_id,
                description=spec.description or "",
                stage=stage,
                permissions=permissions,
                deleted=False,
                etag=new_etag(),
                create_time=self.clock.now(),
            )
            session.add(row)
            return _custom_view(row)

    def update_custom(
        self, caller: Caller, name: str, spec: CustomRoleSpec, etag: str | None
    ) -> RoleView:
        with self.db.write() as session:
            row = self._custom(session, caller, name, "iam.roles.update")
            if etag is not None and not same_tag(etag, row.etag):
                raise Conflict("The role was changed; read it again and retry.")
            if spec.title is not None:
                row.title = spec.title
            if spec.description is not None:
                row.description = spec.description
            if spec.permissions is not None:
                row.permissions = self._valid_permissions(spec.permissions)
            if spec.stage is not None:
                row.stage = self._valid_stage(spec.stage)
            row.etag = new_etag()
            return _custom_view(row)

    def set_deleted(self, caller: Caller, name: str, deleted: bool) -> RoleView:
        permission = "iam.roles.delete" if deleted else "iam.roles.undelete"
        with self.db.write() as session:
            row = self._custom(session, caller, name, permission)
            row.deleted = deleted
            row.etag = new_etag()
            return _custom_view(row)

    def _valid_permissions(self, permissions: list[str]) -> list[str]:
        if len(permissions) > MAX_PERMISSIONS:
            raise InvalidArgument(f"A role may hold at most {MAX_PERMISSIONS} permissions.")
        unknown = sorted(set(permissions) - self.catalog.all_permissions)
        if unknown:
            raise InvalidArgument(f"Permission {unknown[0]} is not valid.")
        return sorted(set(permissions))

    @staticmethod
    def _valid_stage(stage: str) -> str:
        if stage not in _STAGES:
            raise InvalidArgument(f"Invalid role stage '{stage}'.")
        return stage

    @staticmethod
    def _key(project: Project, role_id: str) -> str:
        """Custom roles are bound by this name, so it is also their key."""
        return f"projects/{project.project_id}/roles/{role_id}"

    def _custom(self, session: Session, caller: Caller, name: str, permission: str) -> CustomRole:
        parts = name.split("/")
        if len(parts) != 4 or parts[0] != "projects" or parts[2] != "roles":
            raise InvalidArgument(f"Invalid role name: '{name}'.")
        project = self._project(session, caller, parts[1], permission)
        row = session.get(CustomRole, self._key(project, parts[3]))
        if row is None:
            raise NotFound(f"The role named {name} was not found.")
        return row

    def _project(self, session: Session, caller: Caller, ref: str, permission: str) -> Project:
        return hierarchy.authorized_project(session, self.authorizer, caller, ref, permission)
