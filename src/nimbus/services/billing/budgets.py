"""Budgets on a billing account (billingbudgets.googleapis.com v1): create, read, list,
patch (an update mask, an etag) and delete. ``budget_alerts`` raises their alerts.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import Conflict, InvalidArgument, NotFound
from nimbus.core.fingerprints import new_etag
from nimbus.core.paging import Page, PageRequest, paginate
from nimbus.services.billing.account_rows import account_key, authorized_account
from nimbus.services.billing.budget_fields import WRITABLE, BudgetFields, normalize
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer
from nimbus.store.db import Database
from nimbus.store.models import BillingAccount, Budget, BudgetAlert

# Which sub-fields of the filter exclude each other (a oneof in Google's proto).
_PERIODS = {"calendarPeriod": "customPeriod", "customPeriod": "calendarPeriod"}


@dataclass(frozen=True)
class BudgetView:
    """A budget with the alerts it raised (a Nimbus extension of the wire shape)."""

    budget: Budget
    alerts: list[BudgetAlert]


def budget_name(budget: Budget) -> str:
    return f"{account_key(budget.billing_account_id)}/budgets/{budget.id}"


def wire_fields(budget: Budget) -> dict[str, Any]:
    """The writable fields as stored, in the wire's names."""
    return {
        "displayName": budget.display_name,
        "budgetFilter": budget.budget_filter,
        "amount": budget.amount,
        "thresholdRules": budget.threshold_rules,
        "notificationsRule": budget.notifications_rule,
    }


class Budgets:
    def __init__(self, db: Database, authorizer: Authorizer, clock: Clock) -> None:
        self.db = db
        self.authorizer = authorizer
        self.clock = clock

    def create(self, caller: Caller, account_name: str, body: Mapping[str, Any]) -> BudgetView:
        with self.db.write() as session:
            account = self._account(session, caller, account_name, "billing.budgets.create")
            fields = normalize(session, body, account.currency_code, new=True)
            now = self.clock.now()
            budget = Budget(
                id=str(uuid.uuid4()),
                billing_account_id=account.id,
                etag=new_etag(),
                create_time=now,
                update_time=now,
            )
            _assign(budget, fields)
            session.add(budget)
            session.flush()
            return BudgetView(budget, [])

    def get(self, caller: Caller, account_name: str, budget_id: str) -> BudgetView:
        with self.db.read() as session:
            account = self._account(session, caller, account_name, "billing.budgets.get")
            budget = _budget(session, account, budget_id)
            return BudgetView(budget, _alerts(session, [budget.id])[budget.id])

    def list_budgets(
        self, caller: Caller, account_name: str, page: PageRequest
    ) -> Page[BudgetView]:
        with self.db.read() as session:
            account = self._account(session, caller, account_name, "billing.budgets.list")
            budgets = list(
                session.scalars(
                    select(Budget)
                    .where(Budget.billing_account_id == account.id)
                    .order_by(Budget.id)
                )
            )
            chosen = paginate(budgets, [b.id for b in budgets], page)
            alerts = _alerts(session, [b.id for b in chosen.items])
            views = [BudgetView(b, alerts[b.id]) for b in chosen.items]
            return Page(items=views, next_page_token=chosen.next_page_token)

    def update(
        self,
        caller: Caller,
        account_name: str,
        budget_id: str,
        body: Mapping[str, Any],
        update_mask: str | None,
    ) -> BudgetView:
        with self.db.write() as session:
            account = self._account(session, caller, account_name, "billing.budgets.update")
            budget = _budget(session, account, budget_id)
            etag = body.get("etag")
            if etag and etag != budget.etag:
                raise Conflict(
                    f"The budget '{budget_name(budget)}' changed since it was read (its etag "
                    "no longer matches). Read it again and retry."
                )
            wanted = merged(wire_fields(budget), body, update_mask)
            _assign(budget, normalize(session, wanted, account.currency_code, new=False))
            budget.etag = new_etag()
            budget.update_time = self.clock.now()
            return BudgetView(budget, _alerts(session, [budget.id])[budget.id])

    def delete(self, caller: Caller, account_name: str, budget_id: str) -> None:
        with self.db.write() as session:
            account = self._account(session, caller, account_name, "billing.budgets.delete")
            budget = _budget(session, account, budget_id)
            session.execute(delete(BudgetAlert).where(BudgetAlert.budget_id == budget.id))
            session.delete(budget)

    def _account(
        self, session: Session, caller: Caller, name: str, permission: str
    ) -> BillingAccount:
        return authorized_account(session, self.authorizer, caller, name, permission)


def merged(
    current: Mapping[str, Any], body: Mapping[str, Any], update_mask: str | None
) -> dict[str, Any]:
    """``current`` with the fields the mask names taken from ``body``; without a mask,
    the writable fields ``body`` sets, as Google does."""
    if update_mask:
        paths = [_camel(path.strip()) for path in update_mask.split(",") if path.strip()]
    else:
        paths = [field for field in WRITABLE if body.get(field) is not None]
    result = copy.deepcopy(dict(current))
    for path in paths:
        head, _, rest = path.partition(".")
        if head not in WRITABLE or (rest and head in ("displayName", "thresholdRules")):
            raise InvalidArgument(f"Invalid update mask path '{path}': it names no writable field.")
        if not rest:
            result[head] = copy.deepcopy(body.get(head))
            continue
        part = dict(result.get(head) or {})
        value = (body.get(head) or {}).get(rest)
        if value is None:
            part.pop(rest, None)
        else:
            part[rest] = copy.deepcopy(value)
            if head == "budgetFilter" and rest in _PERIODS:
                part.pop(_PERIODS[rest], None)
        result[head] = part
    return result


def _camel(path: str) -> str:
    return ".".join(re.sub(r"_([a-z])", lambda m: m.group(1).upper(), p) for p in path.split("."))


def _assign(budget: Budget, fields: BudgetFields) -> None:
    budget.display_name = fields.display_name
    budget.budget_filter = fields.budget_filter
    budget.amount = fields.amount
    budget.threshold_rules = fields.threshold_rules
    budget.notifications_rule = fields.notifications_rule


def _budget(session: Session, account: BillingAccount, budget_id: str) -> Budget:
    budget = session.get(Budget, budget_id)
    if budget is None or budget.billing_account_id != account.id:
        raise NotFound(f"Budget '{account_key(account.id)}/budgets/{budget_id}' was not found.")
    return budget


def _alerts(session: Session, budget_ids: list[str]) -> dict[str, list[BudgetAlert]]:
    found: dict[str, list[BudgetAlert]] = {budget_id: [] for budget_id in budget_ids}
    if not budget_ids:
        return found
    rows = session.scalars(
        select(BudgetAlert)
        .where(BudgetAlert.budget_id.in_(budget_ids))
        .order_by(BudgetAlert.alert_time, BudgetAlert.id)
    )
    for alert in rows:
        found[alert.budget_id].append(alert)
    return found
