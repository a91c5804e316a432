"""The price catalog: Google's list prices, Spot arithmetic, where prices apply, and
what it refuses."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal
from importlib import resources

import pytest

from nimbus.core.errors import InvalidArgument, NotFound
from nimbus.services.billing.catalog import (
    COMPUTE_SERVICE_ID,
    HOURS_PER_MONTH,
    STORAGE_SERVICE_ID,
    PriceCatalog,
)

NANO = Decimal("0.000000001")
GIB = 2**30


@pytest.fixture
def catalog() -> PriceCatalog:
    return PriceCatalog.load()


def test_e2_micro_matches_googles_published_hourly_price(catalog: PriceCatalog) -> None:
    core, ram = catalog.instance_skus("e2-micro", "us-central1-a", "STANDARD")
    # Google's pages show the vCPU and GiB prices cut to six places.
    assert core.unit_price.quantize(Decimal("0.000001"), ROUND_DOWN) == Decimal("0.021811")
    assert ram.unit_price.quantize(Decimal("0.000001"), ROUND_DOWN) == Decimal("0.002923")
    billed = Decimal(str(catalog.billed_vcpus("e2-micro", 2)))
    assert billed == Decimal("0.25")
    hourly = billed * core.unit_price + 1 * ram.unit_price
    assert hourly.quantize(Decimal("0.000001")) == Decimal("0.008376")
    monthly = catalog.monthly_instance_cost("e2-micro", 2, 1024, "us-central1-a", "STANDARD")
    assert monthly == hourly * HOURS_PER_MONTH


def test_sku_shapes_follow_googles(catalog: PriceCatalog) -> None:
    core, ram = catalog.instance_skus("e2-standard-2", "us-central1", "STANDARD")
    assert core.sku_id == "CF4E-A0C7-E3BF"
    assert core.description == "E2 Instance Core running in Americas"
    assert (core.usage_unit, core.base_unit, core.base_unit_conversion_factor) == ("h", "s", 3600)
    assert (ram.usage_unit, ram.base_unit) == ("GiBy.h", "By.s")
    assert ram.base_unit_conversion_factor == GIB * 3600
    assert core.service_id == COMPUTE_SERVICE_ID and core.usage_type == "OnDemand"
    assert "us-east1" in core.service_regions
    everything = catalog.skus(COMPUTE_SERVICE_ID) + catalog.skus(STORAGE_SERVICE_ID)
    ids = [sku.sku_id for sku in everything]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}", i) for i in ids)
    assert catalog.sku("CF4E-A0C7-E3BF") == core


@pytest.mark.parametrize("discount", [None, 0.7, 0.0])
@pytest.mark.parametrize("machine_type", ["e2-standard-4", "n1-standard-2", "n2-highmem-8"])
@pytest.mark.parametrize("zone", ["us-central1-a", "europe-west1-b", "europe-west4-a"])
def test_spot_is_on_demand_less_the_discount(
    discount: float | None, machine_type: str, zone: str
) -> None:
    catalog = PriceCatalog.load(discount)
    expected_discount = 0.6 if discount is None else discount
    assert catalog.spot_discount == expected_discount
    share = 1 - Decimal(str(expected_discount))
    on_demand = catalog.instance_skus(machine_type, zone, "STANDARD")
    spot = catalog.instance_skus(machine_type, zone, "SPOT")
    assert catalog.instance_skus(machine_type, zone, "preemptible") == spot
    for regular, cheap in zip(on_demand, spot, strict=True):
        assert cheap.unit_price == (regular.unit_price * share).quantize(NANO)
        assert cheap.usage_type == "Preemptible"
        assert cheap.description == "Spot Preemptible " + regular.description
        assert cheap.sku_id != regular.sku_id


def test_the_catalog_is_parsed_once_per_discount() -> None:
    assert PriceCatalog.load() is PriceCatalog.load()
    assert PriceCatalog.load(0.7) is PriceCatalog.load(0.7)
    assert PriceCatalog.load(0.7) is not PriceCatalog.load()
    with pytest.raises(ValueError):
        PriceCatalog.load(1.0)


@pytest.mark.parametrize(
    ("location", "priced_as"),
    [
        ("us-central1", "us-central1"),
        ("us-central1-f", "us-central1"),
        ("US-EAST1", "us-east1"),
        ("europe-west4-a", "europe-west4"),
        ("us-west2-b", "us-central1"),  # Americas
        ("northamerica-northeast1", "us-central1"),
        ("southamerica-east1-c", "us-central1"),
        ("europe-west3", "europe-west1"),  # Europe
        ("me-central1", "europe-west1"),
        ("asia-east1-a", "us-central1"),  # no priced Asia-Pacific region
        ("australia-southeast1", "us-central1"),
        ("global", "us-central1"),
        ("US", "us"),  # bucket multi-regions keep their own storage prices
        ("eu", "eu"),
        ("ASIA", "asia"),
        ("NAM4", "us-central1"),  # dual-regions: the first priced member
        ("EUR4", "europe-west4"),
        ("EUR5", "europe-west1"),
    ],
)
def test_pricing_region(catalog: PriceCatalog, location: str, priced_as: str) -> None:
    assert catalog.pricing_region(location) == priced_as


def test_unpriced_regions_use_their_geographys_prices(catalog: PriceCatalog) -> None:
    frankfurt = catalog.instance_skus("n2-standard-2", "europe-west3-a", "STANDARD")
    assert frankfurt == catalog.instance_skus("n2-standard-2", "europe-west1-b", "STANDARD")
    assert catalog.storage_sku("NEARLINE", "EUROPE-WEST9").description == (
        "Nearline Storage Belgium"
    )


def test_machine_families_shared_cores_and_custom_types(catalog: PriceCatalog) -> None:
    assert catalog.billed_vcpus("e2-small", 2) == 0.5
    assert catalog.billed_vcpus("e2-medium", 2) == 1.0
    assert catalog.billed_vcpus("zones/us-central1-a/machineTypes/e2-micro", 2) == 0.25
    assert catalog.billed_vcpus("e2-standard-4", 4) == 4
    n1 = catalog.instance_skus("n1-standard-1", "us-central1-a", "STANDARD")
    assert catalog.instance_skus("custom-2-4096", "us-central1-a", "STANDARD") == n1
    assert catalog.instance_skus("g1-small", "us-central1-a", "STANDARD") == n1
    n2 = catalog.instance_skus("n2-standard-2", "us-central1-a", "STANDARD")
    url = "projects/p/zones/us-central1-a/machineTypes/n2-custom-4-8192"
    assert catalog.instance_skus(url, "us-central1-a", "STANDARD") == n2
    e2 = catalog.instance_skus("e2-custom-4-8192", "us-central1-a", "STANDARD")
    assert e2[0].description.startswith("E2 ")


def test_disks_and_snapshots(catalog: PriceCatalog) -> None:
    standard = catalog.disk_sku("pd-standard", "us-central1-a")
    assert (standard.sku_id, standard.usage_unit) == ("D973-5D65-BAB2", "GiBy.mo")
    assert standard.base_unit_conversion_factor == GIB * 3600 * HOURS_PER_MONTH
    assert catalog.disk_sku("pd-standard", "europe-west1-b") == standard
    assert catalog.monthly_disk_cost("pd-balanced", 100, "us-east1-b") == Decimal("10")
    ssd = "projects/p/zones/europe-west4-a/diskTypes/pd-ssd"
    assert catalog.disk_sku(ssd, "europe-west4-a").unit_price == Decimal("0.187")
    assert catalog.monthly_snapshot_cost(10) == Decimal("0.5")
    assert catalog.snapshot_sku("us").unit_price == Decimal("0.065")


def test_storage_classes_operations_and_early_deletion(catalog: PriceCatalog) -> None:
    assert [catalog.minimum_storage_days(c) for c in ("STANDARD", "nearline", "COLDLINE")] == [
        0,
        30,
        90,
    ]
    assert catalog.minimum_storage_days("ARCHIVE") == 365
    regional = catalog.storage_sku("STANDARD", "us-central1")
    assert regional.unit_price == Decimal("0.02")
    assert catalog.storage_sku("REGIONAL", "US-CENTRAL1") == regional  # a legacy class
    assert catalog.storage_sku("STANDARD", "US").unit_price == Decimal("0.026")
    gib_month = catalog.monthly_storage_cost("ARCHIVE", "us-central1", 10 * GIB)
    assert gib_month == Decimal("0.012")

    class_a = catalog.operation_sku("STANDARD", "A", "us-central1")
    assert (class_a.usage_unit, class_a.display_quantity) == ("count", 1000)
    assert class_a.unit_price * 1000 == Decimal("0.005")
    assert catalog.operation_sku("STANDARD", "B", "EU").unit_price * 1000 == Decimal("0.0004")
    assert catalog.operation_sku("NEARLINE", "a", "US").unit_price * 1000 == Decimal("0.02")

    early = catalog.early_delete_sku("COLDLINE", "europe-west1")
    assert early.unit_price == catalog.storage_sku("COLDLINE", "europe-west1").unit_price
    assert early.usage_unit == "GiBy.mo" and "Early Delete" in early.description
    assert early.sku_id != catalog.storage_sku("COLDLINE", "europe-west1").sku_id


@pytest.mark.parametrize(
    "lookup",
    [
        lambda c: c.instance_skus("c2-standard-4", "us-central1-a", "STANDARD"),
        lambda c: c.instance_skus("e2-standard-2", "us-central1-a", "RESERVED"),
        lambda c: c.instance_skus("e2-standard-2", "US", "STANDARD"),
        lambda c: c.disk_sku("pd-extreme", "us-central1-a"),
        lambda c: c.storage_sku("GLACIER", "US"),
        lambda c: c.minimum_storage_days("GLACIER"),
        lambda c: c.operation_sku("STANDARD", "C", "US"),
        lambda c: c.early_delete_sku("STANDARD", "US"),
        lambda c: c.pricing_region("mars-north1"),
    ],
)
def test_unknown_inputs_are_invalid_arguments(
    catalog: PriceCatalog, lookup: Callable[[PriceCatalog], object]
) -> None:
    with pytest.raises(InvalidArgument):
        lookup(catalog)


def test_unknown_services_and_skus_are_not_found(catalog: PriceCatalog) -> None:
    with pytest.raises(NotFound):
        catalog.skus("0000-0000-0000")
    with pytest.raises(NotFound):
        catalog.sku("0000-0000-0000")
    names = [(s.name, s.display_name) for s in catalog.services()]
    assert names == [
        ("services/6F81-5844-456A", "Compute Engine"),
        ("services/95FF-2EF5-5EA1", "Cloud Storage"),
    ]
    assert catalog.service(STORAGE_SERVICE_ID).business_entity_name == "businessEntities/GCP"


def test_the_price_file_says_where_its_figures_come_from(catalog: PriceCatalog) -> None:
    data = json.loads(
        resources.files("nimbus.services.billing").joinpath("prices.json").read_text()
    )
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", catalog.recorded)
    for page in ("vm-instance-pricing", "disks-image-pricing", "storage/pricing", "spot-vms"):
        assert any(page in source for source in catalog.sources)
    assert data["spotDiscount"]["source"].startswith("https://cloud.google.com/")
