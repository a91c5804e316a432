"""Budget alerts: each budget's spend in its current period, by the world's clock,
against its threshold rules.

A threshold crossed records one alert per (budget, period, threshold, basis): the
store's unique key makes that hold with several evaluating processes, and a budget
made after its spend passed a threshold alerts once, at the next evaluation. Actual
spend is what the budget's projects cost on its services since the period began;
forecasted spend continues that pace to the period's end (calendar periods only, once
a day has passed). Alerts of a budget with a webhook are then delivered by
``budget_webhooks``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from nimbus.core.clock import Clock
from nimbus.services.billing import budget_fields as fields
from nimbus.services.billing.account_rows import linked_projects
from nimbus.services.billing.budget_periods import Period, current_period, forecast
from nimbus.services.billing.budget_periods import previous_period as last_period
from nimbus.services.billing.budget_webhooks import DELIVERY_NONE, DELIVERY_PENDING, WebhookSender
from nimbus.store.db import Database
from nimbus.store.models import Budget, BudgetAlert

log = logging.getLogger("nimbus.billing.budgets")
_CENTS = Decimal("0.000001")


class Spend(Protocol):
    """What projects cost (``Metering.total_cost``)."""

    def total_cost(
        self,
        project_numbers: Collection[int],
        service_ids: Collection[str] | None,
        start: dt.datetime,
        end: dt.datetime,
    ) -> Decimal: ...


@dataclass(frozen=True)
class Scope:
    """What a budget measures, read from the store."""

    budget_id: str
    account_id: str
    display_name: str
    budget_filter: dict[str, Any]
    amount: dict[str, Any]
    rules: list[dict[str, Any]]
    webhook: bool
    projects: list[int]
    services: list[str] | None


@dataclass(frozen=True)
class Crossing:
    threshold: float
    basis: str
    cost: Decimal


@dataclass(frozen=True)
class Evaluation:
    recorded: int
    delivered: int


def crossings(
    rules: list[dict[str, Any]], amount: Decimal, spend: Decimal, forecasted: Decimal | None
) -> list[Crossing]:
    """The rules whose threshold the spend (or its forecast) has reached."""
    found = []
    for rule in rules:
        basis = rule["spendBasis"]
        value = forecasted if basis == fields.FORECASTED_SPEND else spend
        if value is None or amount <= 0 or value <= 0:
            continue
        if value >= amount * Decimal(str(rule["thresholdPercent"])):
            found.append(Crossing(rule["thresholdPercent"], basis, value))
    return found


class BudgetAlerts:
    def __init__(
        self, db: Database, spend: Spend, clock: Clock, sender: WebhookSender | None = None
    ) -> None:
        self.db = db
        self.spend = spend
        self.clock = clock
        self.sender = sender or WebhookSender(db, clock)
        self._lock = threading.Lock()

    def run_once(self) -> Evaluation:
        """Evaluate every budget now, then deliver what is pending."""
        with self._lock:
            with self.db.read() as session:
                budget_ids = list(session.scalars(select(Budget.id).order_by(Budget.id)))
            recorded = 0
            # One moment for the whole pass, so budgets over the same period share
            # their metering.
            now = self.clock.now()
            for budget_id in budget_ids:
                try:
                    recorded += self.evaluate(budget_id, now)
                except Exception:
                    log.exception("evaluating budget %s failed", budget_id)
            return Evaluation(recorded, self.sender.deliver_pending())

    def evaluate(self, budget_id: str, now: dt.datetime | None = None) -> int:
        """Record the alerts one budget's spend has earned; the number recorded."""
        now = now or self.clock.now()
        scope = self._scope(budget_id)
        if scope is None or not scope.projects:
            return 0
        period = current_period(scope.budget_filter, now)
        if period is None:
            return 0
        amount = self._budget_amount(scope, now)
        spent = self._cost(scope, period, now)
        if amount is None or spent is None:
            return 0
        found = crossings(scope.rules, amount, spent, forecast(spent, period, now))
        return self._record(scope, period, amount, spent, found) if found else 0

    # -- measuring -------------------------------------------------------------------------

    def _scope(self, budget_id: str) -> Scope | None:
        with self.db.read() as session:
            budget = session.get(Budget, budget_id)
            if budget is None:
                return None
            linked = {
                project.number
                for project in linked_projects(
                    session, budget.billing_account_id, active_only=False
                )
            }
            chosen = fields.project_numbers(budget.budget_filter)
            services = fields.service_ids(budget.budget_filter)
            return Scope(
                budget_id=budget.id,
                account_id=budget.billing_account_id,
                display_name=budget.display_name,
                budget_filter=budget.budget_filter,
                amount=budget.amount,
                rules=budget.threshold_rules,
                webhook=bool(budget.notifications_rule.get("webhookUrl")),
                # An account pays only for projects linked to it.
                projects=sorted(linked & set(chosen)) if chosen else sorted(linked),
                services=services or None,
            )

    def _cost(self, scope: Scope, period: Period, now: dt.datetime) -> Decimal | None:
        end = now if period.end is None else min(now, period.end)
        if end <= period.start:
            return None
        return self.spend.total_cost(scope.projects, scope.services, period.start, end)

    def _budget_amount(self, scope: Scope, now: dt.datetime) -> Decimal | None:
        specified = fields.amount_value(scope.amount)
        if specified is not None:
            return specified
        previous = last_period(scope.budget_filter, now)
        if previous is None or previous.end is None:
            return None
        return self.spend.total_cost(scope.projects, scope.services, previous.start, previous.end)

    # -- recording -------------------------------------------------------------------------

    def _record(
        self,
        scope: Scope,
        period: Period,
        amount: Decimal,
        spent: Decimal,
        found: list[Crossing],
    ) -> int:
        now = self.clock.now()
        try:
            with self.db.write() as session:
                if session.get(Budget, scope.budget_id) is None:
                    return 0  # deleted meanwhile
                taken = {
                    (alert.threshold_percent, alert.spend_basis)
                    for alert in session.scalars(
                        select(BudgetAlert).where(
                            BudgetAlert.budget_id == scope.budget_id,
                            BudgetAlert.period_start == period.start,
                        )
                    )
                }
                fresh = [c for c in found if (c.threshold, c.basis) not in taken]
                for crossing in fresh:
                    session.add(
                        BudgetAlert(
                            budget_id=scope.budget_id,
                            period_start=period.start,
                            threshold_percent=crossing.threshold,
                            spend_basis=crossing.basis,
                            cost_amount=str(crossing.cost.quantize(_CENTS)),
                            budget_amount=str(amount.quantize(_CENTS)),
                            alert_time=now,
                            notification=notification(scope, period, amount, spent, crossing),
                            delivery=DELIVERY_PENDING if scope.webhook else DELIVERY_NONE,
                            attempts=0,
                            last_error="",
                        )
                    )
                return len(fresh)
        except IntegrityError:
            # Another process recorded them first: that is the point of the unique key.
            return 0


def notification(
    scope: Scope, period: Period, amount: Decimal, spent: Decimal, crossing: Crossing
) -> dict[str, Any]:
    """Google's Pub/Sub budget notification (schema 1.0) for one crossing."""
    body: dict[str, Any] = {
        "budgetDisplayName": scope.display_name,
        "costAmount": float(spent.quantize(_CENTS)),
        "costIntervalStart": period.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "budgetAmount": float(amount.quantize(_CENTS)),
        "budgetAmountType": (
            "SPECIFIED_AMOUNT" if "specifiedAmount" in scope.amount else "LAST_PERIOD_AMOUNT"
        ),
        "currencyCode": scope.amount.get("specifiedAmount", {}).get("currencyCode", "USD"),
    }
    if crossing.basis == fields.FORECASTED_SPEND:
        body["forecastThresholdExceeded"] = crossing.threshold
        crossed = [
            rule["thresholdPercent"]
            for rule in scope.rules
            if rule["spendBasis"] == fields.CURRENT_SPEND
            and spent >= amount * Decimal(str(rule["thresholdPercent"]))
        ]
        if crossed and spent > 0:
            body["alertThresholdExceeded"] = max(crossed)
    else:
        body["alertThresholdExceeded"] = crossing.threshold
    return body
