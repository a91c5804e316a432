"""Organizations: get and search (v1), and the IAM policy (v1 and v3 alike)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, scopes
from nimbus.api.body import parse_body
from nimbus.api.deps import call, cloud_of
from nimbus.api.resourcemanager import views
from nimbus.api.responses import json_response
from nimbus.services.caller import Caller
from nimbus.wire.iam import GetIamPolicyRequest, SetIamPolicyRequest, TestIamPermissionsRequest
from nimbus.wire.resourcemanager import SearchOrganizationsV1Response

router = APIRouter()
Reader = Annotated[Caller, Depends(authenticated(scopes(read_only=True)))]
Writer = Annotated[Caller, Depends(authenticated(scopes()))]


@router.post("/v1/organizations/{org}:getIamPolicy")
@router.post("/v3/organizations/{org}:getIamPolicy")
async def get_iam_policy(org: str, request: Request, caller: Reader) -> Response:
    body = await parse_body(request, GetIamPolicyRequest, allow_empty=True)
    version = body.options.requested_policy_version if body.options else None
    organizations = cloud_of(request).organizations
    return json_response(await call(organizations.get_iam_policy, caller, org, version))


@router.post("/v1/organizations/{org}:setIamPolicy")
@router.post("/v3/organizations/{org}:setIamPolicy")
async def set_iam_policy(org: str, request: Request, caller: Writer) -> Response:
    body = await parse_body(request, SetIamPolicyRequest)
    organizations = cloud_of(request).organizations
    policy = await call(organizations.set_iam_policy, caller, org, body.policy, body.update_mask)
    return json_response(policy)


@router.post("/v1/organizations/{org}:testIamPermissions")
@router.post("/v3/organizations/{org}:testIamPermissions")
async def test_iam_permissions(org: str, request: Request, caller: Reader) -> Response:
    body = await parse_body(request, TestIamPermissionsRequest, allow_empty=True)
    organizations = cloud_of(request).organizations
    return json_response(
        await call(organizations.test_iam_permissions, caller, org, body.permissions)
    )


@router.post("/v1/organizations:search")
async def search(request: Request, caller: Reader) -> Response:
    found = await call(cloud_of(request).organizations.search, caller)
    rendered = [views.organization_v1(org) for org in found]
    return json_response(SearchOrganizationsV1Response(organizations=rendered or None))


@router.get("/v1/organizations/{org}")
async def get(org: str, request: Request, caller: Reader) -> Response:
    found = await call(cloud_of(request).organizations.get, caller, org)
    return json_response(views.organization_v1(found))
