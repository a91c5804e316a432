"""Compute Engine's view of a project: its common instance metadata."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from nimbus.core.errors import PreconditionFailed
from nimbus.core.fingerprints import same_tag
from nimbus.services.caller import Caller
from nimbus.services.compute.metadata import metadata_fingerprint, validate_items
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.operations import states
from nimbus.services.operations.service import Operations
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import ComputeProject, Operation, Project


class ComputeProjects:
    def __init__(self, db: Database, authorizer: Authorizer, operations: Operations) -> None:
        self.db = db
        self.authorizer = authorizer
        self.operations = operations

    def get(self, caller: Caller, ref: str) -> tuple[Project, ComputeProject]:
        with self.db.read() as session:
            project = hierarchy.authorized_project(
                session, self.authorizer, caller, ref, "compute.projects.get"
            )
            return project, self._settings(session, project)

    def set_common_instance_metadata(
        self,
        caller: Caller,
        ref: str,
        items: list[dict[str, Any]],
        fingerprint: str | None,
        target_link: str,
    ) -> tuple[Project, Operation]:
        clean = validate_items(items)
        permission = "compute.projects.setCommonInstanceMetadata"
        with self.db.write() as session:
            project = hierarchy.authorized_project(
                session, self.authorizer, caller, ref, permission
            )
            settings = self._settings(session, project)
            if fingerprint is not None and not same_tag(fingerprint, settings.metadata_fingerprint):
                raise PreconditionFailed(
                    "Supplied fingerprint does not match current metadata fingerprint."
                )
            settings.metadata_items = clean
            settings.metadata_fingerprint = metadata_fingerprint(clean)
            session.add(settings)
            operation = self.operations.record(
                session,
                project,
                scope=states.GLOBAL,
                location="",
                operation_type="compute.projects.setCommonInstanceMetadata",
                target_link=target_link,
                target_id=str(project.number),
                user=caller.email,
                done=True,
            )
            return project, operation

    @staticmethod
    def _settings(session: Session, project: Project) -> ComputeProject:
        found = session.get(ComputeProject, project.number)
        if found is not None:
            return found
        return ComputeProject(
            project_number=project.number,
            metadata_items=[],
            metadata_fingerprint=metadata_fingerprint([]),
        )
