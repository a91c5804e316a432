"""Buckets and objects as gcloud storage shows them: snake_case fields for ``describe``
and ``list``, the ``ls -l`` row, sizes and times (``blocks`` lays out ``ls -L``).

The API's own resource is what ``--raw`` shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nimbus.cli.client import Json
from nimbus.cli.storage.urls import object_url

LONG_ROW = "{size:>10}  {time:>20}  {url}{extra}"
_UNITS = (("PiB", 1 << 50), ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("kiB", 1 << 10))


def human_size(count: int) -> str:
    """gcloud's binary sizes: ``5B``, ``2.00kiB``, ``20.00MiB``."""
    for unit, size in _UNITS:
        if count >= size:
            return f"{count / size:.2f}{unit}"
    return f"{count}B" if count == 0 else f"{count:.2f}B"


def _time(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def utc_time(value: object) -> str:
    """``2024-05-01T12:00:00Z``, as ``ls -l`` prints times."""
    parsed = _time(value)
    return parsed.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if parsed else ""


def _shown_time(value: object) -> str | None:
    """``2024-05-01T12:00:00+0000``, as describe prints times."""
    parsed = _time(value)
    return parsed.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000") if parsed else None


def _json_time(value: object) -> object:
    """``2024-05-01T12:00:00.250000+00:00``: how gcloud prints a time nested in a
    setting (Python's ISO form of the time it parsed), unlike a field's own time."""
    parsed = _time(value)
    return parsed.astimezone(dt.UTC).isoformat() if parsed else value


def _with_json_times(setting: object) -> object:
    if not isinstance(setting, dict):
        return setting
    return {
        key: _json_time(value) if key.endswith("Time") else value for key, value in setting.items()
    }


# What an ACL entry says that gcloud leaves out: where it is, not who may do what.
_ACL_LOCATORS = frozenset({"kind", "bucket", "object", "generation", "id", "selfLink", "etag"})


def shown_acl(acl: object) -> list[dict[str, Any]] | None:
    """An ACL's entries as gcloud shows them (entity, role, and who the entity is)."""
    if not isinstance(acl, list) or not acl:
        return None
    return [
        {key: value for key, value in entry.items() if key not in _ACL_LOCATORS}
        for entry in acl
        if isinstance(entry, dict)
    ]


def _int(value: object) -> int | None:
    return int(str(value)) if value is not None and str(value).isdigit() else None


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if value is not None}


def bucket_view(bucket: Json) -> dict[str, Any]:
    iam = bucket.get("iamConfiguration") or {}
    versioning = bucket.get("versioning")
    return _present(
        {
            "name": bucket.get("name"),
            "storage_url": f"gs://{bucket.get('name')}/",
            "creation_time": _shown_time(bucket.get("timeCreated")),
            "update_time": _shown_time(bucket.get("updated")),
            "default_storage_class": bucket.get("storageClass"),
            "location": bucket.get("location"),
            "location_type": bucket.get("locationType"),
            "metageneration": _int(bucket.get("metageneration")),
            "generation": _int(bucket.get("generation")),
            "soft_delete_time": _shown_time(bucket.get("softDeleteTime")),
            "hard_delete_time": _shown_time(bucket.get("hardDeleteTime")),
            "labels": bucket.get("labels") or None,
            "lifecycle_config": bucket.get("lifecycle") or None,
            "versioning_enabled": versioning.get("enabled") if versioning else None,
            "uniform_bucket_level_access": (iam.get("uniformBucketLevelAccess") or {}).get(
                "enabled"
            ),
            "public_access_prevention": iam.get("publicAccessPrevention"),
            "rpo": bucket.get("rpo"),
            "requester_pays": (bucket.get("billing") or {}).get("requesterPays"),
            "default_kms_key": (bucket.get("encryption") or {}).get("defaultKmsKeyName"),
            "data_locations": (bucket.get("customPlacementConfig") or {}).get("dataLocations"),
            "satisfies_pzs": bucket.get("satisfiesPZS"),
            "default_event_based_hold": bucket.get("defaultEventBasedHold"),
            "retention_policy": _with_json_times(bucket.get("retentionPolicy")),
            "soft_delete_policy": _with_json_times(bucket.get("softDeletePolicy")),
            "cors_config": bucket.get("cors"),
            "website_config": bucket.get("website"),
            "logging_config": bucket.get("logging"),
            "autoclass": bucket.get("autoclass"),
            "acl": shown_acl(bucket.get("acl")),
            "default_acl": shown_acl(bucket.get("defaultObjectAcl")),
        }
    )


def object_view(item: Json) -> dict[str, Any]:
    encryption = item.get("customerEncryption") or {}
    return _present(
        {
            "bucket": item.get("bucket"),
            "name": item.get("name"),
            "storage_url": object_url(
                str(item.get("bucket")), str(item.get("name")), item.get("generation")
            ),
            "creation_time": _shown_time(item.get("timeCreated")),
            "update_time": _shown_time(item.get("updated")),
            "soft_delete_time": _shown_time(item.get("softDeleteTime")),
            "hard_delete_time": _shown_time(item.get("hardDeleteTime")),
            "storage_class_update_time": _shown_time(item.get("timeStorageClassUpdated")),
            "noncurrent_time": _shown_time(item.get("timeDeleted")),
            "custom_time": _shown_time(item.get("customTime")),
            "storage_class": item.get("storageClass"),
            "size": _int(item.get("size")),
            "content_type": item.get("contentType"),
            "content_encoding": item.get("contentEncoding"),
            "content_disposition": item.get("contentDisposition"),
            "content_language": item.get("contentLanguage"),
            "cache_control": item.get("cacheControl"),
            "component_count": item.get("componentCount"),
            "custom_fields": item.get("metadata") or None,
            "crc32c_hash": item.get("crc32c"),
            "md5_hash": item.get("md5Hash"),
            "encryption_algorithm": encryption.get("encryptionAlgorithm"),
            "decryption_key_hash_sha256": encryption.get("keySha256"),
            "etag": item.get("etag"),
            "generation": item.get("generation"),
            "metageneration": _int(item.get("metageneration")),
            "temporary_hold": item.get("temporaryHold"),
            "event_based_hold": item.get("eventBasedHold"),
            "acl": shown_acl(item.get("acl")),
        }
    )


def long_row(
    url: str,
    item: Json | None,
    *,
    versioned: bool = False,
    etag: bool = False,
    readable: bool = False,
) -> str:
    """One ``ls -l`` row: size, creation time, URL, then the metageneration when
    ``versioned`` and the etag with ``etag`` (a prefix has only its URL)."""
    if item is None:
        return LONG_ROW.format(size="", time="", url=url, extra="")
    extra = f"  metageneration={item.get('metageneration')}" if versioned else ""
    if etag:
        extra += f"  etag={item.get('etag')}"
    size = str(item.get("size", ""))
    if readable and size.isdigit():
        size = human_size(int(size))
    return LONG_ROW.format(size=size, time=utc_time(item.get("timeCreated")), url=url, extra=extra)


def total_line(objects: int, total: int) -> str:
    return f"TOTAL: {objects} objects, {total} bytes ({human_size(total)})"
