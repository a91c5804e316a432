"""Cost lines grouped for people: totals per service, SKU or day, and a text chart."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

GROUPINGS = ("service", "sku", "day", "hour")
_BAR_WIDTH = 40
_BLOCKS = " ▏▎▍▌▋▊▉█"


def group_costs(lines: Iterable[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    """One row per group, largest cost first (days and hours in time order)."""
    totals: defaultdict[str, Decimal] = defaultdict(Decimal)
    usage: dict[str, str] = {}
    for line in lines:
        key = _key(line, by)
        totals[key] += Decimal(repr(line["cost"]))
        if by == "sku":
            usage[key] = line["usage"]["pricing_unit"]
    if by in ("day", "hour"):
        ordered = sorted(totals.items())
    else:
        ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    rows = []
    for key, cost in ordered:
        row: dict[str, Any] = {by: key, "cost": f"{cost:.6f}", "currency": "USD"}
        if by == "sku":
            row["unit"] = usage[key]
        rows.append(row)
    return rows


def _key(line: dict[str, Any], by: str) -> str:
    if by == "service":
        return str(line["service"]["description"])
    if by == "sku":
        return str(line["sku"]["description"])
    start = str(line["usage_start_time"])
    return start[:10] if by == "day" else start[:13].replace("T", " ") + ":00"


def chart(lines: list[dict[str, Any]]) -> str:
    """Cost over time as horizontal bars: per day, or per hour for a short period."""
    if not lines:
        return ""
    days = {str(line["usage_start_time"])[:10] for line in lines}
    by = "hour" if len(days) <= 2 else "day"
    rows = group_costs(lines, by)
    peak = max(Decimal(row["cost"]) for row in rows) or Decimal(1)
    width = max(len(row[by]) for row in rows)
    out = [f"Cost over time (per {by}, USD)"]
    for row in rows:
        cost = Decimal(row["cost"])
        out.append(f"{row[by]:<{width}}  {_bar(float(cost / peak))} {cost:.4f}")
    return "\n".join(out)


def _bar(fraction: float) -> str:
    eighths = round(max(0.0, min(1.0, fraction)) * _BAR_WIDTH * 8)
    full, rest = divmod(eighths, 8)
    return ("█" * full + (_BLOCKS[rest] if rest else "")).ljust(_BAR_WIDTH)


EXPORT_COLUMNS = (
    "billing_account_id",
    "service.id",
    "service.description",
    "sku.id",
    "sku.description",
    "usage_start_time",
    "usage_end_time",
    "project.id",
    "project.number",
    "location.location",
    "location.region",
    "cost",
    "currency",
    "usage.amount",
    "usage.unit",
    "usage.amount_in_pricing_units",
    "usage.pricing_unit",
)


def flat(line: dict[str, Any]) -> dict[str, Any]:
    """A line with dotted column names, as the export's CSV has them."""
    row: dict[str, Any] = {}
    for column in EXPORT_COLUMNS:
        value: Any = line
        for part in column.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        row[column] = value
    return row
