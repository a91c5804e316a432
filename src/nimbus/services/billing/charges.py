"""Charges gathered per project, SKU, location and hour, then priced into cost lines."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVarTuple

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from nimbus.services.billing.catalog import PriceCatalog, Sku
from nimbus.services.billing.hours import HOUR, hour_of, split_hours

# The names Google's billing export gives to units.
_EXPORT_UNITS = {
    "h": "hour",
    "GiBy.h": "gibibyte hour",
    "GiBy.mo": "gibibyte month",
    "count": "count",
}
_BASE_UNITS = {"s": "seconds", "By.s": "byte-seconds", "count": "requests"}


@dataclass(frozen=True)
class CostLine:
    """One row of the bill: a project's use of one SKU in one location for one hour."""

    project_number: int
    project_id: str
    service_id: str
    service_description: str
    sku_id: str
    sku_description: str
    location: str
    usage_start: dt.datetime
    usage_end: dt.datetime
    # In the SKU's pricing unit (hours, GiB-hours, GiB-months, counts) ...
    amount_in_pricing_units: float
    pricing_unit: str
    # ... and in the base unit Google's export reports (seconds, byte-seconds, requests).
    amount: float
    unit: str
    cost: Decimal
    currency: str = "USD"
    # The account the project pays through ("" when it has none).
    billing_account_id: str = ""


_Key = tuple[int, str, str, dt.datetime]
_Row = TypeVarTuple("_Row")  # project number, SKU id, location, hour


class Charges:
    """Usage in pricing units, summed per (project, SKU, location, hour)."""

    def __init__(self) -> None:
        self._amounts: defaultdict[_Key, float] = defaultdict(float)
        self._skus: dict[str, Sku] = {}

    def add(
        self, project_number: int, sku: Sku, location: str, hour: dt.datetime, amount: float
    ) -> None:
        if amount:
            self._skus[sku.sku_id] = sku
            self._amounts[(project_number, sku.sku_id, location, hour)] += amount

    def projects(self) -> set[int]:
        return {project for project, *_ in self._amounts}

    def lines(
        self,
        project_ids: dict[int, str],
        service_names: dict[str, str],
        accounts: dict[int, str],
    ) -> list[CostLine]:
        lines = []
        for (project, sku_id, location, hour), amount in sorted(self._amounts.items()):
            sku = self._skus[sku_id]
            lines.append(
                CostLine(
                    project_number=project,
                    project_id=project_ids.get(project, str(project)),
                    service_id=sku.service_id,
                    service_description=service_names.get(sku.service_id, sku.service_id),
                    sku_id=sku.sku_id,
                    sku_description=sku.description,
                    location=location,
                    usage_start=hour,
                    usage_end=hour + HOUR,
                    amount_in_pricing_units=amount,
                    pricing_unit=_EXPORT_UNITS.get(sku.usage_unit, sku.usage_unit),
                    amount=amount * sku.base_unit_conversion_factor,
                    unit=_BASE_UNITS.get(sku.base_unit, sku.base_unit),
                    cost=Decimal(repr(amount)) * sku.unit_price,
                    billing_account_id=accounts.get(project, ""),
                )
            )
        return lines


@dataclass(frozen=True)
class Metered:
    """What one metering pass reads from and adds to: the store, the prices, the charges
    so far, which projects (None: all) and the window [start, end)."""

    session: Session
    catalog: PriceCatalog
    charges: Charges
    project_numbers: Collection[int] | None
    window: tuple[dt.datetime, dt.datetime]
    # False for totals: usage then goes to one line per SKU, not one per hour, which
    # is what a budget needs and many times less work over a month.
    hourly: bool = True

    def pieces(self, start: dt.datetime, end: dt.datetime) -> Iterator[tuple[dt.datetime, float]]:
        """[start, end) as (hour, seconds) pieces; one piece when not ``hourly``."""
        if self.hourly:
            yield from split_hours(start, end)
        elif end > start:
            yield hour_of(self.window[0]), (end - start).total_seconds()

    def of_projects(
        self, query: Select[*_Row], column: InstrumentedAttribute[int]
    ) -> Select[*_Row]:
        """``query`` narrowed to the projects metered."""
        if self.project_numbers is None:
            return query
        return query.where(column.in_(list(self.project_numbers)))
