"""The ``ls -L`` blocks: each object's and bucket's fields under gcloud's titles, in
gcloud's order, a missing field shown as gcloud's default (``None``, ``[]``) or left
out, and lists and mappings as indented JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from nimbus.cli.client import Json
from nimbus.cli.storage.urls import object_url
from nimbus.cli.storage.views import bucket_view, object_view, utc_time

_KEY_WIDTH = 26
_INDENT = "  "
NONE = "None"
NO_ACL = "[]"
# gcloud shows a hash the listing could not read (no key) as this, never leaves it out.
ENCRYPTED = "Underlying data encrypted"
# Bucket settings gcloud only says are there, however detailed.
_PRESENT = frozenset(
    {"cors_config", "lifecycle_config", "logging_config", "retention_policy", "website_config"}
)
# Mappings whose keys keep the API's order; every other JSON value is a typed message,
# whose fields gcloud prints in name order.
_FREE_FORM = frozenset({"custom_fields", "labels"})

# (view key, title, what a missing value shows, None to leave the line out)
_Title = tuple[str, str, str | None]

_OBJECT_TITLES: tuple[_Title, ...] = (
    ("creation_time", "Creation Time", None),
    ("update_time", "Update Time", None),
    # Only a soft-deleted object (``ls --soft-deleted -L``) has these two.
    ("soft_delete_time", "Soft Delete Time", None),
    ("hard_delete_time", "Hard Delete Time", None),
    ("storage_class_update_time", "Storage Class Update Time", None),
    ("storage_class", "Storage Class", None),
    ("temporary_hold", "Temporary Hold", None),
    ("event_based_hold", "Event-Based Hold", None),
    ("retention_expiration", "Retention Expiration", None),
    ("retention_settings", "Retention Settings", None),
    ("kms_key", "KMS Key", None),
    ("cache_control", "Cache-Control", None),
    ("content_disposition", "Content-Disposition", None),
    ("content_encoding", "Content-Encoding", None),
    ("content_language", "Content-Language", None),
    ("size", "Content-Length", NONE),
    ("content_type", "Content-Type", NONE),
    ("component_count", "Component-Count", None),
    ("custom_time", "Custom-Time", None),
    ("noncurrent_time", "Noncurrent Time", None),
    ("custom_fields", "Additional Properties", None),
    ("crc32c_hash", "Hash (CRC32C)", None),
    ("md5_hash", "Hash (MD5)", None),
    ("encryption_algorithm", "Encryption Algorithm", None),
    ("decryption_key_hash_sha256", "Encryption Key SHA256", None),
    ("etag", "ETag", NONE),
    ("generation", "Generation", None),
    ("metageneration", "Metageneration", None),
    ("acl", "ACL", NO_ACL),
)
_BUCKET_TITLES: tuple[_Title, ...] = (
    ("default_storage_class", "Storage Class", NONE),
    ("location_type", "Location Type", None),
    ("location", "Location Constraint", NONE),
    ("data_locations", "Placement Locations", None),
    ("versioning_enabled", "Versioning Enabled", NONE),
    ("logging_config", "Logging Configuration", NONE),
    ("website_config", "Website Configuration", NONE),
    ("cors_config", "CORS Configuration", NO_ACL),
    ("lifecycle_config", "Lifecycle Configuration", NONE),
    ("requester_pays", "Requester Pays Enabled", NONE),
    ("per_object_retention", "Object Retention", None),
    ("retention_policy", "Retention Policy", None),
    ("default_event_based_hold", "Default Event-Based Hold", None),
    ("ip_filter_config", "IP Filter Configuration", None),
    ("labels", "Labels", None),
    ("default_kms_key", "Default KMS Key", NONE),
    ("creation_time", "Time Created", None),
    ("update_time", "Time Updated", None),
    ("soft_delete_time", "Soft Delete Time", None),
    ("hard_delete_time", "Hard Delete Time", None),
    ("generation", "Generation", None),
    ("metageneration", "Metageneration", None),
    ("uniform_bucket_level_access", "Bucket Policy Only Enabled", None),
    ("public_access_prevention", "Public Access Prevention", None),
    ("rpo", "RPO", None),
    ("autoclass_enabled_time", "Autoclass", None),
    ("satisfies_pzs", "Satisfies PZS", None),
    ("soft_delete_policy", "Soft Delete Policy", None),
    ("acl", "ACL", NO_ACL),
    ("default_acl", "Default ACL", None),
)
_TIMES = frozenset(
    {
        "creation_time",
        "update_time",
        "soft_delete_time",
        "hard_delete_time",
        "storage_class_update_time",
        "noncurrent_time",
        "custom_time",
        "retention_expiration",
    }
)


def full_object(item: Json, *, versioned: bool = False) -> str:
    generation = item.get("generation") if versioned else None
    url = object_url(str(item.get("bucket")), str(item.get("name")), generation)
    view = object_view(item)
    view.pop("storage_url", None)
    view["retention_expiration"] = item.get("retentionExpirationTime")
    view["retention_settings"] = item.get("retention")
    view["kms_key"] = item.get("kmsKeyName")
    if view.get("encryption_algorithm"):
        for key in ("crc32c_hash", "md5_hash"):
            view.setdefault(key, ENCRYPTED)
    return _block(url, view, _OBJECT_TITLES)


def full_bucket(bucket: Json) -> str:
    view = bucket_view(bucket)
    for key in _PRESENT & view.keys():
        view[key] = "Present"
    autoclass = bucket.get("autoclass") or {}
    if autoclass.get("enabled") and autoclass.get("toggleTime"):
        view["autoclass_enabled_time"] = f"Enabled on {utc_time(autoclass['toggleTime'])}"
    view["per_object_retention"] = (bucket.get("objectRetention") or {}).get("mode")
    view["ip_filter_config"] = (bucket.get("ipFilter") or {}).get("mode")
    return _block(f"gs://{bucket.get('name')}/", view, _BUCKET_TITLES)


def _block(url: str, view: dict[str, Any], titles: Iterable[_Title]) -> str:
    lines = [f"{url}:"]
    for key, title, default in titles:
        value = view.get(key)
        if value is None:
            value = default
        elif key in _TIMES:
            value = utc_time(value)
        if value is None:
            continue
        if isinstance(value, dict | list) and value:
            lines.append(f"{_INDENT}{title}:")
            dumped = json.dumps(value, indent=2, sort_keys=key not in _FREE_FORM)
            lines.extend(f"{_INDENT}{line}" for line in dumped.splitlines())
        else:
            padding = " " * max(1, _KEY_WIDTH - len(title) + len(_INDENT))
            lines.append(f"{_INDENT}{title}:{padding}{_scalar(value)}")
    return "\n".join(lines)


def _scalar(value: object) -> str:
    """As Python prints it: ``True``, ``[]``, and numbers and text as they are."""
    return str(value)
