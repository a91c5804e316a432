"""Metadata items (``{"key", "value"}``) as Compute Engine validates them."""

from __future__ import annotations

import re
from typing import Any

from nimbus.core.errors import InvalidArgument
from nimbus.core.fingerprints import fingerprint_of

_KEY = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
MAX_VALUE_BYTES = 256 * 1024
MAX_TOTAL_BYTES = 512 * 1024


def validate_items(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    seen: set[str] = set()
    total = 0
    clean: list[dict[str, str]] = []
    for item in items:
        key, value = item.get("key"), item.get("value", "")
        if not isinstance(key, str) or not _KEY.match(key):
            raise InvalidArgument(f"Invalid value for field 'metadata.items.key': '{key}'.")
        if not isinstance(value, str):
            raise InvalidArgument(f"Invalid value for field 'metadata.items.value' of '{key}'.")
        if key in seen:
            raise InvalidArgument(f"Duplicate metadata key '{key}'.")
        size = len(value.encode())
        if size > MAX_VALUE_BYTES:
            raise InvalidArgument(f"Metadata value of '{key}' exceeds {MAX_VALUE_BYTES} bytes.")
        total += size + len(key)
        seen.add(key)
        clean.append({"key": key, "value": value})
    if total > MAX_TOTAL_BYTES:
        raise InvalidArgument(f"Metadata exceeds the total limit of {MAX_TOTAL_BYTES} bytes.")
    return clean


def metadata_fingerprint(items: list[dict[str, str]]) -> str:
    return fingerprint_of(items)
