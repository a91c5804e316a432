"""The Cloud Billing Catalog API, read by Google's own client (google-cloud-billing)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from importlib import resources
from pathlib import Path

import google.auth.transport.requests
import httpx
import pytest
from google.api_core import exceptions
from google.cloud import billing_v1
from google.oauth2 import service_account

from tests.servers import NimbusServer, running_server

pytestmark = pytest.mark.integration

COMPUTE = "services/6F81-5844-456A"
E2_CORE_AMERICAS = "CF4E-A0C7-E3BF"


@pytest.fixture
def catalog_client(
    server: NimbusServer, owner_credentials: service_account.Credentials
) -> Iterator[billing_v1.CloudCatalogClient]:
    client = billing_v1.CloudCatalogClient(
        credentials=owner_credentials,
        transport="rest",
        client_options={"api_endpoint": server.url},
    )
    with client:
        yield client


def _price_file() -> dict[str, object]:
    text = resources.files("nimbus.services.billing").joinpath("prices.json").read_text()
    data: dict[str, object] = json.loads(text)
    return data


def test_list_services_names_compute_engine_and_cloud_storage(
    catalog_client: billing_v1.CloudCatalogClient,
) -> None:
    services = {s.display_name: s for s in catalog_client.list_services()}
    assert services["Compute Engine"].name == COMPUTE
    assert services["Compute Engine"].service_id == "6F81-5844-456A"
    assert services["Cloud Storage"].service_id == "95FF-2EF5-5EA1"
    assert services["Cloud Storage"].business_entity_name == "businessEntities/GCP"


def test_list_skus_pages_and_prices_match_the_price_file(
    catalog_client: billing_v1.CloudCatalogClient,
) -> None:
    pager = catalog_client.list_skus(
        request=billing_v1.ListSkusRequest(parent=COMPUTE, page_size=10, currency_code="USD")
    )
    pages = list(pager.pages)
    skus = [sku for page in pages for sku in page.skus]
    assert len(pages) > 1 and all(len(page.skus) <= 10 for page in pages)
    assert len({sku.sku_id for sku in skus}) == len(skus)

    core = next(sku for sku in skus if sku.sku_id == E2_CORE_AMERICAS)
    assert core.name == f"{COMPUTE}/skus/{E2_CORE_AMERICAS}"
    assert core.description == "E2 Instance Core running in Americas"
    assert core.category.service_display_name == "Compute Engine"
    assert core.category.resource_family == "Compute"
    assert core.category.usage_type == "OnDemand"
    assert "us-central1" in core.service_regions
    assert core.geo_taxonomy.type_ == billing_v1.GeoTaxonomy.Type.REGIONAL
    assert core.service_provider_name == "Google"

    pricing = core.pricing_info[0]
    expression = pricing.pricing_expression
    assert expression.usage_unit == "h" and expression.base_unit == "s"
    assert expression.base_unit_conversion_factor == 3600
    rate = expression.tiered_rates[0]
    assert rate.start_usage_amount == 0 and rate.unit_price.currency_code == "USD"
    price = Decimal(rate.unit_price.units) + Decimal(rate.unit_price.nanos) / 10**9
    compute = _price_file()["compute"]
    assert isinstance(compute, dict)
    recorded = compute["families"]["e2"]["prices"][0]
    assert recorded["coreSku"] == E2_CORE_AMERICAS
    assert price == Decimal(recorded["core"])
    assert pricing.effective_time.date().isoformat() == _price_file()["recorded"]

    spot = [sku for sku in skus if sku.category.usage_type == "Preemptible"]
    assert spot and all(sku.description.startswith("Spot Preemptible ") for sku in spot)


def test_storage_skus_price_operations_per_count(
    catalog_client: billing_v1.CloudCatalogClient,
) -> None:
    skus = list(catalog_client.list_skus(parent="services/95FF-2EF5-5EA1"))
    class_a = next(s for s in skus if s.description == "Regional Standard Class A Operations")
    expression = class_a.pricing_info[0].pricing_expression
    assert (expression.usage_unit, expression.display_quantity) == ("count", 1000)
    assert expression.tiered_rates[0].unit_price.nanos == 5000  # $0.005 per 1,000
    multi = next(s for s in skus if s.description == "Standard Storage US Multi-region")
    assert multi.geo_taxonomy.type_ == billing_v1.GeoTaxonomy.Type.MULTI_REGIONAL
    assert "us-central1" in multi.geo_taxonomy.regions


def test_other_currencies_and_unknown_services_are_refused(
    catalog_client: billing_v1.CloudCatalogClient,
) -> None:
    with pytest.raises(exceptions.BadRequest) as refused:
        list(catalog_client.list_skus(request={"parent": COMPUTE, "currency_code": "EUR"}))
    assert refused.value.code == 400
    with pytest.raises(exceptions.NotFound):
        list(catalog_client.list_skus(parent="services/0000-0000-0000"))


def test_the_catalog_needs_an_authenticated_caller(
    server: NimbusServer, owner: google.auth.transport.requests.AuthorizedSession
) -> None:
    anonymous = httpx.get(f"{server.url}/v1/services")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["status"] == "UNAUTHENTICATED"
    response = owner.get(f"{server.url}/v1/services", params={"pageSize": 1})
    assert response.status_code == 200
    body = response.json()
    assert len(body["services"]) == 1 and body["nextPageToken"]
    rest = owner.get(
        f"{server.url}/v1/services", params={"pageToken": body["nextPageToken"]}
    ).json()
    assert [s["serviceId"] for s in rest["services"]] == ["95FF-2EF5-5EA1"]
    assert "nextPageToken" not in rest
    future = owner.get(
        f"{server.url}/v1/{COMPUTE}/skus", params={"startTime": "2999-01-01T00:00:00Z"}
    )
    assert future.status_code == 400


def test_nimbus_up_spot_discount_sets_spot_prices(tmp_path: Path) -> None:
    with running_server(tmp_path / "data", ["--spot-discount", "0.7"]) as own:
        credentials = service_account.Credentials.from_service_account_file(
            str(own.owner_key), scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
        client = billing_v1.CloudCatalogClient(
            credentials=credentials,
            transport="rest",
            client_options={"api_endpoint": own.url},
        )
        with client:
            skus = {sku.description: sku for sku in client.list_skus(parent=COMPUTE)}
    spot = skus["Spot Preemptible E2 Instance Core running in Americas"]
    rate = spot.pricing_info[0].pricing_expression.tiered_rates[0].unit_price
    assert (rate.units, rate.nanos) == (0, 6_543_477)  # $0.02181159 x (1 - 0.7)
