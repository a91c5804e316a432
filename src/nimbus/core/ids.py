"""Identifiers in Google's shapes: 64-bit numeric ids, project numbers, opaque secrets."""

from __future__ import annotations

import secrets

_MIN_ID = 10**18
_MAX_ID = 2**63 - 1


def new_numeric_id() -> int:
    """A random 19-digit id, as Compute Engine gives its resources.

    Random rather than sequential so that replicas never coordinate; uniqueness is
    enforced by the store's primary keys.
    """
    return _MIN_ID + secrets.randbelow(_MAX_ID - _MIN_ID)


def new_project_number() -> int:
    """A 12-digit project number."""
    return 10**11 + secrets.randbelow(9 * 10**11)


def new_unique_id_21() -> str:
    """A 21-digit decimal id, the shape of service-account unique ids."""
    return str(10**20 + secrets.randbelow(9 * 10**20))


def new_secret(nbytes: int = 32) -> str:
    """An unguessable URL-safe token."""
    return secrets.token_urlsafe(nbytes)


def new_hex(nbytes: int = 20) -> str:
    return secrets.token_hex(nbytes)
