"""Projects: create, read, list, relabel, delete and undelete, and their IAM policies."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import (
    AlreadyExists,
    Conflict,
    FailedPrecondition,
    InvalidArgument,
    Unauthenticated,
)
from nimbus.core.fingerprints import new_etag, same_tag
from nimbus.core.ids import new_project_number
from nimbus.core.labels import validate_labels
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.iam.policies import Policies
from nimbus.services.resourcemanager import hierarchy
from nimbus.services.resourcemanager.project_ids import validate_display_name, validate_project_id
from nimbus.store.db import Database
from nimbus.store.models import IamPolicy, Project
from nimbus.wire.iam import Policy, TestIamPermissionsResponse


@dataclass(frozen=True)
class ProjectSpec:
    project_id: str
    display_name: str | None = None
    labels: dict[str, str] | None = None
    parent: str | None = None


class Projects:
    def __init__(
        self, db: Database, authorizer: Authorizer, policies: Policies, clock: Clock
    ) -> None:
        self.db = db
        self.authorizer = authorizer
        self.policies = policies
        self.clock = clock

    def create(self, caller: Caller, spec: ProjectSpec) -> Project:
        project_id = validate_project_id(spec.project_id)
        display_name = validate_display_name(spec.display_name or project_id)
        labels = validate_labels(spec.labels)
        try:
            with self.db.write() as session:
                org = hierarchy.organization(session)
                parent = spec.parent or hierarchy.org_key(org.number)
                if parent != hierarchy.org_key(org.number):
                    raise InvalidArgument(f"Parent '{parent}' does not exist.")
                target = hierarchy.org_target(org)
                self.authorizer.check(session, caller, "resourcemanager.projects.create", target)
                if hierarchy.find_project(session, project_id) is not None:
                    raise AlreadyExists(
                        f"Requested entity already exists: project id '{project_id}' is taken."
                    )
                now = self.clock.now()
                project = Project(
                    number=new_project_number(),
                    project_id=project_id,
                    display_name=display_name,
                    parent=parent,
                    lifecycle_state=hierarchy.ACTIVE,
                    labels=labels,
                    etag=new_etag(),
                    create_time=now,
                    update_time=now,
                )
                session.add(project)
                session.flush()
                self._make_creator_owner(session, caller, project)
                return project
        except IntegrityError as exc:
            raise AlreadyExists(
                f"Requested entity already exists: project id '{project_id}' is taken."
            ) from exc

    def _make_creator_owner(self, session: Session, caller: Caller, project: Project) -> None:
        """As on Google Cloud, whoever creates a project owns it."""
        if not caller.authenticated:
            return
        policy = Policy.model_validate(
            {"bindings": [{"role": "roles/owner", "members": [caller.principal]}]}
        )
        row_target = hierarchy.project_target(project)
        key = row_target.chain[-1]
        session.add(
            IamPolicy(
                resource=key,
                version=1,
                etag=new_etag(),
                bindings=[b.dump() for b in policy.bindings or []],
                audit_configs=[],
                update_time=self.clock.now(),
            )
        )

    def get(self, caller: Caller, ref: str) -> Project:
        with self.db.read() as session:
            return self._authorized(session, caller, ref, "resourcemanager.projects.get")

    def list_visible(self, caller: Caller) -> list[Project]:
        """Every project the caller may see, sorted by project id."""
        if not caller.authenticated:
            raise Unauthenticated("Request is missing required authentication credential.")
        with self.db.read() as session:
            projects = session.scalars(select(Project).order_by(Project.project_id)).all()
            org = hierarchy.organization(session)
            permission = "resourcemanager.projects.get"
            if self.authorizer.permitted(session, caller, [permission], hierarchy.org_target(org)):
                return list(projects)
            return [
                project
                for project in projects
                if self.authorizer.permitted(
                    session, caller, [permission], hierarchy.project_target(project)
                )
            ]

    def update(
        self,
        caller: Caller,
        ref: str,
        *,
        display_name: str | None = None,
        labels: dict[str, str] | None = None,
        etag: str | None = None,
    ) -> Project:
        clean_labels = validate_labels(labels) if labels is not None else None
        clean_name = validate_display_name(display_name) if display_name is not None else None
        with self.db.write() as session:
            project = self._authorized(session, caller, ref, "resourcemanager.projects.update")
            if project.lifecycle_state != hierarchy.ACTIVE:
                raise FailedPrecondition(f"Project '{project.project_id}' is being deleted.")
            if etag is not None and not same_tag(etag, project.etag):
                raise Conflict(
                    f"The etag of project '{project.project_id}' is stale; read it again and retry."
                )
            if clean_labels is not None:
                project.labels = clean_labels
            if clean_name is not None:
                project.display_name = clean_name
            project.etag = new_etag()
            project.update_time = self.clock.now()
            return project

    def delete(self, caller: Caller, ref: str) -> Project:
        with self.db.write() as session:
            project = self._authorized(session, caller, ref, "resourcemanager.projects.delete")
            if project.lifecycle_state != hierarchy.ACTIVE:
                raise FailedPrecondition(
                    f"Project '{project.project_id}' is already marked for deletion."
                )
            project.lifecycle_state = hierarchy.DELETE_REQUESTED
            project.delete_time = project.update_time = self.clock.now()
            project.etag = new_etag()
            return project

    def undelete(self, caller: Caller, ref: str) -> Project:
        with self.db.write() as session:
            project = self._authorized(session, caller, ref, "resourcemanager.projects.undelete")
            if project.lifecycle_state != hierarchy.DELETE_REQUESTED:
                raise FailedPrecondition(f"Project '{project.project_id}' is not deleted.")
            project.lifecycle_state = hierarchy.ACTIVE
            project.delete_time = None
            project.update_time = self.clock.now()
            project.etag = new_etag()
            return project

    def get_iam_policy(self, caller: Caller, ref: str, requested_version: int | None) -> Policy:
        with self.db.read() as session:
            project = self._authorized(
                session, caller, ref, "resourcemanager.projects.getIamPolicy"
            )
            return self.policies.get(
                session,
                caller,
                hierarchy.project_target(project),
                "resourcemanager.projects.getIamPolicy",
                requested_version,
            )

    def set_iam_policy(
        self, caller: Caller, ref: str, policy: Policy, update_mask: str | None
    ) -> Policy:
        with self.db.write() as session:
            project = self._authorized(
                session, caller, ref, "resourcemanager.projects.setIamPolicy"
            )
            return self.policies.set(
                session,
                caller,
                hierarchy.project_target(project),
                "resourcemanager.projects.setIamPolicy",
                policy,
                update_mask,
            )

    def test_iam_permissions(
        self, caller: Caller, ref: str, permissions: list[str]
    ) -> TestIamPermissionsResponse:
        with self.db.read() as session:
            project = hierarchy.find_project(session, ref)
            if project is None:
                return TestIamPermissionsResponse()
            return self.policies.test(
                session, caller, hierarchy.project_target(project), permissions
            )

    def _authorized(self, session: Session, caller: Caller, ref: str, permission: str) -> Project:
        return hierarchy.authorized_project(
            session, self.authorizer, caller, ref, permission, include_deleted=True
        )
