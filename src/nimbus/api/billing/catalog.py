"""Cloud Billing Catalog v1: ``/v1/services`` and ``/v1/services/{service}/skus``.

Google lets any authenticated caller read its price list; so does Nimbus, with no
per-resource permission. Prices are in USD only, one pricing version per SKU (the price
file's), effective from the date it was recorded.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from nimbus.api.auth import authenticated, scopes
from nimbus.api.deps import cloud_of
from nimbus.api.responses import json_response
from nimbus.core.clock import rfc3339
from nimbus.core.errors import InvalidArgument, Unauthenticated
from nimbus.core.moments import parse_timestamp
from nimbus.core.paging import PageRequest, decode_token, paginate
from nimbus.services.billing.catalog import CatalogService, PriceCatalog, Sku
from nimbus.services.caller import Caller

router = APIRouter(prefix="/v1/services")
DEFAULT_PAGE_SIZE = MAX_PAGE_SIZE = 5000
CURRENCY = "USD"


async def _reader(
    caller: Annotated[
        Caller,
        Depends(authenticated(scopes("cloud-billing", "cloud-billing.readonly", read_only=True))),
    ],
) -> Caller:
    if not caller.authenticated:
        raise Unauthenticated("Request is missing required authentication credential.")
    return caller


Reader = Annotated[Caller, Depends(_reader)]
PageSize = Annotated[int | None, Query(alias="pageSize")]
PageToken = Annotated[str | None, Query(alias="pageToken")]


@router.get("")
async def list_services(
    request: Request, _caller: Reader, page_size: PageSize = None, page_token: PageToken = None
) -> Response:
    services = _catalog(request).services()
    page = paginate(services, [s.service_id for s in services], _page(page_size, page_token))
    body: dict[str, Any] = {"services": [_service(s) for s in page.items]}
    if page.next_page_token:
        body["nextPageToken"] = page.next_page_token
    return json_response(body)


@router.get("/{service_id}/skus")
async def list_skus(
    service_id: str,
    request: Request,
    _caller: Reader,
    page_size: PageSize = None,
    page_token: PageToken = None,
    start_time: Annotated[str | None, Query(alias="startTime")] = None,
    end_time: Annotated[str | None, Query(alias="endTime")] = None,
    currency_code: Annotated[str | None, Query(alias="currencyCode")] = None,
) -> Response:
    if currency_code and currency_code != CURRENCY:
        raise InvalidArgument(
            f"Currency code '{currency_code}' is not supported: Nimbus prices in {CURRENCY} only."
        )
    _check_window(start_time, end_time, cloud_of(request).clock.now())
    catalog = _catalog(request)
    display_name = catalog.service(service_id).display_name
    skus = catalog.skus(service_id)
    page = paginate(skus, [s.sku_id for s in skus], _page(page_size, page_token))
    body: dict[str, Any] = {"skus": [_sku(catalog, s, display_name) for s in page.items]}
    if page.next_page_token:
        body["nextPageToken"] = page.next_page_token
    return json_response(body)


def _catalog(request: Request) -> PriceCatalog:
    return PriceCatalog.load(cloud_of(request).settings.spot_discount)


def _page(page_size: int | None, page_token: str | None) -> PageRequest:
    if page_size is not None and page_size < 0:
        raise InvalidArgument(f"Invalid value for field 'pageSize': '{page_size}'.")
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    return PageRequest(size=size, after=decode_token(page_token) if page_token else None)


def _check_window(start: str | None, end: str | None, now: dt.datetime) -> None:
    """Google's rules for the pricing window: valid timestamps, none in the future, and
    the end not before the start. Nimbus has one pricing version, so any window shows it."""
    start_at = _timestamp("startTime", start)
    end_at = _timestamp("endTime", end)
    for field, moment in (("startTime", start_at), ("endTime", end_at)):
        if moment is not None and moment > now:
            raise InvalidArgument(f"Invalid value for field '{field}': it is in the future.")
    if start_at is not None and end_at is not None and end_at < start_at:
        raise InvalidArgument("The end time must not be before the start time.")


def _timestamp(field: str, text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise InvalidArgument(f"Invalid value for field '{field}': '{text}'.") from exc


def _service(service: CatalogService) -> dict[str, Any]:
    return {
        "name": service.name,
        "serviceId": service.service_id,
        "displayName": service.display_name,
        "businessEntityName": service.business_entity_name,
    }


def _sku(catalog: PriceCatalog, sku: Sku, service_display_name: str) -> dict[str, Any]:
    geo_type, geo_regions = catalog.geo_taxonomy(sku)
    return {
        "name": sku.name,
        "skuId": sku.sku_id,
        "description": sku.description,
        "category": {
            "serviceDisplayName": service_display_name,
            "resourceFamily": sku.resource_family,
            "resourceGroup": sku.resource_group,
            "usageType": sku.usage_type,
        },
        "serviceRegions": list(sku.service_regions),
        "pricingInfo": [
            {
                "summary": "",
                "pricingExpression": _pricing_expression(sku),
                "currencyConversionRate": 1,
                "effectiveTime": _effective_time(catalog.recorded),
            }
        ],
        "serviceProviderName": "Google",
        "geoTaxonomy": {"type": geo_type, "regions": list(geo_regions)},
    }


def _pricing_expression(sku: Sku) -> dict[str, Any]:
    return {
        "usageUnit": sku.usage_unit,
        "displayQuantity": _number(sku.display_quantity),
        "tieredRates": [{"startUsageAmount": 0, "unitPrice": _money(sku.unit_price)}],
        "usageUnitDescription": sku.usage_unit_description,
        "baseUnit": sku.base_unit,
        "baseUnitDescription": sku.base_unit_description,
        "baseUnitConversionFactor": _number(sku.base_unit_conversion_factor),
    }


def _money(amount: Decimal) -> dict[str, Any]:
    """``google.type.Money``: whole units as a string, the rest in nanos."""
    units = int(amount)
    nanos = int((amount - units) * 1_000_000_000)
    return {"currencyCode": CURRENCY, "units": str(units), "nanos": nanos}


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _effective_time(recorded: str) -> str:
    return rfc3339(dt.datetime.fromisoformat(recorded).replace(tzinfo=dt.UTC))
