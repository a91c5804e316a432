"""Compute Engine's optimistic concurrency: a write names the fingerprint it read."""

from __future__ import annotations

from nimbus.core.errors import PreconditionFailed


def require_fingerprint(given: str | None, current: str, what: str) -> None:
    """Google rejects a stale fingerprint with 412 ``conditionNotMet``; none given is a
    blind write, which Google allows for labels and metadata alike."""
    if given is not None and given != current:
        raise PreconditionFailed(f"Supplied fingerprint does not match current {what} fingerprint.")
