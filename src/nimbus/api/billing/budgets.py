"""Cloud Billing Budget API v1 (billingbudgets.googleapis.com) on a billing account.

Each budget carries an output-only ``alerts`` list, a Nimbus extension: the thresholds
its spend crossed ([{thresholdPercent, spendBasis, costAmount, budgetAmount, alertTime,
periodStart, delivered}]); clients that do not know the field ignore it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, scopes
from nimbus.api.body import parse_json_object
from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import empty_response, json_response
from nimbus.core.clock import rfc3339
from nimbus.core.paging import PageRequest
from nimbus.services.billing.budget_webhooks import DELIVERY_DONE
from nimbus.services.billing.budgets import BudgetView, budget_name
from nimbus.services.caller import Caller
from nimbus.store.models import BudgetAlert

router = APIRouter(prefix="/v1/billingAccounts/{account}/budgets")
Reader = Annotated[
    Caller,
    Depends(authenticated(scopes("cloud-billing", "cloud-billing.readonly", read_only=True))),
]
Writer = Annotated[Caller, Depends(authenticated(scopes("cloud-billing")))]
MAX_PAGE_SIZE = 100


def budget_v1(view: BudgetView) -> dict[str, Any]:
    budget = view.budget
    body: dict[str, Any] = {"name": budget_name(budget)}
    if budget.display_name:
        body["displayName"] = budget.display_name
    body["budgetFilter"] = budget.budget_filter
    body["amount"] = budget.amount
    if budget.threshold_rules:
        body["thresholdRules"] = budget.threshold_rules
    if budget.notifications_rule:
        body["notificationsRule"] = budget.notifications_rule
    body["etag"] = budget.etag
    body["alerts"] = [alert_v1(alert) for alert in view.alerts]
    return body


def alert_v1(alert: BudgetAlert) -> dict[str, Any]:
    return {
        "thresholdPercent": alert.threshold_percent,
        "spendBasis": alert.spend_basis,
        "costAmount": float(alert.cost_amount),
        "budgetAmount": float(alert.budget_amount),
        "alertTime": rfc3339(alert.alert_time),
        "periodStart": rfc3339(alert.period_start),
        "delivered": alert.delivery == DELIVERY_DONE,
    }


@router.post("")
async def create_budget(account: str, request: Request, caller: Writer) -> Response:
    body = await parse_json_object(request)
    created = await call(cloud_of(request).budgets.create, caller, account, body)
    return json_response(budget_v1(created))


@router.get("")
async def list_budgets(
    account: str,
    request: Request,
    caller: Reader,
    page_size: Annotated[int | None, Query(alias="pageSize")] = None,
    page_token: Annotated[str | None, Query(alias="pageToken")] = None,
) -> Response:
    parsed = PageRequest.parse(page_size, page_token)
    page_request = PageRequest(min(parsed.size, MAX_PAGE_SIZE), parsed.after)
    page = await call(cloud_of(request).budgets.list_budgets, caller, account, page_request)
    body: dict[str, Any] = {"budgets": [budget_v1(view) for view in page.items]}
    if page.next_page_token:
        body["nextPageToken"] = page.next_page_token
    return json_response(body)


@router.get("/{budget}")
async def get_budget(account: str, budget: str, request: Request, caller: Reader) -> Response:
    found = await call(cloud_of(request).budgets.get, caller, account, budget)
    return json_response(budget_v1(found))


@router.patch("/{budget}")
async def update_budget(
    account: str,
    budget: str,
    request: Request,
    caller: Writer,
    update_mask: Annotated[str | None, Query(alias="updateMask")] = None,
) -> Response:
    body = await parse_json_object(request)
    budgets = cloud_of(request).budgets
    updated = await call(budgets.update, caller, account, budget, body, update_mask)
    return json_response(budget_v1(updated))


@router.delete("/{budget}")
async def delete_budget(account: str, budget: str, request: Request, caller: Writer) -> Response:
    await call(cloud_of(request).budgets.delete, caller, account, budget)
    return empty_response()
