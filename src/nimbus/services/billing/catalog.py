"""Google's list prices, as the Cloud Billing Catalog serves them and the bill uses them.

The prices come from the packaged ``prices.json`` (sources and date inside); Spot and
preemptible prices are on-demand times (1 - discount), the discount configurable per
server. A location without prices of its own is priced as a region of its geography:
a zone as its region, a dual-region as its first priced member region (else its
geography), ``global`` as us-central1, and otherwise Americas (``us-``,
``northamerica-``, ``southamerica-``) as us-central1, Europe, the Middle East and
Africa (``europe-``, ``me-``, ``africa-``) as europe-west1, and Asia-Pacific
(``asia-``, ``australia-``) as the first priced region there, else us-central1. The
multi-regions US, EU and ASIA have storage and snapshot prices of their own.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal

from nimbus.core.errors import InvalidArgument, NotFound
from nimbus.services.billing.price_file import (
    COMPUTE_SERVICE_ID,
    STORAGE_SERVICE_ID,
    Key,
    PriceBook,
    read_price_book,
)
from nimbus.services.billing.skus import (
    GIB,
    HOURS_PER_MONTH,
    ON_DEMAND,
    PREEMPTIBLE,
    CatalogService,
    Sku,
)
from nimbus.services.storage.locations import DUAL_REGIONS

__all__ = [
    "COMPUTE_SERVICE_ID",
    "HOURS_PER_MONTH",
    "STORAGE_SERVICE_ID",
    "CatalogService",
    "PriceCatalog",
    "Sku",
]

DEFAULT_REGION = "us-central1"
_USAGE_TYPES = {"STANDARD": ON_DEMAND, "SPOT": PREEMPTIBLE, "PREEMPTIBLE": PREEMPTIBLE}
_ZONE = re.compile(r"^([a-z]+-[a-z]+\d+)-[a-z]$")
_GEOGRAPHIES = (
    (("us-", "northamerica-", "southamerica-"), "Americas"),
    (("europe-", "me-", "africa-"), "EMEA"),
    (("asia-", "australia-"), "APAC"),
)


class PriceCatalog:
    def __init__(self, book: PriceBook) -> None:
        self._book = book
        self.recorded = book.recorded
        self.sources = book.sources
        self.spot_discount = book.spot_discount

    @classmethod
    def load(cls, spot_discount: float | None = None) -> PriceCatalog:
        """The packaged catalog, parsed once per process and discount."""
        return _load(spot_discount)

    # -- the Catalog API's view ---------------------------------------------------------

    def services(self) -> list[CatalogService]:
        return sorted(self._book.services.values(), key=lambda s: s.service_id)

    def service(self, service_id: str) -> CatalogService:
        found = self._book.services.get(service_id)
        if found is None:
            raise NotFound(f"The service 'services/{service_id}' was not found.")
        return found

    def skus(self, service_id: str) -> list[Sku]:
        self.service(service_id)
        chosen = [sku for sku in self._book.skus.values() if sku.service_id == service_id]
        return sorted(chosen, key=lambda sku: sku.sku_id)

    def sku(self, sku_id: str) -> Sku:
        found = self._book.skus.get(sku_id)
        if found is None:
            raise NotFound(f"The SKU '{sku_id}' was not found.")
        return found

    def geo_taxonomy(self, sku: Sku) -> tuple[str, tuple[str, ...]]:
        """``REGIONAL`` and the SKU's regions, or ``MULTI_REGIONAL`` and the priced
        regions of its multi-regions' geographies."""
        multi = self._book.multi_regions
        geographies = {multi[r] for r in sku.service_regions if r in multi}
        if not geographies:
            return "REGIONAL", sku.service_regions
        members = tuple(r for r, where in self._book.regions.items() if where in geographies)
        return "MULTI_REGIONAL", members

    # -- where prices apply ---------------------------------------------------------------

    def pricing_region(self, location: str) -> str:
        """The priced region (or multi-region) whose prices apply to ``location``."""
        key = location.strip().lower()
        if key in self._book.regions or key in self._book.multi_regions:
            return key
        zone = _ZONE.match(key)
        if zone is not None:
            return self.pricing_region(zone.group(1))
        members = DUAL_REGIONS.get(key.upper())
        if members is not None:
            priced = [m for m in members if m in self._book.regions]
            return priced[0] if priced else self.pricing_region(members[0])
        if key == "global":
            return DEFAULT_REGION
        geography = next((g for prefixes, g in _GEOGRAPHIES if key.startswith(prefixes)), None)
        if geography is None:
            raise InvalidArgument(f"Location '{location}' has no prices.")
        regions = self._book.regions.items()
        return next((r for r, where in regions if where == geography), DEFAULT_REGION)

    # -- Compute Engine -----------------------------------------------------------------

    def instance_skus(
        self, machine_type: str, location: str, provisioning_model: str
    ) -> tuple[Sku, Sku]:
        """The (vCPU, memory) SKUs of a machine type running in ``location``."""
        family = self._family(machine_type)
        usage_type = _USAGE_TYPES.get(provisioning_model.upper())
        if usage_type is None:
            raise InvalidArgument(f"Invalid provisioning model '{provisioning_model}'.")
        region = self.pricing_region(location)
        return (
            self._find(("instance", family, "core", usage_type, region), location),
            self._find(("instance", family, "ram", usage_type, region), location),
        )

    def billed_vcpus(self, machine_type: str, vcpus: float) -> float:
        """Shared-core types bill their fraction of a vCPU; others their vCPUs."""
        shared = self._book.shared_core.get(_last_segment(machine_type).lower())
        return shared[1] if shared is not None else vcpus

    def disk_sku(self, disk_type: str, location: str) -> Sku:
        name = _last_segment(disk_type)
        if name not in self._book.disk_types:
            known = ", ".join(self._book.disk_types)
            raise InvalidArgument(f"No prices for disk type '{disk_type}' (priced: {known}).")
        return self._find(("disk", name, self.pricing_region(location)), location)

    def snapshot_sku(self, location: str) -> Sku:
        return self._find(("snapshot", self.pricing_region(location)), location)

    # -- Cloud Storage ------------------------------------------------------------------

    def storage_sku(self, storage_class: str, location: str) -> Sku:
        key = ("storage", self._storage_class(storage_class), self.pricing_region(location))
        return self._find(key, location)

    def operation_sku(self, storage_class: str, operation_class: str, location: str) -> Sku:
        if operation_class.upper() not in ("A", "B"):
            raise InvalidArgument(f"Invalid operation class '{operation_class}'.")
        multi = self.pricing_region(location) in self._book.multi_regions
        kind = "multiRegional" if multi else "regional"
        key = ("operation", kind, self._storage_class(storage_class), operation_class.upper())
        return self._find(key, location)

    def early_delete_sku(self, storage_class: str, location: str) -> Sku:
        canonical = self._storage_class(storage_class)
        if not self._book.minimum_days[canonical]:
            raise InvalidArgument(f"{canonical} storage has no minimum storage duration.")
        return self._find(("early-delete", canonical, self.pricing_region(location)), location)

    def minimum_storage_days(self, storage_class: str) -> int:
        return self._book.minimum_days[self._storage_class(storage_class)]

    # -- monthly estimates (USD per 730-hour month) ---------------------------------------

    def monthly_instance_cost(
        self,
        machine_type: str,
        vcpus: float,
        memory_mb: int,
        location: str,
        provisioning_model: str,
    ) -> Decimal:
        core, ram = self.instance_skus(machine_type, location, provisioning_model)
        cores = _decimal(self.billed_vcpus(machine_type, vcpus))
        memory_gib = Decimal(memory_mb) / 1024
        return (cores * core.unit_price + memory_gib * ram.unit_price) * HOURS_PER_MONTH

    def monthly_disk_cost(self, disk_type: str, size_gb: float, location: str) -> Decimal:
        return _decimal(size_gb) * self.disk_sku(disk_type, location).unit_price

    def monthly_snapshot_cost(self, size_gb: float, location: str = "global") -> Decimal:
        return _decimal(size_gb) * self.snapshot_sku(location).unit_price

    def monthly_storage_cost(self, storage_class: str, location: str, size_bytes: int) -> Decimal:
        price = self.storage_sku(storage_class, location).unit_price
        return Decimal(size_bytes) / GIB * price

    # -- helpers --------------------------------------------------------------------------

    def _family(self, machine_type: str) -> str:
        name = _last_segment(machine_type).lower()
        shared = self._book.shared_core.get(name)
        if shared is not None:
            return shared[0]
        if name.startswith("custom-"):
            return "n1"  # Google's plain custom types are N1
        family = name.split("-", 1)[0]
        if family not in self._book.families:
            known = ", ".join(self._book.families)
            raise InvalidArgument(
                f"No prices for machine type '{machine_type}' (priced families: {known})."
            )
        return family

    def _storage_class(self, storage_class: str) -> str:
        name = storage_class.upper()
        name = self._book.legacy_classes.get(name, name)
        if name not in self._book.minimum_days:
            raise InvalidArgument(f"Invalid storage class: '{storage_class}'.")
        return name

    def _find(self, key: Key, location: str) -> Sku:
        found = self._book.lookup.get(key)
        if found is None:
            raise InvalidArgument(f"No {key[0]} price for location '{location}'.")
        return found


def _last_segment(name: str) -> str:
    """Accept a bare name or a resource URL ending in it (``.../diskTypes/pd-ssd``)."""
    return name.rsplit("/", 1)[-1]


def _decimal(value: float) -> Decimal:
    return Decimal(str(value))


@functools.lru_cache(maxsize=8)
def _load(spot_discount: float | None) -> PriceCatalog:
    return PriceCatalog(read_price_book(spot_discount))
