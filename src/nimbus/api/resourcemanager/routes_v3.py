"""Resource Manager v3: what the ``google-cloud-resource-manager`` client speaks.

Projects are named ``projects/{number}`` (a project id is accepted too). Every write
returns a ``google.longrunning.Operation`` that is already done; its name says which
kind it was (``cp.``, ``up.``, ``dp.``, ``ud.`` and the project number), so that
``GET /v3/operations/...`` can answer for it later.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, scopes
from nimbus.api.body import parse_body
from nimbus.api.deps import call, cloud_of
from nimbus.api.resourcemanager import views
from nimbus.api.responses import json_response
from nimbus.core.clock import rfc3339
from nimbus.core.errors import InvalidArgument, NotFound, RequiredField
from nimbus.core.filters import Predicate, compile_filter
from nimbus.core.paging import PageRequest, paginate
from nimbus.services.caller import Caller
from nimbus.services.resourcemanager.hierarchy import ACTIVE
from nimbus.services.resourcemanager.projects import ProjectSpec
from nimbus.store.models import Project
from nimbus.wire.iam import GetIamPolicyRequest, SetIamPolicyRequest, TestIamPermissionsRequest
from nimbus.wire.resourcemanager import (
    ListProjectsV3Response,
    LongRunningOperation,
    ProjectV3Request,
)

router = APIRouter(prefix="/v3")
Reader = Annotated[Caller, Depends(authenticated(scopes(read_only=True)))]
Writer = Annotated[Caller, Depends(authenticated(scopes()))]
PageSize = Annotated[int | None, Query(alias="pageSize")]
PageToken = Annotated[str | None, Query(alias="pageToken")]

METADATA_TYPE = "type.googleapis.com/google.cloud.resourcemanager.v3.{}ProjectMetadata"
# Operation name prefix -> the kind of its metadata.
OPERATION_KINDS = {"cp": "Create", "up": "Update", "dp": "Delete", "ud": "Undelete"}
UPDATABLE = {"displayName", "labels"}
PARENT = re.compile(r"(organizations|folders)/\d+")


def _ref(project: str) -> str:
    """``projects/{project}`` arrives as ``{project}``: a number or a project id."""
    return project.removeprefix("projects/")


def _operation(kind: str, project: Project) -> LongRunningOperation:
    operation = views.done_operation(
        f"operations/{kind}.{project.number}",
        views.project_v3(project).dump(),
        views.PROJECT_V3_TYPE,
    )
    metadata: dict[str, object] = {"@type": METADATA_TYPE.format(OPERATION_KINDS[kind])}
    if kind == "cp":
        metadata |= {"createTime": rfc3339(project.create_time), "gettable": True, "ready": True}
    return operation.model_copy(update={"metadata": metadata})


# -- the ``:verb`` routes first, before the plain resource ------------------------------


@router.post("/projects/{project}:getIamPolicy")
async def get_iam_policy(project: str, request: Request, caller: Reader) -> Response:
    body = await parse_body(request, GetIamPolicyRequest, allow_empty=True)
    version = body.options.requested_policy_version if body.options else None
    projects = cloud_of(request).projects
    return json_response(await call(projects.get_iam_policy, caller, _ref(project), version))


@router.post("/projects/{project}:setIamPolicy")
async def set_iam_policy(project: str, request: Request, caller: Writer) -> Response:
    body = await parse_body(request, SetIamPolicyRequest)
    projects = cloud_of(request).projects
    policy = await call(
        projects.set_iam_policy, caller, _ref(project), body.policy, body.update_mask
    )
    return json_response(policy)


@router.post("/projects/{project}:testIamPermissions")
async def test_iam_permissions(project: str, request: Request, caller: Reader) -> Response:
    body = await parse_body(request, TestIamPermissionsRequest, allow_empty=True)
    projects = cloud_of(request).projects
    return json_response(
        await call(projects.test_iam_permissions, caller, _ref(project), body.permissions)
    )


@router.post("/projects/{project}:undelete")
async def undelete_project(project: str, request: Request, caller: Writer) -> Response:
    await parse_body(request, GetIamPolicyRequest, allow_empty=True)
    restored = await call(cloud_of(request).projects.undelete, caller, _ref(project))
    return json_response(_operation("ud", restored))


@router.get("/projects:search")
async def search_projects(
    request: Request,
    caller: Reader,
    query: str | None = None,
    page_size: PageSize = None,
    page_token: PageToken = None,
) -> Response:
    matches = compile_search(query)
    projects = await call(cloud_of(request).projects.list_visible, caller)
    found = [p for p in projects if matches(_searchable(p))]
    return _page(found, page_size, page_token)


# -- projects -------------------------------------------------------------------------


@router.post("/projects")
async def create_project(request: Request, caller: Writer) -> Response:
    body = await parse_body(request, ProjectV3Request)
    if not body.project_id:
        raise RequiredField("Field 'projectId' is required.")
    spec = ProjectSpec(body.project_id, body.display_name, body.labels, body.parent or None)
    created = await call(cloud_of(request).projects.create, caller, spec)
    return json_response(_operation("cp", created))


@router.get("/projects")
async def list_projects(
    request: Request,
    caller: Reader,
    parent: str | None = None,
    show_deleted: Annotated[bool, Query(alias="showDeleted")] = False,
    page_size: PageSize = None,
    page_token: PageToken = None,
) -> Response:
    if not parent:
        raise RequiredField("Field 'parent' is required.")
    if not PARENT.fullmatch(parent):
        raise InvalidArgument(f"Invalid value for field 'parent': '{parent}'.")
    projects = await call(cloud_of(request).projects.list_visible, caller)
    found = [
        p for p in projects if p.parent == parent and (show_deleted or p.lifecycle_state == ACTIVE)
    ]
    return _page(found, page_size, page_token)


@router.get("/projects/{project}")
async def get_project(project: str, request: Request, caller: Reader) -> Response:
    found = await call(cloud_of(request).projects.get, caller, _ref(project))
    return json_response(views.project_v3(found))


@router.patch("/projects/{project}")
async def update_project(
    project: str,
    request: Request,
    caller: Writer,
    update_mask: Annotated[str | None, Query(alias="updateMask")] = None,
) -> Response:
    body = await parse_body(request, ProjectV3Request)
    mask = {field.strip() for field in (update_mask or "displayName,labels").split(",")}
    if unknown := sorted(mask - UPDATABLE - {""}):
        raise InvalidArgument(f"Invalid value for field 'updateMask': '{','.join(unknown)}'.")
    updated = await call(
        cloud_of(request).projects.update,
        caller,
        _ref(project),
        display_name=body.display_name if "displayName" in mask else None,
        labels=(body.labels or {}) if "labels" in mask else None,
        etag=body.etag or None,
    )
    return json_response(_operation("up", updated))


@router.delete("/projects/{project}")
async def delete_project(project: str, request: Request, caller: Writer) -> Response:
    deleted = await call(cloud_of(request).projects.delete, caller, _ref(project))
    return json_response(_operation("dp", deleted))


@router.get("/operations/{name:path}")
async def get_operation(name: str, request: Request, caller: Reader) -> Response:
    """Every v3 project operation finishes at once, so it is always done."""
    kind, _, number = name.partition(".")
    if kind not in OPERATION_KINDS or not number.isdigit():
        raise NotFound(f"The resource 'operations/{name}' was not found")
    found = await call(cloud_of(request).projects.get, caller, number)
    return json_response(_operation(kind, found))


def _page(projects: list[Project], page_size: int | None, page_token: str | None) -> Response:
    """``projects`` arrive sorted by project id, which is the page key."""
    if page_size is not None and page_size < 0:
        raise InvalidArgument(f"Invalid value for field 'pageSize': '{page_size}'.")
    page = paginate(
        projects, [p.project_id for p in projects], PageRequest.parse(page_size, page_token)
    )
    return json_response(
        ListProjectsV3Response(
            projects=[views.project_v3(p) for p in page.items] or None,
            next_page_token=page.next_page_token,
        )
    )


# -- search queries -------------------------------------------------------------------
#
# v3 search differs from list filters: it is case-insensitive, and terms written side
# by side match *any* of them ("labels.color:red labels.size:big" is an OR). A bare
# ``labels.<key>`` tests that the label is present; ``labels:x`` matches a label name
# or value. Explicit AND, OR, NOT and parentheses are honoured.

_SEARCH_TOKEN = re.compile(r"""\(|\)|(?:[^\s()"']|"[^"]*"|'[^']*')+""")
_SEARCH_TERM = re.compile(r"(?P<field>[\w.\-]+)(?:(?P<op>!=|=|:)(?P<value>.*))?", re.DOTALL)
_FIELDS = {
    "name": "displayname",
    "id": "projectid",
    "state": "lifecyclestate",
    "parent.type": "parenttype",
    "parent.id": "parentid",
    "labels": "labelnamesorvalues",
}
_OPERATORS = {"and", "or", "not"}


def compile_search(query: str | None) -> Predicate:
    """Compile a SearchProjects ``query`` into a predicate over ``_searchable`` dicts."""
    parts: list[str] = []
    after_operand = False  # the last part ended an operand: a term or ")"
    for token in _SEARCH_TOKEN.findall((query or "").lower()):
        if token in _OPERATORS:
            if after_operand and token == "not":
                parts.append("OR")
            parts.append(token.upper())
            after_operand = False
            continue
        if after_operand and token != ")":
            parts.append("OR")
        parts.append(_search_term(token))
        after_operand = token != "("
    return compile_filter(" ".join(parts))


def _search_term(token: str) -> str:
    if token in ("(", ")"):
        return token
    match = _SEARCH_TERM.fullmatch(token)
    if match is None:
        raise InvalidArgument(f"Invalid query: '{token}'.")
    field = match["field"]
    field = _FIELDS.get(field, field)
    if match["op"] is None:
        if not field.startswith("labels."):
            raise InvalidArgument(f"Invalid query: '{token}'.")
        return f"{field}:*"
    return f"{field}{match['op']}{match['value']}"


def _searchable(project: Project) -> dict[str, object]:
    kind, _, number = project.parent.partition("/")
    labels = {key.lower(): value.lower() for key, value in (project.labels or {}).items()}
    return {
        "displayname": project.display_name.lower(),
        "projectid": project.project_id.lower(),
        "lifecyclestate": project.lifecycle_state.lower(),
        "parent": project.parent.lower(),
        "parenttype": kind.rstrip("s"),
        "parentid": number,
        "labels": labels,
        "labelnamesorvalues": [*labels, *labels.values()],
    }
