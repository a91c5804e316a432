"""Resource Manager v1: what gcloud and most tools speak."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, scopes
from nimbus.api.body import parse_body
from nimbus.api.deps import call, cloud_of
from nimbus.api.resourcemanager import views
from nimbus.api.responses import empty_response, json_response
from nimbus.core.errors import RequiredField
from nimbus.core.filters import compile_filter
from nimbus.core.paging import PageRequest, paginate
from nimbus.services.caller import Caller
from nimbus.services.resourcemanager.projects import ProjectSpec
from nimbus.wire.iam import GetIamPolicyRequest, SetIamPolicyRequest, TestIamPermissionsRequest
from nimbus.wire.resourcemanager import ListProjectsV1Response, ProjectV1Request

router = APIRouter(prefix="/v1")
Reader = Annotated[Caller, Depends(authenticated(scopes(read_only=True)))]
Writer = Annotated[Caller, Depends(authenticated(scopes()))]


@router.post("/projects/{project}:getIamPolicy")
async def get_iam_policy(project: str, request: Request, caller: Reader) -> Response:
    body = await parse_body(request, GetIamPolicyRequest, allow_empty=True)
    version = body.options.requested_policy_version if body.options else None
    policy = await call(cloud_of(request).projects.get_iam_policy, caller, project, version)
    return json_response(policy)


@router.post("/projects/{project}:setIamPolicy")
async def set_iam_policy(project: str, request: Request, caller: Writer) -> Response:
    body = await parse_body(request, SetIamPolicyRequest)
    projects = cloud_of(request).projects
    policy = await call(projects.set_iam_policy, caller, project, body.policy, body.update_mask)
    return json_response(policy)


@router.post("/projects/{project}:testIamPermissions")
async def test_iam_permissions(project: str, request: Request, caller: Reader) -> Response:
    body = await parse_body(request, TestIamPermissionsRequest, allow_empty=True)
    projects = cloud_of(request).projects
    return json_response(
        await call(projects.test_iam_permissions, caller, project, body.permissions)
    )


@router.post("/projects/{project}:undelete")
async def undelete_project(project: str, request: Request, caller: Writer) -> Response:
    await parse_body(request, GetIamPolicyRequest, allow_empty=True)
    await call(cloud_of(request).projects.undelete, caller, project)
    return empty_response()


@router.post("/projects")
async def create_project(request: Request, caller: Writer) -> Response:
    body = await parse_body(request, ProjectV1Request)
    if not body.project_id:
        raise RequiredField("Field 'projectId' is required.")
    parent = f"{body.parent.type}s/{body.parent.id}" if body.parent else None
    spec = ProjectSpec(body.project_id, body.name, body.labels, parent)
    project = await call(cloud_of(request).projects.create, caller, spec)
    operation = views.done_operation(
        f"operations/cp.{project.number}",
        views.project_v1(project).dump(),
        views.PROJECT_V1_TYPE,
    )
    return json_response(operation)


@router.get("/projects")
async def list_projects(
    request: Request,
    caller: Reader,
    filter: str | None = None,
    page_size: Annotated[int | None, Query(alias="pageSize")] = None,
    page_token: Annotated[str | None, Query(alias="pageToken")] = None,
) -> Response:
    matches = compile_filter(filter)
    projects = await call(cloud_of(request).projects.list_visible, caller)
    shown = [p for p in (views.project_v1(p) for p in projects) if matches(_v1_fields(p.dump()))]
    page = paginate(shown, [p.project_id for p in shown], PageRequest.parse(page_size, page_token))
    return json_response(
        ListProjectsV1Response(projects=page.items, next_page_token=page.next_page_token)
    )


@router.get("/projects/{project}")
async def get_project(project: str, request: Request, caller: Reader) -> Response:
    found = await call(cloud_of(request).projects.get, caller, project)
    return json_response(views.project_v1(found))


@router.put("/projects/{project}")
async def update_project(project: str, request: Request, caller: Writer) -> Response:
    body = await parse_body(request, ProjectV1Request)
    projects = cloud_of(request).projects
    updated = await call(
        projects.update, caller, project, display_name=body.name, labels=body.labels or {}
    )
    return json_response(views.project_v1(updated))


@router.delete("/projects/{project}")
async def delete_project(project: str, request: Request, caller: Writer) -> Response:
    await call(cloud_of(request).projects.delete, caller, project)
    return empty_response()


@router.get("/operations/{name:path}")
async def get_operation(name: str, request: Request, caller: Reader) -> Response:
    """Project creation finishes at once, so its operation is always done."""
    number = name.removeprefix("cp.")
    found = await call(cloud_of(request).projects.get, caller, number)
    operation = views.done_operation(
        f"operations/{name}", views.project_v1(found).dump(), views.PROJECT_V1_TYPE
    )
    return json_response(operation)


def _v1_fields(project: dict[str, object]) -> dict[str, object]:
    """v1 filters say ``id`` for the project id (and ``name`` for the display name)."""
    return {**project, "id": project["projectId"]}
