"""A bucket resource's JSON fields, validated and mapped onto the bucket row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from nimbus.core.errors import InvalidArgument
from nimbus.core.labels import validate_labels
from nimbus.services.storage import bucket_configs, soft_delete
from nimbus.services.storage.acl import refuse_public_acl, resolve, validate_acl
from nimbus.services.storage.locations import STORAGE_CLASSES, validate_storage_class
from nimbus.services.storage.retention import set_policy
from nimbus.store.models import Bucket
from nimbus.wire.storage import Lifecycle

# Fields the row models; everything else settable is kept in ``Bucket.extra``.
MODELLED = {
    "labels",
    "versioning",
    "lifecycle",
    "storageClass",
    "iamConfiguration",
    "retentionPolicy",
    "softDeletePolicy",
}
PASSTHROUGH = {
    "billing",
    "cors",
    "customPlacementConfig",
    "defaultEventBasedHold",
    "hierarchicalNamespace",
    "logging",
    "rpo",
    "website",
}
# Echoed back by clients on update; ignored, as Cloud Storage does. Object retention
# is chosen when the bucket is made (``enableObjectRetention``) and stays.
READ_ONLY = {
    "kind", "id", "selfLink", "name", "projectNumber", "metageneration", "location",
    "locationType", "etag", "timeCreated", "updated", "owner",
    "satisfiesPZS", "satisfiesPZI", "generation", "softDeleteTime", "hardDeleteTime",
    "objectRetention",
}  # fmt: skip
# Kept too, with fields Cloud Storage fills in (see ``bucket_configs``).
COMPLETED: dict[str, Callable[[Any, dict[str, Any] | None, dt.datetime], dict[str, Any]]] = {
    "autoclass": bucket_configs.autoclass,
    "encryption": bucket_configs.encryption,
    "ipFilter": bucket_configs.ip_filter,
}
_ACTIONS = {"Delete", "SetStorageClass", "AbortIncompleteMultipartUpload"}


def validate_lifecycle(raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    try:
        lifecycle = Lifecycle.model_validate(raw)
    except ValidationError as exc:
        why = exc.errors()[0]["msg"]
        raise InvalidArgument(f"Invalid lifecycle configuration: {why}.") from exc
    rules = []
    for rule in lifecycle.rule:
        if rule.action.type not in _ACTIONS:
            raise InvalidArgument(f"Invalid lifecycle action type '{rule.action.type}'.")
        target_class = rule.action.storage_class
        if rule.action.type == "SetStorageClass" and target_class not in STORAGE_CLASSES:
            raise InvalidArgument(f"Invalid storage class '{target_class}' in a lifecycle rule.")
        condition = rule.condition.dump()
        if not condition:
            raise InvalidArgument("A lifecycle rule needs at least one condition.")
        for key in ("age", "numNewerVersions", "daysSinceNoncurrentTime", "daysSinceCustomTime"):
            if key in condition and condition[key] < 0:
                raise InvalidArgument(f"Lifecycle condition '{key}' cannot be negative.")
        rules.append(rule.dump())
    return rules


def apply_fields(
    bucket: Bucket, fields: dict[str, Any], now: dt.datetime, *, replace: bool = False
) -> None:
    """Set the fields given (patch), or every settable field (``replace``: update);
    ``now`` stamps the times Cloud Storage records of a change."""
    before = dict(bucket.extra or {})
    if replace:
        fields = {
            "labels": None,
            "versioning": None,
            "lifecycle": None,
            "iamConfiguration": None,
            "retentionPolicy": None,
            **fields,
        }
        kept = ("objectRetention", "retentionPolicy", "softDeletePolicy")
        bucket.extra = {k: v for k, v in bucket.extra.items() if k in kept}
    if "labels" in fields:
        labels = dict(bucket.labels or {}) if not replace else {}
        for key, value in (fields["labels"] or {}).items():
            if value is None:
                labels.pop(key, None)
            else:
                labels[key] = value
        bucket.labels = validate_labels(labels)
    if "versioning" in fields:
        bucket.versioning = bool((fields["versioning"] or {}).get("enabled", False))
    if "lifecycle" in fields:
        bucket.lifecycle_rules = validate_lifecycle(fields["lifecycle"])
    if "retentionPolicy" in fields:
        set_policy(bucket, fields["retentionPolicy"], now)
    if "softDeletePolicy" in fields:
        soft_delete.set_policy(bucket, fields["softDeletePolicy"], now, creating=False)
    if "storageClass" in fields and fields["storageClass"] is not None:
        bucket.storage_class = validate_storage_class(fields["storageClass"])
    if "iamConfiguration" in fields:
        config = fields["iamConfiguration"] or {}
        uniform = config.get("uniformBucketLevelAccess") or config.get("bucketPolicyOnly") or {}
        bucket.uniform_access = bool(uniform.get("enabled", False))
        prevention = config.get("publicAccessPrevention")
        if prevention is not None:
            if prevention not in ("inherited", "enforced", "unspecified"):
                raise InvalidArgument(f"Invalid publicAccessPrevention '{prevention}'.")
            bucket.extra = {**bucket.extra, "publicAccessPrevention": prevention}
    for key in ("acl", "defaultObjectAcl"):
        if key not in fields:
            continue
        if fields[key] and bucket.uniform_access:
            raise InvalidArgument(
                f"Cannot set {key} on bucket {bucket.name}: uniform bucket-level access is enabled."
            )
        # An empty list is a change too: it takes every entry away. The object owner of
        # a predefined default joins each object's ACL when the object is written.
        given = refuse_public_acl(bucket, validate_acl(fields[key] or []))
        entries = resolve(given, None, bucket.project_number)
        bucket.extra = {**bucket.extra, key: entries}
    for key, complete in COMPLETED.items():
        if key in fields:
            value = fields[key]
            extra = {k: v for k, v in bucket.extra.items() if k != key}
            if value is not None:
                extra[key] = complete(value, before.get(key), now)
            bucket.extra = extra
    passthrough = {k: v for k, v in fields.items() if k in PASSTHROUGH}
    if passthrough:
        merged = {**bucket.extra, **passthrough}
        bucket.extra = {k: v for k, v in merged.items() if v is not None}
