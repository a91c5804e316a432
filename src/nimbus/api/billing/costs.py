"""A project's cost lines, in the rows of Google's billing export.

Google delivers these through an export to BigQuery; Nimbus serves them on its own path
(a Nimbus API, apart from Google's), for ``nimbus billing report`` and ``export``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, scopes
from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import json_response
from nimbus.core.clock import as_utc, rfc3339
from nimbus.core.errors import InvalidArgument
from nimbus.core.moments import parse_moment
from nimbus.services.billing.charges import CostLine
from nimbus.services.caller import Caller

router = APIRouter(prefix="/nimbus/billing/v1")
Reader = Annotated[
    Caller, Depends(authenticated(scopes("cloud-billing", "cloud-billing.readonly")))
]


@router.get("/projects/{project}/costLines")
async def list_cost_lines(
    project: str,
    request: Request,
    caller: Reader,
    startTime: str | None = None,  # noqa: N803 - Google's parameter names
    endTime: str | None = None,  # noqa: N803
) -> Response:
    now = cloud_of(request).clock.now()
    start, end = _moment(startTime, "startTime", now), _moment(endTime, "endTime", now)
    lines = await call(cloud_of(request).metering.project_costs, caller, project, start, end)
    return json_response({"costLines": [export_row(line) for line in lines]})


def export_row(line: CostLine) -> dict[str, Any]:
    """One line with the columns of Google's standard billing export."""
    return {
        "billing_account_id": line.billing_account_id,
        "service": {"id": line.service_id, "description": line.service_description},
        "sku": {"id": line.sku_id, "description": line.sku_description},
        "usage_start_time": rfc3339(line.usage_start),
        "usage_end_time": rfc3339(line.usage_end),
        "project": {"id": line.project_id, "number": str(line.project_number)},
        "location": {"location": line.location, "region": line.location},
        "cost": float(line.cost),
        "currency": line.currency,
        "usage": {
            "amount": line.amount,
            "unit": line.unit,
            "amount_in_pricing_units": line.amount_in_pricing_units,
            "pricing_unit": line.pricing_unit,
        },
    }


def _moment(text: str | None, name: str, now: dt.datetime) -> dt.datetime | None:
    """A timestamp, or (a Nimbus convenience) a span back from now such as ``7d``."""
    if not text:
        return None
    try:
        return as_utc(parse_moment(text, now))
    except ValueError as exc:
        raise InvalidArgument(f"Invalid value for '{name}': {exc}.") from exc
