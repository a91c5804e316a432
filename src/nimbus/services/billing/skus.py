"""The catalog's records, shaped as the Cloud Billing Catalog API shapes them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

ON_DEMAND = "OnDemand"
PREEMPTIBLE = "Preemptible"  # Google's usage type for Spot and preemptible SKUs


@dataclass(frozen=True)
class CatalogService:
    service_id: str
    display_name: str

    @property
    def name(self) -> str:
        return f"services/{self.service_id}"

    @property
    def business_entity_name(self) -> str:
        return "businessEntities/GCP"


@dataclass(frozen=True)
class Sku:
    sku_id: str
    service_id: str
    description: str
    resource_family: str
    resource_group: str
    usage_type: str
    service_regions: tuple[str, ...]
    usage_unit: str
    usage_unit_description: str
    base_unit: str
    base_unit_description: str
    base_unit_conversion_factor: float
    display_quantity: float
    unit_price: Decimal  # USD per usage_unit

    @property
    def name(self) -> str:
        return f"services/{self.service_id}/skus/{self.sku_id}"


@dataclass(frozen=True)
class Unit:
    """A usage unit and the base unit Google meters it in."""

    usage_unit: str
    description: str
    base_unit: str
    base_description: str
    base_per_unit: float


SECONDS_PER_HOUR = 3600
GIB = 2**30
HOURS_PER_MONTH = 730  # Google's month for GiBy.mo prices

UNITS = {
    unit.usage_unit: unit
    for unit in (
        Unit("h", "hour", "s", "second", SECONDS_PER_HOUR),
        Unit("GiBy.h", "gibibyte hour", "By.s", "byte second", GIB * SECONDS_PER_HOUR),
        Unit(
            "GiBy.mo",
            "gibibyte month",
            "By.s",
            "byte second",
            GIB * SECONDS_PER_HOUR * HOURS_PER_MONTH,
        ),
        Unit("count", "count", "count", "count", 1),
    )
}


def derived_sku_id(description: str) -> str:
    """A stable id in Google's ``XXXX-XXXX-XXXX`` form, for SKUs whose real id is unknown."""
    digits = hashlib.sha256(description.encode()).hexdigest()[:12].upper()
    return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"
