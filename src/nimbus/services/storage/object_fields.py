"""An object resource's writable JSON fields, validated and mapped onto the row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from nimbus.core.errors import InvalidArgument
from nimbus.services.storage.locations import validate_storage_class
from nimbus.services.storage.object_contexts import apply_contexts
from nimbus.store.models import StoredObject

_TEXT_FIELDS = {
    "contentType": "content_type",
    "contentEncoding": "content_encoding",
    "contentDisposition": "content_disposition",
    "contentLanguage": "content_language",
    "cacheControl": "cache_control",
}
MAX_CUSTOM_METADATA_BYTES = 8 * 1024
# What Cloud Storage stores for bytes uploaded without a type; compose stores none.
UPLOADED_CONTENT_TYPE = "application/octet-stream"


@dataclass
class ObjectSpec:
    """What a writer asks for the new generation (from the JSON resource or headers)."""

    fields: dict[str, Any] = field(default_factory=dict)
    # Checksums the client declared, base64, to be checked against the bytes.
    crc32c: str | None = None
    md5_hash: str | None = None
    # The email of the writer, who owns the new generation (None when anonymous).
    owner: str | None = None

    @classmethod
    def from_resource(cls, resource: dict[str, Any]) -> ObjectSpec:
        return cls(
            fields=dict(resource),
            crc32c=resource.get("crc32c"),
            md5_hash=resource.get("md5Hash"),
        )


def typed_upload(resource: dict[str, Any]) -> dict[str, Any]:
    """An upload's resource, with the stored type when the uploader named none."""
    if resource.get("contentType"):
        return resource
    return resource | {"contentType": UPLOADED_CONTENT_TYPE}


def parse_time(value: Any, name: str) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidArgument(f"Invalid value for '{name}': expected an RFC 3339 timestamp.")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidArgument(f"Invalid value for '{name}': '{value}'.") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def apply_object_fields(
    row: StoredObject, fields: dict[str, Any], *, replace: bool, now: dt.datetime
) -> None:
    """Set metadata fields on a generation: all of them (``replace``) or those given;
    ``now`` stamps the contexts changed."""
    for key, column in _TEXT_FIELDS.items():
        if replace or key in fields:
            value = fields.get(key)
            if value is not None and not isinstance(value, str):
                raise InvalidArgument(f"Invalid value for '{key}'.")
            setattr(row, column, value or None)
    if replace or "metadata" in fields:
        given = fields.get("metadata") or {}
        if not isinstance(given, dict):
            raise InvalidArgument("Invalid value for 'metadata': expected an object.")
        merged = {} if replace else dict(row.custom_metadata or {})
        for key, value in given.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[str(key)] = str(value)
        if sum(len(k) + len(v) for k, v in merged.items()) > MAX_CUSTOM_METADATA_BYTES:
            raise InvalidArgument("Custom metadata exceeds 8 KiB.")
        row.custom_metadata = merged
    if "customTime" in fields:
        custom = parse_time(fields["customTime"], "customTime")
        if row.custom_time is not None and (custom is None or custom < row.custom_time):
            raise InvalidArgument(
                "customTime cannot be removed or set earlier than its current value."
            )
        row.custom_time = custom
    if replace or "contexts" in fields:
        row.contexts = apply_contexts(row.contexts, fields.get("contexts"), now, replace=replace)
    holds = (("temporaryHold", "temporary_hold"), ("eventBasedHold", "event_based_hold"))
    for key, column in holds:
        if key in fields and fields[key] is not None:
            setattr(row, column, bool(fields[key]))


def storage_class_for(fields: dict[str, Any], bucket_default: str) -> str:
    return validate_storage_class(fields.get("storageClass"), default=bucket_default)
