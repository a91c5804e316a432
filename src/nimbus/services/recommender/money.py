"""Savings as Google's ``costProjection``: a negative ``google.type.Money`` over 30 days.

The price catalog quotes a month of 730 hours; a projection covers 2592000 s (720
hours), so a monthly figure is scaled by 720/730.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

PROJECTION_SECONDS = 2_592_000
_CATALOG_MONTH_HOURS = Decimal(730)
_PROJECTION_HOURS = Decimal(PROJECTION_SECONDS // 3600)
_NANO = Decimal("0.000000001")


def projected(monthly: Decimal) -> Decimal:
    """A 730-hour monthly cost over the projection's 30 days, to the nano."""
    return (monthly * _PROJECTION_HOURS / _CATALOG_MONTH_HOURS).quantize(_NANO, ROUND_HALF_EVEN)


def money(amount: Decimal, currency: str = "USD") -> dict[str, Any]:
    """``{"currencyCode", "units", "nanos"}``; units and nanos share the amount's sign."""
    amount = amount.quantize(_NANO, ROUND_HALF_EVEN)
    units = int(amount)  # truncates toward zero, as Money wants
    nanos = int((amount - units) / _NANO)
    return {"currencyCode": currency, "units": str(units), "nanos": nanos}


def amount_of(value: dict[str, Any]) -> Decimal:
    """The inverse of :func:`money`."""
    return Decimal(int(value.get("units") or 0)) + Decimal(int(value.get("nanos") or 0)) * _NANO


def cost_projection(monthly_saving: Decimal) -> dict[str, Any]:
    """Google's costProjection for a saving per catalog month (a cost going down is
    negative), over the projection's 30 days."""
    return {"cost": money(-projected(monthly_saving)), "duration": f"{PROJECTION_SECONDS}s"}
