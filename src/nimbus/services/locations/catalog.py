"""The fixed catalog of regions and their zones.

Ids are derived from names so that every Nimbus, and every replica, agrees on them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from nimbus.core.errors import NotFound

_REGIONS: dict[str, tuple[str, ...]] = {
    "us-central1": ("a", "b", "c", "f"),
    "us-east1": ("b", "c", "d"),
    "us-east4": ("a", "b", "c"),
    "us-west1": ("a", "b", "c"),
    "us-west2": ("a", "b", "c"),
    "northamerica-northeast1": ("a", "b", "c"),
    "southamerica-east1": ("a", "b", "c"),
    "europe-west1": ("b", "c", "d"),
    "europe-west2": ("a", "b", "c"),
    "europe-west3": ("a", "b", "c"),
    "europe-west4": ("a", "b", "c"),
    "europe-west9": ("a", "b", "c"),
    "europe-north1": ("a", "b", "c"),
    "asia-east1": ("a", "b", "c"),
    "asia-northeast1": ("a", "b", "c"),
    "asia-southeast1": ("a", "b", "c"),
    "australia-southeast1": ("a", "b", "c"),
}

CPU_PLATFORMS = ("Intel Broadwell", "Intel Cascade Lake", "Intel Ice Lake", "AMD Milan")
# The catalog's creation time: fixed, as Google's are.
CREATED = dt.datetime(1969, 12, 31, 16, 0, tzinfo=dt.timezone(dt.timedelta(hours=-8)))


def _stable_id(name: str) -> int:
    return 1000 + int.from_bytes(hashlib.sha256(name.encode()).digest()[:3], "big")


@dataclass(frozen=True)
class ZoneInfo:
    name: str
    region: str
    id: int
    status: str = "UP"


@dataclass(frozen=True)
class RegionInfo:
    name: str
    zones: tuple[str, ...]
    id: int
    status: str = "UP"


REGIONS: dict[str, RegionInfo] = {
    name: RegionInfo(name, tuple(f"{name}-{z}" for z in letters), _stable_id(name))
    for name, letters in _REGIONS.items()
}
ZONES: dict[str, ZoneInfo] = {
    zone: ZoneInfo(zone, region.name, _stable_id(zone))
    for region in REGIONS.values()
    for zone in region.zones
}


def region(name: str) -> RegionInfo:
    found = REGIONS.get(name)
    if found is None:
        raise NotFound(f"The resource 'regions/{name}' was not found")
    return found


def zone(name: str) -> ZoneInfo:
    found = ZONES.get(name)
    if found is None:
        raise NotFound(f"The resource 'zones/{name}' was not found")
    return found


def region_of(location: str) -> str:
    """A zone's region; a region, or ``global``, is its own."""
    found = ZONES.get(location)
    return found.region if found is not None else location
