"""Columns gcloud's default tables derive from a resource (a disk's LOCATION, a
snapshot's SRC_DISK), which no key of the resource holds as such."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from nimbus.cli.output import parse_format

Item = dict[str, Any]


def with_derived(
    items: Sequence[Item], spec: str | None, derive: Callable[[Item], Item]
) -> list[Item]:
    """``items`` with the derived keys when the command's own table shows them; any
    format the user asks for sees the resources exactly as the API returned them."""
    if spec and parse_format(spec).kind != "default":
        return list(items)
    return [{**item, **derive(item)} for item in items]


def location(item: Item) -> Item:
    """gcloud's ``location()`` and ``location_scope()``: a zone's or a region's name."""
    for key, scope in (("zone", "zone"), ("region", "region")):
        if item.get(key):
            return {"_location": str(item[key]).rsplit("/", 1)[-1], "_location_scope": scope}
    return {"_location": "", "_location_scope": ""}


def scoped(link: str | None) -> str:
    """gcloud's ``scope()``: a resource URL from its zone or region on,
    e.g. ``us-central1-a/disks/disk-1``."""
    if not link:
        return ""
    parts = link.split("/")
    for marker in ("zones", "regions"):
        if marker in parts:
            return "/".join(parts[parts.index(marker) + 1 :])
    return parts[-1]
