"""A budget's period at a moment of the world's clock, and its linear forecast.

Calendar periods (month, quarter, year) and custom periods run in UTC; Google's run in
US Pacific time. A custom period runs from 00:00 of its start date to the end of its
end date (or on, without one).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# A forecast needs some history: none before a day of the period has passed.
FORECAST_AFTER = dt.timedelta(days=1)
_MONTHS_IN = {"MONTH": 1, "QUARTER": 3, "YEAR": 12}


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime | None  # None: a custom period without an end date


def current_period(budget_filter: Mapping[str, Any], now: dt.datetime) -> Period | None:
    """The period ``now`` falls in; None before a custom period has begun."""
    custom = budget_filter.get("customPeriod")
    if custom:
        start = _midnight(custom["startDate"])
        if now < start:
            return None
        end_date = custom.get("endDate")
        end = _midnight(end_date) + dt.timedelta(days=1) if end_date else None
        return Period(start, end)
    months = _MONTHS_IN[budget_filter.get("calendarPeriod", "MONTH")]
    first_month = (now.month - 1) // months * months + 1
    start = dt.datetime(now.year, first_month, 1, tzinfo=dt.UTC)
    return Period(start, _add_months(start, months))


def previous_period(budget_filter: Mapping[str, Any], now: dt.datetime) -> Period | None:
    """The calendar period before the current one (for ``lastPeriodAmount``)."""
    if budget_filter.get("customPeriod"):
        return None
    months = _MONTHS_IN[budget_filter.get("calendarPeriod", "MONTH")]
    current = current_period(budget_filter, now)
    assert current is not None
    return Period(_add_months(current.start, -months), current.start)


def forecast(spend: Decimal, period: Period, now: dt.datetime) -> Decimal | None:
    """Spend at the same pace to the period's end; None while it is too early to tell."""
    if period.end is None:
        return None
    elapsed = now - period.start
    if elapsed < FORECAST_AFTER:
        return None
    length = period.end - period.start
    return spend * Decimal(length.total_seconds()) / Decimal(elapsed.total_seconds())


def _midnight(date: Mapping[str, int]) -> dt.datetime:
    return dt.datetime(date["year"], date["month"], date["day"], tzinfo=dt.UTC)


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)
