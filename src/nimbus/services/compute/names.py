"""Compute Engine resource names (RFC 1035 labels, as Google checks them)."""

from __future__ import annotations

import re

from nimbus.core.errors import InvalidArgument

_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


def check_name(name: str, field: str = "resource.name") -> str:
    if not _NAME.match(name):
        raise InvalidArgument(
            f"Invalid value for field '{field}': '{name}'. Must be a match of regex "
            "'(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'"
        )
    return name


def last_segment(reference: str) -> str:
    """``.../zones/us-central1-a/machineTypes/e2-small`` or ``e2-small`` → ``e2-small``."""
    return reference.rstrip("/").rsplit("/", 1)[-1]
