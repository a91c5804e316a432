"""Service Usage: which Google APIs a project has enabled (``gcloud services enable``).

Nimbus records the state, as a course's first steps expect; it does not refuse calls
to an API a project has not enabled.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import InvalidArgument, NotFound
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.resourcemanager import hierarchy
from nimbus.store.db import Database
from nimbus.store.models import Project, ProjectService

ENABLED = "ENABLED"
DISABLED = "DISABLED"

# The APIs Nimbus serves (or will), with their titles.
CATALOG = {
    "billingbudgets.googleapis.com": "Cloud Billing Budget API",
    # The umbrella gcloud enables in every project it creates.
    "cloudapis.googleapis.com": "Google Cloud APIs",
    "cloudbilling.googleapis.com": "Cloud Billing API",
    "cloudquotas.googleapis.com": "Cloud Quotas API",
    "cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
    "compute.googleapis.com": "Compute Engine API",
    "deploymentmanager.googleapis.com": "Cloud Deployment Manager V2 API",
    "iam.googleapis.com": "Identity and Access Management (IAM) API",
    "iamcredentials.googleapis.com": "IAM Service Account Credentials API",
    "oslogin.googleapis.com": "Cloud OS Login API",
    "recommender.googleapis.com": "Recommender API",
    "serviceusage.googleapis.com": "Service Usage API",
    "storage-api.googleapis.com": "Google Cloud Storage JSON API",
    "storage-component.googleapis.com": "Cloud Storage",
    "storage.googleapis.com": "Cloud Storage API",
}
# Enabled in every new project, as on Google Cloud.
DEFAULT_ENABLED = frozenset(
    {
        "cloudresourcemanager.googleapis.com",
        "serviceusage.googleapis.com",
        "storage-api.googleapis.com",
        "storage-component.googleapis.com",
        "storage.googleapis.com",
    }
)
MAX_BATCH = 20


@dataclass(frozen=True)
class ServiceState:
    project_number: int
    name: str
    title: str
    state: str


class ServiceUsage:
    def __init__(self, db: Database, authorizer: Authorizer, clock: Clock) -> None:
        self.db = db
        self.authorizer = authorizer
        self.clock = clock

    def list_services(self, caller: Caller, project_ref: str) -> list[ServiceState]:
        with self.db.read() as session:
            project = hierarchy.authorized_project(
                session, self.authorizer, caller, project_ref, "serviceusage.services.list"
            )
            stored = self._stored(session, project)
            return [self._state(project, name, stored) for name in sorted(CATALOG)]

    def get(self, caller: Caller, project_ref: str, service: str) -> ServiceState:
        _known(service)
        with self.db.read() as session:
            project = hierarchy.authorized_project(
                session, self.authorizer, caller, project_ref, "serviceusage.services.get"
            )
            return self._state(project, service, self._stored(session, project))

    def set_state(
        self, caller: Caller, project_ref: str, services: list[str], state: str
    ) -> list[ServiceState]:
        if not services or len(services) > MAX_BATCH:
            raise InvalidArgument(f"Give 1 to {MAX_BATCH} services at a time.")
        for service in services:
            _known(service)
        verb = "enable" if state == ENABLED else "disable"
        with self.db.write() as session:
            project = hierarchy.authorized_project(
                session, self.authorizer, caller, project_ref, f"serviceusage.services.{verb}"
            )
            for service in services:
                session.merge(
                    ProjectService(
                        project_number=project.number,
                        service=service,
                        state=state,
                        update_time=self.clock.now(),
                    )
                )
            session.flush()
            stored = self._stored(session, project)
            return [self._state(project, service, stored) for service in services]

    @staticmethod
    def _stored(session: Session, project: Project) -> dict[str, str]:
        rows = session.scalars(
            select(ProjectService).where(ProjectService.project_number == project.number)
        )
        return {row.service: row.state for row in rows}

    @staticmethod
    def _state(project: Project, service: str, stored: dict[str, str]) -> ServiceState:
        default = ENABLED if service in DEFAULT_ENABLED else DISABLED
        return ServiceState(project.number, service, CATALOG[service], stored.get(service, default))


def _known(service: str) -> None:
    if service not in CATALOG:
        raise NotFound(f"Service {service} not found or permission denied.")
