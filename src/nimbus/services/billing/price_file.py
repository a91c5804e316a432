"""Reading ``prices.json``: its compact sections expanded into Google-shaped SKUs.

Each SKU is filed under one lookup key per location it serves:
``("instance", family, "core" | "ram", usage type, region)``, ``("disk", type, region)``,
``("snapshot", location)``, ``("storage", class, location)``,
``("early-delete", class, location)`` and ``("operation", kind, class, "A" | "B")``
where kind is ``regional`` or ``multiRegional``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from typing import Any

from nimbus.services.billing.skus import (
    ON_DEMAND,
    PREEMPTIBLE,
    UNITS,
    CatalogService,
    Sku,
    derived_sku_id,
)

COMPUTE_SERVICE_ID = "6F81-5844-456A"
STORAGE_SERVICE_ID = "95FF-2EF5-5EA1"
NANO = Decimal("0.000000001")  # Google's money carries nanos: nine decimal places

Key = tuple[str, ...]


@dataclass
class PriceBook:
    recorded: str
    sources: tuple[str, ...]
    spot_discount: float
    services: dict[str, CatalogService]
    regions: dict[str, str]  # priced region -> its geography, in the file's order
    multi_regions: dict[str, str]  # priced multi-region -> its geography
    shared_core: dict[str, tuple[str, float]]  # machine type -> (family, billed vCPUs)
    families: tuple[str, ...]
    disk_types: tuple[str, ...]
    minimum_days: dict[str, int]  # storage class -> minimum storage duration
    legacy_classes: dict[str, str]  # legacy storage class -> the class it is billed as
    skus: dict[str, Sku] = field(default_factory=dict)
    lookup: dict[Key, Sku] = field(default_factory=dict)

    def file(self, sku: Sku, keys: Iterable[Key]) -> None:
        if self.skus.setdefault(sku.sku_id, sku) is not sku:
            raise ValueError(f"prices.json: two SKUs share the id {sku.sku_id}")
        for key in keys:
            self.lookup[key] = sku


def read_price_book(spot_discount: float | None) -> PriceBook:
    """The packaged price file, with Spot prices at ``spot_discount`` off on-demand
    (None: the file's default)."""
    data = json.loads(
        resources.files("nimbus.services.billing").joinpath("prices.json").read_text()
    )
    discount = data["spotDiscount"]["default"] if spot_discount is None else spot_discount
    if not 0 <= discount < 1:
        raise ValueError(f"the Spot discount must be at least 0 and below 1, not {discount}")
    compute, storage = data["compute"], data["storage"]
    book = PriceBook(
        recorded=data["recorded"],
        sources=tuple(data["sources"]),
        spot_discount=float(discount),
        services={
            s["serviceId"]: CatalogService(s["serviceId"], s["displayName"])
            for s in data["services"]
        },
        regions=dict(data["regions"]),
        multi_regions=dict(data["multiRegions"]),
        shared_core={
            name: (family, float(vcpus))
            for family, spec in compute["families"].items()
            for name, vcpus in spec["sharedCore"].items()
        },
        families=tuple(compute["families"]),
        disk_types=tuple(compute["disks"]),
        minimum_days={name: spec["minimumDays"] for name, spec in storage["classes"].items()},
        legacy_classes=dict(storage["legacyClasses"]),
    )
    _instances(book, compute["families"])
    _disks(book, compute["disks"], compute["snapshots"])
    _storage(book, storage)
    _operations(book, storage)
    return book


def _sku(
    service_id: str,
    description: str,
    *,
    group: tuple[str, str],
    usage_type: str,
    regions: Iterable[str],
    unit: str,
    price: Decimal,
    sku_id: str | None = None,
    display_quantity: int = 1,
) -> Sku:
    usage = UNITS[unit]
    return Sku(
        sku_id=sku_id or derived_sku_id(description),
        service_id=service_id,
        description=description,
        resource_family=group[0],
        resource_group=group[1],
        usage_type=usage_type,
        service_regions=tuple(regions),
        usage_unit=usage.usage_unit,
        usage_unit_description=usage.description,
        base_unit=usage.base_unit,
        base_unit_description=usage.base_description,
        base_unit_conversion_factor=float(usage.base_per_unit),
        display_quantity=float(display_quantity),
        unit_price=price.quantize(NANO),
    )


def _instances(book: PriceBook, families: dict[str, Any]) -> None:
    spot_share = Decimal(1) - Decimal(str(book.spot_discount))
    for family, spec in families.items():
        for entry in spec["prices"]:
            for part, noun, unit in (("core", "Core", "h"), ("ram", "Ram", "GiBy.h")):
                description = f"{spec['skuName']} {noun} running in {entry['in']}"
                price = Decimal(entry[part])
                for usage_type, prefix, unit_price, sku_id in (
                    (ON_DEMAND, "", price, entry.get(f"{part}Sku")),
                    (PREEMPTIBLE, "Spot Preemptible ", price * spot_share, None),
                ):
                    sku = _sku(
                        COMPUTE_SERVICE_ID,
                        prefix + description,
                        group=("Compute", spec["resourceGroups"][part]),
                        usage_type=usage_type,
                        regions=entry["regions"],
                        unit=unit,
                        price=unit_price,
                        sku_id=sku_id,
                    )
                    keys = [("instance", family, part, usage_type, r) for r in entry["regions"]]
                    book.file(sku, keys)


def _disks(book: PriceBook, disks: dict[str, Any], snapshots: dict[str, Any]) -> None:
    for disk_type, spec in disks.items():
        for entry in spec["prices"]:
            where = f" in {entry['in']}" if "in" in entry else ""
            sku = _sku(
                COMPUTE_SERVICE_ID,
                spec["description"] + where,
                group=("Storage", spec["resourceGroup"]),
                usage_type=ON_DEMAND,
                regions=entry["regions"],
                unit="GiBy.mo",
                price=Decimal(entry["price"]),
                sku_id=entry.get("sku"),
            )
            book.file(sku, [("disk", disk_type, r) for r in entry["regions"]])
    for entry in snapshots["prices"]:
        sku = _sku(
            COMPUTE_SERVICE_ID,
            entry["description"],
            group=("Storage", snapshots["resourceGroup"]),
            usage_type=ON_DEMAND,
            regions=entry["regions"],
            unit="GiBy.mo",
            price=Decimal(entry["price"]),
        )
        book.file(sku, [("snapshot", r) for r in entry["regions"]])


def _storage(book: PriceBook, storage: dict[str, Any]) -> None:
    classes = storage["classes"]
    for location in storage["locations"]:
        regions = location["regions"]
        multi = regions[0] in book.multi_regions
        for storage_class, price in location["prices"].items():
            name = classes[storage_class]["name"]
            group = f"{name}Storage"
            if storage_class == "STANDARD":
                group = "MultiRegionalStorage" if multi else "RegionalStorage"
            kinds = [("storage", f"{name} Storage {location['in']}")]
            if classes[storage_class]["minimumDays"]:
                kinds.append(("early-delete", f"{name} Storage Early Delete {location['in']}"))
            for kind, description in kinds:
                sku = _sku(
                    STORAGE_SERVICE_ID,
                    description,
                    group=("Storage", group),
                    usage_type=ON_DEMAND,
                    regions=regions,
                    unit="GiBy.mo",
                    price=Decimal(price),
                )
                book.file(sku, [(kind, storage_class, r) for r in regions])


def _operations(book: PriceBook, storage: dict[str, Any]) -> None:
    """One SKU per location kind, class and operation class, priced per operation."""
    operations = storage["operations"]
    per = operations["perQuantity"]
    for kind, regions, group in (
        ("regional", book.regions, "RegionalOps"),
        ("multiRegional", book.multi_regions, "MultiRegionalOps"),
    ):
        spec = operations[kind]
        for operation_class in ("A", "B"):
            for storage_class, price in spec[operation_class].items():
                name = storage["classes"][storage_class]["name"]
                sku = _sku(
                    STORAGE_SERVICE_ID,
                    f"{spec['prefix']} {name} Class {operation_class} Operations",
                    group=("Storage", group),
                    usage_type=ON_DEMAND,
                    regions=regions,
                    unit="count",
                    price=Decimal(price) / per,
                    display_quantity=per,
                )
                book.file(sku, [("operation", kind, storage_class, operation_class)])
