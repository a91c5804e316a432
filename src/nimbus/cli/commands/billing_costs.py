"""``nimbus billing report`` and ``nimbus billing export``: a project's bill."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from nimbus.cli import output
from nimbus.cli.billing_report import (
    EXPORT_COLUMNS,
    GROUPINGS,
    chart,
    flat,
    group_costs,
)
from nimbus.cli.context import Context, context_of
from nimbus.cli.failures import CliError
from nimbus.core.moments import parse_moment

Since = Annotated[
    str | None,
    typer.Option("--since", help="From when: a date (2026-11-01), a time, or a span (7d, 12h)."),
]
Until = Annotated[str | None, typer.Option("--until", help="Up to when (default: now).")]


def report(
    ctx: typer.Context,
    by: Annotated[
        str, typer.Option("--by", help="Group by service, sku, day or hour.")
    ] = "service",
    since: Since = None,
    until: Until = None,
) -> None:
    """The project's costs at list prices, grouped, with a chart of cost over time."""
    if by not in GROUPINGS:
        raise CliError(f"invalid --by {by!r}: choose one of {', '.join(GROUPINGS)}")
    context = context_of(ctx)
    lines = _cost_lines(context, since, until)
    rows = group_costs(lines, by)
    if context.format:
        output.show(rows, context.format, "")
        return
    total = sum((Decimal(row["cost"]) for row in rows), Decimal(0))
    columns = f"{by}:label={by.upper()}, cost:label=COST, currency:label=CURRENCY"
    if by == "sku":
        columns += ", unit:label=UNIT"
    output.show(rows, None, f"table({columns})")
    print(f"\nTotal: {total:.6f} USD")
    if lines:
        print()
        print(chart(lines))


def export(
    ctx: typer.Context,
    since: Since = None,
    until: Until = None,
    destination: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Every cost line (per SKU and hour) with the columns of Google's billing export,
    as CSV (default) or JSON (--format json)."""
    context = context_of(ctx)
    chosen = (context.format or "csv").lower()
    if chosen not in ("csv", "json"):
        raise CliError(f"invalid --format {chosen!r} for an export: choose csv or json")
    lines = _cost_lines(context, since, until)
    text = json.dumps(lines, indent=2) + "\n" if chosen == "json" else _csv(lines)
    if destination is None:
        sys.stdout.write(text)
        return
    destination.write_text(text)
    output.status(f"Exported {len(lines)} cost lines to [{destination}].")


def _cost_lines(context: Context, since: str | None, until: str | None) -> list[dict[str, Any]]:
    # Spans such as 7d are resolved by the server, against its clock.
    params: dict[str, str] = {}
    for flag, name, value in (("--since", "startTime", since), ("--until", "endTime", until)):
        if value:
            try:
                parse_moment(value, dt.datetime.now(dt.UTC))
            except ValueError as exc:
                raise CliError(f"invalid {flag}: {exc}") from exc
            params[name] = value
    with context.api() as api:
        found = api.get(f"/nimbus/billing/v1/projects/{context.project()}/costLines", params=params)
    lines: list[dict[str, Any]] = found.get("costLines", [])
    return lines


def _csv(lines: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(EXPORT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for line in lines:
        writer.writerow(flat(line))
    return buffer.getvalue()
