"""Budget alerts with a clock the test moves and a spend it sets: periods and forecasts,
each threshold alerting once per period, budgets made after the spend, amounts from the
last period, and webhook delivery that is claimed, retried and bounded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from nimbus.services.billing import budget_webhooks
from nimbus.services.billing.account_rows import account_key, default_account_id
from nimbus.services.billing.budget_alerts import BudgetAlerts
from nimbus.services.billing.budget_periods import (
    Period,
    current_period,
    forecast,
    previous_period,
)
from nimbus.services.billing.budget_webhooks import WebhookSender
from nimbus.services.cloud import Cloud
from nimbus.services.resourcemanager.projects import ProjectSpec
from nimbus.settings import ServerSettings
from nimbus.store.models import Budget, BudgetAlert
from tests.clocks import ManualClock
from tests.unit.cloud_owner import owner_of

START = dt.datetime(2026, 3, 11, 12, 0, tzinfo=dt.UTC)
UTC = dt.UTC


class FakeSpend:
    """What the projects cost: ``current`` for windows in this period, ``earlier`` for
    whole windows before it."""

    def __init__(self) -> None:
        self.current = Decimal(0)
        self.earlier = Decimal(0)
        self.calls: list[tuple[list[int], list[str] | None]] = []

    def total_cost(
        self,
        project_numbers: Collection[int],
        service_ids: Collection[str] | None,
        start: dt.datetime,
        end: dt.datetime,
    ) -> Decimal:
        assert end > start
        self.calls.append(
            (sorted(project_numbers), None if service_ids is None else sorted(service_ids))
        )
        return (
            self.earlier
            if end <= dt.datetime(START.year, START.month, 1, tzinfo=UTC)
            else self.current
        )


class Posts:
    """A webhook that records what it gets, failing while ``failing``."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self.failing = False

    def __call__(self, url: str, body: Mapping[str, Any], headers: Mapping[str, str]) -> None:
        if self.failing:
            raise httpx.ConnectError("refused")
        self.sent.append((url, dict(body), dict(headers)))


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Cloud, ManualClock, FakeSpend, Posts, BudgetAlerts]]:
    clock = ManualClock(START)
    cloud = Cloud.assemble(ServerSettings(data_dir=tmp_path, runtime="fake"), clock=clock)
    cloud.start()
    spend, posts = FakeSpend(), Posts()
    sender = WebhookSender(cloud.db, clock, posts, lease_clock=clock)
    yield cloud, clock, spend, posts, BudgetAlerts(cloud.db, spend, clock, sender)
    cloud.close()


def _budget(cloud: Cloud, **fields: Any) -> str:
    owner = owner_of(cloud)
    project = cloud.projects.create(owner, ProjectSpec("budgeted"))
    with cloud.db.read() as session:
        account = default_account_id(session)
    assert account is not None
    body = {
        "displayName": "b",
        "budgetFilter": {"projects": [f"projects/{project.project_id}"]},
        "amount": {"specifiedAmount": {"units": "100"}},
        "notificationsRule": {"webhookUrl": "http://127.0.0.1:9/hook"},
        **fields,
    }
    return cloud.budgets.create(owner, account_key(account), body).budget.id


def _alerts(cloud: Cloud) -> list[BudgetAlert]:
    with cloud.db.read() as session:
        return list(session.scalars(select(BudgetAlert).order_by(BudgetAlert.id)))


# -- periods ---------------------------------------------------------------------------


def test_calendar_and_custom_periods() -> None:
    at = dt.datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    month = current_period({"calendarPeriod": "MONTH"}, at)
    assert month == Period(
        dt.datetime(2026, 11, 1, tzinfo=UTC), dt.datetime(2026, 12, 1, tzinfo=UTC)
    )
    quarter = current_period({"calendarPeriod": "QUARTER"}, at)
    assert quarter == Period(
        dt.datetime(2026, 10, 1, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC)
    )
    year = current_period({"calendarPeriod": "YEAR"}, at)
    assert year == Period(dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC))
    assert previous_period(
        {"calendarPeriod": "MONTH"}, dt.datetime(2026, 1, 5, tzinfo=UTC)
    ) == Period(dt.datetime(2025, 12, 1, tzinfo=UTC), dt.datetime(2026, 1, 1, tzinfo=UTC))
    custom = {"customPeriod": {"startDate": {"year": 2026, "month": 11, "day": 20}}}
    assert current_period(custom, at) == Period(dt.datetime(2026, 11, 20, tzinfo=UTC), None)
    assert current_period(custom, dt.datetime(2026, 11, 19, tzinfo=UTC)) is None
    bounded = {
        "customPeriod": {
            **custom["customPeriod"],
            "endDate": {"year": 2026, "month": 11, "day": 30},
        }
    }
    assert current_period(bounded, at) == Period(
        dt.datetime(2026, 11, 20, tzinfo=UTC), dt.datetime(2026, 12, 1, tzinfo=UTC)
    )
    assert previous_period(custom, at) is None


def test_forecast_waits_a_day_then_extrapolates() -> None:
    period = Period(dt.datetime(2026, 4, 1, tzinfo=UTC), dt.datetime(2026, 5, 1, tzinfo=UTC))
    assert forecast(Decimal(5), period, dt.datetime(2026, 4, 1, 23, tzinfo=UTC)) is None
    assert forecast(Decimal(10), period, dt.datetime(2026, 4, 4, tzinfo=UTC)) == Decimal(100)
    assert (
        forecast(Decimal(10), Period(period.start, None), dt.datetime(2026, 4, 4, tzinfo=UTC))
        is None
    )


# -- alerts ----------------------------------------------------------------------------


def test_each_threshold_alerts_once_per_period(world: Any) -> None:
    cloud, clock, spend, posts, alerts = world
    _budget(cloud)
    spend.current = Decimal("49.99")
    assert alerts.run_once().recorded == 0
    spend.current = Decimal("60")
    assert (alerts.run_once().recorded, alerts.run_once().recorded) == (1, 0)
    spend.current = Decimal("120")
    assert alerts.run_once().recorded == 2  # 90% and 100% together
    assert alerts.run_once().recorded == 0
    assert [(a.threshold_percent, a.spend_basis) for a in _alerts(cloud)] == [
        (0.5, "CURRENT_SPEND"),
        (0.9, "CURRENT_SPEND"),
        (1.0, "CURRENT_SPEND"),
    ]
    assert [body["alertThresholdExceeded"] for _, body, _ in posts.sent] == [0.5, 0.9, 1.0]
    assert posts.sent[0][1]["costIntervalStart"] == "2026-03-01T00:00:00Z"
    assert posts.sent[0][1]["costAmount"] == 60.0 and posts.sent[0][1]["budgetAmount"] == 100.0

    # A new month is a new period: the thresholds alert again.
    clock.moment = dt.datetime(2026, 4, 2, tzinfo=UTC)
    spend.current = Decimal("55")
    assert alerts.run_once().recorded == 1
    assert _alerts(cloud)[-1].period_start == dt.datetime(2026, 4, 1, tzinfo=UTC)


def test_a_budget_made_after_the_spend_alerts_at_once_and_once(world: Any) -> None:
    cloud, _, spend, posts, alerts = world
    spend.current = Decimal("95")
    _budget(cloud)
    assert alerts.run_once().recorded == 2
    assert alerts.run_once().recorded == 0
    assert sorted(body["alertThresholdExceeded"] for _, body, _ in posts.sent) == [0.5, 0.9]


def test_forecasted_spend_alerts_with_the_forecast(world: Any) -> None:
    cloud, _, spend, posts, alerts = world
    _budget(
        cloud,
        thresholdRules=[
            {"thresholdPercent": 0.5},
            {"thresholdPercent": 1.0, "spendBasis": "FORECASTED_SPEND"},
        ],
    )
    spend.current = Decimal("40")  # 10.5 days into a 31-day month: about 118 forecast
    assert alerts.run_once().recorded == 1
    ((_, body, _),) = posts.sent
    assert body["forecastThresholdExceeded"] == 1.0
    assert "alertThresholdExceeded" not in body
    assert _alerts(cloud)[0].spend_basis == "FORECASTED_SPEND"


def test_last_period_amount_and_scope(world: Any) -> None:
    cloud, _, spend, posts, alerts = world
    _budget(
        cloud,
        amount={"lastPeriodAmount": {}},
        budgetFilter={"projects": ["projects/budgeted"], "services": ["services/6F81-5844-456A"]},
    )
    spend.earlier = Decimal("10")
    spend.current = Decimal("6")
    assert alerts.run_once().recorded == 1
    assert posts.sent[0][1]["budgetAmount"] == 10.0
    assert posts.sent[0][1]["budgetAmountType"] == "LAST_PERIOD_AMOUNT"
    assert all(services == ["6F81-5844-456A"] for _, services in spend.calls)


def test_an_unlinked_project_is_out_of_the_accounts_budgets(world: Any) -> None:
    cloud, _, spend, _, alerts = world
    _budget(cloud)
    cloud.billing_accounts.update_billing_info(owner_of(cloud), "budgeted", None)
    spend.current = Decimal("500")
    assert alerts.run_once().recorded == 0
    assert spend.calls == []


def test_webhook_delivery_is_retried_a_bounded_number_of_times(world: Any) -> None:
    cloud, _, spend, posts, alerts = world
    _budget(cloud)
    spend.current = Decimal("60")
    posts.failing = True
    for _ in range(budget_webhooks.MAX_ATTEMPTS + 2):
        alerts.run_once()
    (alert,) = _alerts(cloud)
    assert (alert.delivery, alert.attempts) == ("FAILED", budget_webhooks.MAX_ATTEMPTS)
    assert "refused" in alert.last_error and posts.sent == []


def test_a_claimed_alert_is_not_sent_twice(world: Any) -> None:
    cloud, clock, spend, posts, alerts = world
    _budget(cloud)
    spend.current = Decimal("60")
    alerts.evaluate(_alerts_budget_id(cloud))
    (alert,) = _alerts(cloud)
    other = WebhookSender(cloud.db, clock, posts, lease_clock=clock)
    assert other._claim(alert.id) is not None  # another process holds it now
    assert alerts.sender.deliver_pending() == 0 and posts.sent == []
    clock.advance(seconds=budget_webhooks.LEASE.total_seconds() + 1)  # that process died
    assert alerts.sender.deliver_pending() == 1 and len(posts.sent) == 1
    assert alerts.sender.deliver_pending() == 0


def test_no_webhook_no_delivery(world: Any) -> None:
    cloud, _, spend, posts, alerts = world
    _budget(cloud, notificationsRule={})
    spend.current = Decimal("60")
    assert alerts.run_once().delivered == 0
    assert [a.delivery for a in _alerts(cloud)] == ["NONE"] and posts.sent == []


def _alerts_budget_id(cloud: Cloud) -> str:
    with cloud.db.read() as session:
        return str(session.scalars(select(Budget.id)).one())
