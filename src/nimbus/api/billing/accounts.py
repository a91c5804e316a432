"""Cloud Billing v1 (cloudbilling.googleapis.com): billing accounts, their IAM policies
and the projects they pay for."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, scopes
from nimbus.api.body import parse_body
from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import json_response
from nimbus.core.filters import compile_filter
from nimbus.core.paging import PageRequest, paginate
from nimbus.services.billing.account_rows import account_key
from nimbus.services.billing.accounts import BillingInfo
from nimbus.services.caller import Caller
from nimbus.store.models import BillingAccount
from nimbus.wire.billing_accounts import (
    BillingAccountRequest,
    BillingAccountV1,
    ListBillingAccountsResponse,
    ListProjectBillingInfoResponse,
    ProjectBillingInfoRequest,
    ProjectBillingInfoV1,
)
from nimbus.wire.iam import SetIamPolicyRequest, TestIamPermissionsRequest

router = APIRouter(prefix="/v1")
Reader = Annotated[
    Caller,
    Depends(authenticated(scopes("cloud-billing", "cloud-billing.readonly", read_only=True))),
]
Writer = Annotated[Caller, Depends(authenticated(scopes("cloud-billing")))]
PageSize = Annotated[int | None, Query(alias="pageSize")]
PageToken = Annotated[str | None, Query(alias="pageToken")]
MAX_PAGE_SIZE = 100


def account_v1(account: BillingAccount) -> BillingAccountV1:
    return BillingAccountV1(
        name=account_key(account.id),
        open=account.open,
        display_name=account.display_name,
        master_billing_account=account.master_billing_account or None,
        currency_code=account.currency_code,
    )


def billing_info_v1(info: BillingInfo) -> ProjectBillingInfoV1:
    return ProjectBillingInfoV1(
        name=f"projects/{info.project_id}/billingInfo",
        project_id=info.project_id,
        billing_account_name=account_key(info.account_id) if info.account_id else "",
        billing_enabled=info.enabled,
    )


def _page(page_size: int | None, page_token: str | None) -> PageRequest:
    request = PageRequest.parse(page_size, page_token)
    return PageRequest(min(request.size, MAX_PAGE_SIZE), request.after)


# -- IAM (before the plain account routes, whose {account} would swallow the verb) -------


@router.get("/billingAccounts/{account}:getIamPolicy")
async def get_iam_policy(
    account: str,
    request: Request,
    caller: Reader,
    version: Annotated[int | None, Query(alias="options.requestedPolicyVersion")] = None,
) -> Response:
    accounts = cloud_of(request).billing_accounts
    return json_response(await call(accounts.get_iam_policy, caller, account, version))


@router.post("/billingAccounts/{account}:setIamPolicy")
async def set_iam_policy(account: str, request: Request, caller: Writer) -> Response:
    body = await parse_body(request, SetIamPolicyRequest)
    accounts = cloud_of(request).billing_accounts
    policy = await call(accounts.set_iam_policy, caller, account, body.policy, body.update_mask)
    return json_response(policy)


@router.post("/billingAccounts/{account}:testIamPermissions")
async def test_iam_permissions(account: str, request: Request, caller: Reader) -> Response:
    body = await parse_body(request, TestIamPermissionsRequest, allow_empty=True)
    accounts = cloud_of(request).billing_accounts
    return json_response(
        await call(accounts.test_iam_permissions, caller, account, body.permissions)
    )


# -- accounts ----------------------------------------------------------------------------


@router.get("/billingAccounts")
async def list_accounts(
    request: Request,
    caller: Reader,
    filter: str | None = None,
    page_size: PageSize = None,
    page_token: PageToken = None,
) -> Response:
    """``filter`` takes Google's ``master_billing_account=billingAccounts/ID`` and the
    list filter grammar over the account's fields (``open=true``)."""
    matches = compile_filter(filter)
    accounts = await call(cloud_of(request).billing_accounts.list_visible, caller)
    shown = [a for a in (account_v1(a) for a in accounts) if matches(_filter_fields(a))]
    page = paginate(shown, [a.name for a in shown], _page(page_size, page_token))
    return json_response(
        ListBillingAccountsResponse(
            billing_accounts=page.items or None, next_page_token=page.next_page_token
        )
    )


@router.post("/billingAccounts")
async def create_account(request: Request, caller: Writer, parent: str | None = None) -> Response:
    body = await parse_body(request, BillingAccountRequest)
    master = parent or body.master_billing_account
    accounts = cloud_of(request).billing_accounts
    created = await call(accounts.create, caller, body.display_name or "", master)
    return json_response(account_v1(created))


@router.get("/billingAccounts/{account}")
async def get_account(account: str, request: Request, caller: Reader) -> Response:
    found = await call(cloud_of(request).billing_accounts.get, caller, account)
    return json_response(account_v1(found))


@router.patch("/billingAccounts/{account}")
async def update_account(
    account: str,
    request: Request,
    caller: Writer,
    update_mask: Annotated[str | None, Query(alias="updateMask")] = None,
) -> Response:
    body = await parse_body(request, BillingAccountRequest)
    accounts = cloud_of(request).billing_accounts
    updated = await call(accounts.update, caller, account, body.display_name, update_mask)
    return json_response(account_v1(updated))


@router.get("/billingAccounts/{account}/projects")
async def list_account_projects(
    account: str,
    request: Request,
    caller: Reader,
    page_size: PageSize = None,
    page_token: PageToken = None,
) -> Response:
    infos = await call(cloud_of(request).billing_accounts.list_projects, caller, account)
    shown = [billing_info_v1(info) for info in infos]
    page = paginate(shown, [i.project_id for i in shown], _page(page_size, page_token))
    return json_response(
        ListProjectBillingInfoResponse(
            project_billing_info=page.items or None, next_page_token=page.next_page_token
        )
    )


# -- a project's billing ---------------------------------------------------------------


@router.get("/projects/{project}/billingInfo")
async def get_billing_info(project: str, request: Request, caller: Reader) -> Response:
    info = await call(cloud_of(request).billing_accounts.billing_info, caller, project)
    return json_response(billing_info_v1(info))


@router.put("/projects/{project}/billingInfo")
async def update_billing_info(project: str, request: Request, caller: Writer) -> Response:
    """``billingAccountName`` links the project; an empty or missing one unlinks it."""
    body = await parse_body(request, ProjectBillingInfoRequest, allow_empty=True)
    accounts = cloud_of(request).billing_accounts
    info = await call(accounts.update_billing_info, caller, project, body.billing_account_name)
    return json_response(billing_info_v1(info))


def _filter_fields(account: BillingAccountV1) -> dict[str, object]:
    fields = account.dump()
    fields["master_billing_account"] = fields.get("masterBillingAccount", "")
    fields["display_name"] = fields["displayName"]
    return fields
