"""Cloud Resource Manager shapes: v1 (``projectId``, ``lifecycleState``) and v3."""

from __future__ import annotations

from pydantic import Field

from nimbus.wire.base import Wire, WireRequest


class ResourceId(Wire):
    type: str
    id: str


class ProjectV1(Wire):
    project_number: str
    project_id: str
    lifecycle_state: str
    name: str
    create_time: str
    labels: dict[str, str] | None = None
    parent: ResourceId | None = None


class ProjectV1Request(WireRequest):
    project_id: str | None = None
    name: str | None = None
    labels: dict[str, str] | None = None
    parent: ResourceId | None = None
    # Echoed back by clients on update; ignored.
    project_number: str | None = None
    lifecycle_state: str | None = None
    create_time: str | None = None


class ListProjectsV1Response(Wire):
    projects: list[ProjectV1] | None = None
    next_page_token: str | None = None


class ProjectV3(Wire):
    name: str
    parent: str
    project_id: str
    state: str
    display_name: str
    create_time: str
    update_time: str
    delete_time: str | None = None
    etag: str
    labels: dict[str, str] = Field(default_factory=dict)


class ProjectV3Request(WireRequest):
    project_id: str | None = None
    display_name: str | None = None
    labels: dict[str, str] | None = None
    parent: str | None = None
    name: str | None = None
    # Echoed back on update; the official clients send enums as numbers (enum-encoding=int).
    state: str | int | None = None
    etag: str | None = None
    create_time: str | None = None
    update_time: str | None = None
    delete_time: str | None = None


class ListProjectsV3Response(Wire):
    projects: list[ProjectV3] | None = None
    next_page_token: str | None = None


class LongRunningOperation(Wire):
    """``google.longrunning.Operation``, as Resource Manager returns it."""

    name: str
    done: bool
    metadata: dict[str, object] | None = None
    response: dict[str, object] | None = None
    error: dict[str, object] | None = None


class OrganizationV1(Wire):
    name: str
    display_name: str
    owner: dict[str, str]
    creation_time: str
    lifecycle_state: str = "ACTIVE"


class SearchOrganizationsV1Response(Wire):
    organizations: list[OrganizationV1] | None = None
    next_page_token: str | None = None
