"""IAM v1: service accounts, their keys and policies; predefined and custom roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, base_url, scopes
from nimbus.api.body import parse_body, parse_json_object
from nimbus.api.deps import call, cloud_of
from nimbus.api.iam import views
from nimbus.api.responses import empty_response, json_response
from nimbus.core.errors import InvalidArgument, RequiredField
from nimbus.core.paging import PageRequest
from nimbus.services.caller import Caller
from nimbus.services.iam.roles import CustomRoleSpec
from nimbus.wire.iam import (
    CreateRoleRequest,
    CreateServiceAccountKeyRequest,
    CreateServiceAccountRequest,
    GetIamPolicyRequest,
    ListRolesResponse,
    ListServiceAccountKeysResponse,
    ListServiceAccountsResponse,
    PatchServiceAccountRequest,
    RoleFields,
    SetIamPolicyRequest,
    TestIamPermissionsRequest,
)

router = APIRouter(prefix="/v1")
Reader = Annotated[Caller, Depends(authenticated(scopes("iam", read_only=True)))]
Writer = Annotated[Caller, Depends(authenticated(scopes("iam")))]
PageSize = Annotated[int | None, Query(alias="pageSize")]
PageToken = Annotated[str | None, Query(alias="pageToken")]
ACCOUNT = "/projects/{project}/serviceAccounts/{account}"


def _account(project: str, account: str) -> str:
    return f"projects/{project}/serviceAccounts/{account}"


# -- service accounts: the ``:verb`` routes come first, before the plain resource -------


@router.post(ACCOUNT + ":getIamPolicy")
async def get_account_policy(
    project: str, account: str, request: Request, caller: Reader
) -> Response:
    body = await parse_body(request, GetIamPolicyRequest, allow_empty=True)
    version = body.options.requested_policy_version if body.options else None
    accounts = cloud_of(request).service_accounts
    return json_response(
        await call(accounts.get_iam_policy, caller, _account(project, account), version)
    )


@router.post(ACCOUNT + ":setIamPolicy")
async def set_account_policy(
    project: str, account: str, request: Request, caller: Writer
) -> Response:
    body = await parse_body(request, SetIamPolicyRequest)
    accounts = cloud_of(request).service_accounts
    name = _account(project, account)
    return json_response(
        await call(accounts.set_iam_policy, caller, name, body.policy, body.update_mask)
    )


@router.post(ACCOUNT + ":testIamPermissions")
async def test_account_permissions(
    project: str, account: str, request: Request, caller: Reader
) -> Response:
    body = await parse_body(request, TestIamPermissionsRequest, allow_empty=True)
    accounts = cloud_of(request).service_accounts
    name = _account(project, account)
    return json_response(await call(accounts.test_iam_permissions, caller, name, body.permissions))


@router.post(ACCOUNT + ":disable")
async def disable_account(project: str, account: str, request: Request, caller: Writer) -> Response:
    await parse_body(request, GetIamPolicyRequest, allow_empty=True)
    accounts = cloud_of(request).service_accounts
    await call(accounts.set_disabled, caller, _account(project, account), True)
    return empty_response()


@router.post(ACCOUNT + ":enable")
async def enable_account(project: str, account: str, request: Request, caller: Writer) -> Response:
    await parse_body(request, GetIamPolicyRequest, allow_empty=True)
    accounts = cloud_of(request).service_accounts
    await call(accounts.set_disabled, caller, _account(project, account), False)
    return empty_response()


@router.post("/projects/{project}/serviceAccounts")
async def create_account(project: str, request: Request, caller: Writer) -> Response:
    body = await parse_body(request, CreateServiceAccountRequest)
    fields = body.service_account
    owner, account = await call(
        cloud_of(request).service_accounts.create,
        caller,
        project,
        body.account_id,
        (fields.display_name if fields else None) or "",
        (fields.description if fields else None) or "",
    )
    return json_response(views.service_account(owner, account))


@router.get("/projects/{project}/serviceAccounts")
async def list_accounts(
    project: str,
    request: Request,
    caller: Reader,
    page_size: PageSize = None,
    page_token: PageToken = None,
) -> Response:
    owner, page = await call(
        cloud_of(request).service_accounts.list_in_project,
        caller,
        project,
        PageRequest.parse(page_size, page_token),
    )
    return json_response(
        ListServiceAccountsResponse(
            accounts=[views.service_account(owner, a) for a in page.items] or None,
            next_page_token=page.next_page_token,
        )
    )


@router.get(ACCOUNT)
async def get_account(project: str, account: str, request: Request, caller: Reader) -> Response:
    owner, found = await call(
        cloud_of(request).service_accounts.get, caller, _account(project, account)
    )
    return json_response(views.service_account(owner, found))


@router.patch(ACCOUNT)
async def patch_account(project: str, account: str, request: Request, caller: Writer) -> Response:
    body = await parse_body(request, PatchServiceAccountRequest)
    mask = set((body.update_mask or "displayName,description").split(","))
    fields = body.service_account
    owner, found = await call(
        cloud_of(request).service_accounts.patch,
        caller,
        _account(project, account),
        display_name=fields.display_name if "displayName" in mask else None,
        description=fields.description if "description" in mask else None,
        etag=fields.etag,
    )
    return json_response(views.service_account(owner, found))


@router.delete(ACCOUNT)
async def delete_account(project: str, account: str, request: Request, caller: Writer) -> Response:
    await call(cloud_of(request).service_accounts.delete, caller, _account(project, account))
    return empty_response()


# -- keys -----------------------------------------------------------------------------

KEY = ACCOUNT + "/keys/{key}"


@router.post(KEY + ":disable")
async def disable_key(
    project: str, account: str, key: str, request: Request, caller: Writer
) -> Response:
    await parse_body(request, GetIamPolicyRequest, allow_empty=True)
    name = f"{_account(project, account)}/keys/{key}"
    await call(cloud_of(request).keys.set_disabled, caller, name, True)
    return empty_response()


@router.post(KEY + ":enable")
async def enable_key(
    project: str, account: str, key: str, request: Request, caller: Writer
) -> Response:
    await parse_body(request, GetIamPolicyRequest, allow_empty=True)
    name = f"{_account(project, account)}/keys/{key}"
    await call(cloud_of(request).keys.set_disabled, caller, name, False)
    return empty_response()


@router.post(ACCOUNT + "/keys")
async def create_key(project: str, account: str, request: Request, caller: Writer) -> Response:
    body = await parse_body(request, CreateServiceAccountKeyRequest, allow_empty=True)
    created = await call(
        cloud_of(request).keys.create,
        caller,
        _account(project, account),
        base_url(request),
        body.key_algorithm,
        body.private_key_type,
    )
    return json_response(
        views.key(
            created.project,
            created.account,
            created.key,
            private_key_data=created.private_key_data,
        )
    )


@router.get(ACCOUNT + "/keys")
async def list_keys(project: str, account: str, request: Request, caller: Reader) -> Response:
    owner, found, keys = await call(
        cloud_of(request).keys.list_for_account, caller, _account(project, account)
    )
    rendered = [views.key(owner, found, k) for k in keys]
    return json_response(ListServiceAccountKeysResponse(keys=rendered or None))


@router.get(KEY)
async def get_key(
    project: str,
    account: str,
    key: str,
    request: Request,
    caller: Reader,
    public_key_type: Annotated[str | None, Query(alias="publicKeyType")] = None,
) -> Response:
    name = f"{_account(project, account)}/keys/{key}"
    owner, found, row = await call(cloud_of(request).keys.get, caller, name)
    return json_response(views.key(owner, found, row, with_public=public_key_type is not None))


@router.delete(KEY)
async def delete_key(
    project: str, account: str, key: str, request: Request, caller: Writer
) -> Response:
    name = f"{_account(project, account)}/keys/{key}"
    await call(cloud_of(request).keys.delete, caller, name)
    return empty_response()


# -- roles ----------------------------------------------------------------------------


@router.post("/permissions:queryTestablePermissions")
async def query_testable_permissions(request: Request, caller: Reader) -> Response:
    """Asked by gcloud before it creates or updates a custom role."""
    body = await parse_json_object(request)
    resource = body.get("fullResourceName")
    if not isinstance(resource, str) or not resource:
        raise RequiredField("Required field: fullResourceName.")
    size, token = body.get("pageSize"), body.get("pageToken")
    if not isinstance(size, int | None) or not isinstance(token, str | None):
        raise InvalidArgument("pageSize must be a number and pageToken a string.")
    page = cloud_of(request).roles.testable_permissions(resource, PageRequest.parse(size, token))
    listed: dict[str, object] = {"permissions": [views.permission(p) for p in page.items]}
    if page.next_page_token:
        listed["nextPageToken"] = page.next_page_token
    return json_response(listed)


@router.get("/roles")
async def list_roles(
    request: Request,
    caller: Reader,
    view: str | None = None,
    page_size: PageSize = None,
    page_token: PageToken = None,
) -> Response:
    page = cloud_of(request).roles.list_predefined(PageRequest.parse(page_size, page_token))
    return json_response(
        ListRolesResponse(
            roles=[views.role(r, full=view == "FULL") for r in page.items] or None,
            next_page_token=page.next_page_token,
        )
    )


@router.get("/roles/{role:path}")
async def get_role(role: str, request: Request, caller: Reader) -> Response:
    return json_response(views.role(cloud_of(request).roles.get_predefined(f"roles/{role}")))


@router.post("/projects/{project}/roles/{role}:undelete")
async def undelete_role(project: str, role: str, request: Request, caller: Writer) -> Response:
    await parse_body(request, GetIamPolicyRequest, allow_empty=True)
    name = f"projects/{project}/roles/{role}"
    return json_response(
        views.role(await call(cloud_of(request).roles.set_deleted, caller, name, False))
    )


@router.post("/projects/{project}/roles")
async def create_role(project: str, request: Request, caller: Writer) -> Response:
    body = await parse_body(request, CreateRoleRequest)
    created = await call(
        cloud_of(request).roles.create_custom, caller, project, body.role_id, _spec(body.role)
    )
    return json_response(views.role(created))


@router.get("/projects/{project}/roles")
async def list_custom_roles(
    project: str,
    request: Request,
    caller: Reader,
    view: str | None = None,
    show_deleted: Annotated[bool, Query(alias="showDeleted")] = False,
    page_size: PageSize = None,
    page_token: PageToken = None,
) -> Response:
    page = await call(
        cloud_of(request).roles.list_custom,
        caller,
        project,
        PageRequest.parse(page_size, page_token),
        show_deleted,
    )
    return json_response(
        ListRolesResponse(
            roles=[views.role(r, full=view == "FULL") for r in page.items] or None,
            next_page_token=page.next_page_token,
        )
    )


@router.get("/projects/{project}/roles/{role}")
async def get_custom_role(project: str, role: str, request: Request, caller: Reader) -> Response:
    name = f"projects/{project}/roles/{role}"
    return json_response(views.role(await call(cloud_of(request).roles.get_custom, caller, name)))


@router.patch("/projects/{project}/roles/{role}")
async def patch_custom_role(
    project: str,
    role: str,
    request: Request,
    caller: Writer,
    update_mask: Annotated[str | None, Query(alias="updateMask")] = None,
) -> Response:
    body = await parse_body(request, RoleFields)
    mask = set((update_mask or "title,description,includedPermissions,stage").split(","))
    spec = _spec(body, mask)
    name = f"projects/{project}/roles/{role}"
    updated = await call(cloud_of(request).roles.update_custom, caller, name, spec, body.etag)
    return json_response(views.role(updated))


@router.delete("/projects/{project}/roles/{role}")
async def delete_custom_role(project: str, role: str, request: Request, caller: Writer) -> Response:
    name = f"projects/{project}/roles/{role}"
    return json_response(
        views.role(await call(cloud_of(request).roles.set_deleted, caller, name, True))
    )


def _spec(fields: RoleFields, mask: set[str] | None = None) -> CustomRoleSpec:
    def wanted(field: str) -> bool:
        return mask is None or field in mask

    return CustomRoleSpec(
        title=fields.title if wanted("title") else None,
        description=fields.description if wanted("description") else None,
        permissions=fields.included_permissions if wanted("includedPermissions") else None,
        stage=fields.stage if wanted("stage") else None,
    )
