"""The body every compute ``setLabels`` takes: ``labels`` and ``labelFingerprint``."""

from __future__ import annotations

from fastapi import Request

from nimbus.api.body import parse_json_object
from nimbus.core.errors import InvalidArgument


async def parse_set_labels(request: Request) -> tuple[dict[str, str], str | None]:
    """The labels asked for (checked by the service) and the fingerprint they replace."""
    body = await parse_json_object(request)
    labels = body.get("labels") or {}
    if not isinstance(labels, dict):
        raise InvalidArgument("Invalid value for field 'labels'.")
    fingerprint = body.get("labelFingerprint")
    return labels, None if fingerprint is None else str(fingerprint)
