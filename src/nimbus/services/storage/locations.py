"""Where a bucket may live: a region, a dual-region, or a multi-region."""

from __future__ import annotations

from typing import Any

from nimbus.core.errors import InvalidArgument
from nimbus.services.locations.catalog import REGIONS

MULTI_REGIONS = {"US", "EU", "ASIA"}
DUAL_REGIONS = {
    "NAM4": ("us-central1", "us-east1"),
    "EUR4": ("europe-north1", "europe-west4"),
    "ASIA1": ("asia-northeast1", "asia-northeast2"),
    "EUR5": ("europe-west1", "europe-west2"),
    "EUR7": ("europe-west2", "europe-west3"),
    "EUR8": ("europe-west3", "europe-west6"),
    "NAM7": ("us-central1", "us-east4"),
}
STORAGE_CLASSES = ("STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE")
# Accepted on input and reported as themselves, as Google still does.
LEGACY_STORAGE_CLASSES = ("MULTI_REGIONAL", "REGIONAL", "DURABLE_REDUCED_AVAILABILITY")
DEFAULT_LOCATION = "US"
# A configurable dual-region: a multi-region and two of its regions as data locations.
_REGIONS_OF_MULTI_REGION = {"US": "us-", "EU": "europe-", "ASIA": "asia-"}


def resolve_location(location: str | None, placement: Any = None) -> tuple[str, str]:
    """``(LOCATION, locationType)``; locations are reported upper case, as Google does.
    ``placement`` is the resource's ``customPlacementConfig``, if any."""
    upper = (location or DEFAULT_LOCATION).upper()
    if placement is not None:
        _check_data_locations(upper, placement)
        return upper, "dual-region"
    if upper in MULTI_REGIONS:
        return upper, "multi-region"
    if upper in DUAL_REGIONS:
        return upper, "dual-region"
    if upper.lower() in REGIONS:
        return upper, "region"
    raise InvalidArgument(f"Invalid location: '{location}'.", reason="invalid")


def _check_data_locations(location: str, placement: Any) -> None:
    regions = placement.get("dataLocations") if isinstance(placement, dict) else None
    prefix = _REGIONS_OF_MULTI_REGION.get(location)
    if prefix is None:
        raise InvalidArgument(
            f"Data locations can only be set on a multi-region location, not '{location}'.",
        )
    if (
        not isinstance(regions, list)
        or len(regions) != 2
        or not all(isinstance(region, str) for region in regions)
        or len({region.lower() for region in regions}) != 2
        or not all(r.lower() in REGIONS and r.lower().startswith(prefix) for r in regions)
    ):
        raise InvalidArgument(
            f"Invalid data locations {regions!r}: a dual-region in {location} takes two "
            f"distinct regions of {location}."
        )


def validate_storage_class(storage_class: str | None, default: str = "STANDARD") -> str:
    value = (storage_class or default).upper()
    if value not in STORAGE_CLASSES + LEGACY_STORAGE_CLASSES:
        raise InvalidArgument(f"Invalid storage class: '{storage_class}'.")
    return value
