"""Compute Engine's optimistic concurrency: a write names the fingerprint it read."""

from __future__ import annotations

from typing import Protocol

from nimbus.core.errors import PreconditionFailed
from nimbus.core.fingerprints import fingerprint_of, same_tag


class Labelled(Protocol):
    labels: dict[str, str]
    label_fingerprint: str


def require_fingerprint(given: str | None, current: str, what: str) -> None:
    """Google rejects a stale fingerprint with 412 ``conditionNotMet``; none given is a
    blind write, which Google allows for labels and metadata alike."""
    if given is not None and not same_tag(given, current):
        raise PreconditionFailed(f"Supplied fingerprint does not match current {what} fingerprint.")


def relabel(row: Labelled, labels: dict[str, str], fingerprint: str | None) -> None:
    """``setLabels``: the new (validated) labels, if ``fingerprint`` is current."""
    require_fingerprint(fingerprint, row.label_fingerprint, "labels")
    row.labels = labels
    row.label_fingerprint = fingerprint_of(labels)
