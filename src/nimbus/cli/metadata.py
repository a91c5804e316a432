"""Metadata changes as gcloud makes them: read, merge, write back with the fingerprint."""

from __future__ import annotations

from typing import Any


def merged(current: dict[str, Any], change: dict[str, str | None]) -> dict[str, Any]:
    """A ``setMetadata`` body: ``current`` (a Metadata resource) with ``change`` applied
    (None removes a key), carrying the fingerprint that was read."""
    items = {item["key"]: item.get("value", "") for item in current.get("items", [])}
    for key, value in change.items():
        if value is None:
            items.pop(key, None)
        else:
            items[key] = value
    return {
        "fingerprint": current.get("fingerprint"),
        "items": [{"key": key, "value": value} for key, value in items.items()],
    }
