"""Projects rendered in Resource Manager's v1 and v3 shapes."""

from __future__ import annotations

from nimbus.core.clock import rfc3339
from nimbus.store.models import Organization, Project
from nimbus.wire.resourcemanager import (
    LongRunningOperation,
    OrganizationV1,
    ProjectV1,
    ProjectV3,
    ResourceId,
)

PROJECT_V1_TYPE = "type.googleapis.com/google.cloudresourcemanager.v1.Project"
PROJECT_V3_TYPE = "type.googleapis.com/google.cloud.resourcemanager.v3.Project"
V3_STATES = {"ACTIVE": "ACTIVE", "DELETE_REQUESTED": "DELETE_REQUESTED"}


def project_v1(project: Project) -> ProjectV1:
    kind, _, number = project.parent.partition("/")
    return ProjectV1(
        project_number=str(project.number),
        project_id=project.project_id,
        lifecycle_state=project.lifecycle_state,
        name=project.display_name,
        create_time=rfc3339(project.create_time),
        labels=project.labels or None,
        parent=ResourceId(type=kind.rstrip("s"), id=number),
    )


def project_v3(project: Project) -> ProjectV3:
    return ProjectV3(
        name=f"projects/{project.number}",
        parent=project.parent,
        project_id=project.project_id,
        state=V3_STATES.get(project.lifecycle_state, "STATE_UNSPECIFIED"),
        display_name=project.display_name,
        create_time=rfc3339(project.create_time),
        update_time=rfc3339(project.update_time),
        delete_time=rfc3339(project.delete_time) if project.delete_time else None,
        etag=project.etag,
        labels=project.labels or {},
    )


def done_operation(name: str, response: dict[str, object], type_url: str) -> LongRunningOperation:
    return LongRunningOperation(name=name, done=True, response={"@type": type_url, **response})


def organization_v1(org: Organization) -> OrganizationV1:
    return OrganizationV1(
        name=f"organizations/{org.number}",
        display_name=org.display_name,
        owner={"directoryCustomerId": f"C{org.number}"},
        creation_time=rfc3339(org.create_time),
    )
