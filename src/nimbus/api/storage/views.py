"""Buckets, objects, managed folders and HMAC keys rendered as Cloud Storage's JSON resources."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm.attributes import instance_dict

from nimbus.blobs.checksums import crc32c_b64, md5_b64
from nimbus.core.clock import rfc3339, rfc3339_micros
from nimbus.services.storage.customer_keys import ALGORITHM
from nimbus.services.storage.listing import RESOURCE_COLUMNS
from nimbus.services.storage.object_contexts import rendered as rendered_contexts
from nimbus.services.storage.retention import retention_view
from nimbus.store.models import (
    Bucket,
    BucketState,
    HmacKey,
    ManagedFolder,
    SoftDeletedBucket,
    StoredObject,
)

# What a download of an object stored without a type says it is.
DEFAULT_CONTENT_TYPE = "application/octet-stream"


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def bucket_etag(bucket: BucketState) -> str:
    return base64.b64encode(b"\x08" + _varint(bucket.metageneration)).decode()


def object_etag(row: StoredObject) -> str:
    raw = b"\x08" + _varint(row.generation) + b"\x10" + _varint(row.metageneration)
    return base64.b64encode(raw).decode()


def quote_name(name: str) -> str:
    return quote(name, safe="")


def storage_layout(row: Bucket) -> dict[str, Any]:
    """buckets.getStorageLayout: where the bucket is, and how its namespace is laid out
    (flat unless the bucket was made with ``hierarchicalNamespace`` enabled)."""
    extra = row.extra or {}
    body: dict[str, Any] = {
        "kind": "storage#storageLayout",
        "bucket": row.name,
        "location": row.location,
        "locationType": row.location_type,
        "hierarchicalNamespace": extra.get("hierarchicalNamespace") or {"enabled": False},
    }
    if "customPlacementConfig" in extra:
        body["customPlacementConfig"] = extra["customPlacementConfig"]
    return body


def bucket(base: str, row: Bucket | SoftDeletedBucket, *, full: bool = False) -> dict[str, Any]:
    extra = dict(row.extra or {})
    prevention = extra.pop("publicAccessPrevention", "inherited")
    bucket_acl = extra.pop("acl", [])
    default_object_acl = extra.pop("defaultObjectAcl", [])
    body: dict[str, Any] = {
        "kind": "storage#bucket",
        "selfLink": f"{base}/storage/v1/b/{row.name}",
        "id": row.name,
        "name": row.name,
        "projectNumber": str(row.project_number),
        "metageneration": str(row.metageneration),
        "generation": str(row.generation),
        "location": row.location,
        "locationType": row.location_type,
        "storageClass": row.storage_class,
        "etag": bucket_etag(row),
        "timeCreated": rfc3339(row.time_created),
        "updated": rfc3339(row.updated),
        "iamConfiguration": {
            "bucketPolicyOnly": {"enabled": row.uniform_access},
            "uniformBucketLevelAccess": {"enabled": row.uniform_access},
            "publicAccessPrevention": prevention,
        },
        **extra,
    }
    if isinstance(row, SoftDeletedBucket):
        body["softDeleteTime"] = rfc3339(row.soft_delete_time)
        body["hardDeleteTime"] = rfc3339(row.hard_delete_time)
    if row.location_type != "region":
        body.setdefault("rpo", "DEFAULT")
    if row.labels:
        body["labels"] = row.labels
    if row.versioning:
        body["versioning"] = {"enabled": True}
    if row.lifecycle_rules:
        body["lifecycle"] = {"rule": row.lifecycle_rules}
    if full:
        body["owner"] = {"entity": f"project-owners-{row.project_number}"}
        body["acl"] = acl_items(bucket_acl)
        body["defaultObjectAcl"] = acl_items(default_object_acl)
    return body


def stored_object(
    base: str, bucket: Bucket, row: StoredObject, *, full: bool = False, keyed: bool = False
) -> dict[str, Any]:
    """``bucket`` is the object's: its retention policy sets ``retentionExpirationTime``.
    A customer-encrypted object's checksums are shown only to a request ``keyed`` with
    its key, as on Cloud Storage."""
    v = column_values(row)
    name, bucket_name, generation = v["name"], v["bucket"], v["generation"]
    quoted = quote_name(name)
    created = v["time_created"]
    created_text = rfc3339(created)

    def stamp(moment: dt.datetime) -> str:
        """Most objects were never changed: their three times are one."""
        return created_text if moment == created else rfc3339(moment)

    body: dict[str, Any] = {
        "kind": "storage#object",
        "id": f"{bucket_name}/{name}/{generation}",
        "selfLink": f"{base}/storage/v1/b/{bucket_name}/o/{quoted}",
        "mediaLink": (
            f"{base}/download/storage/v1/b/{bucket_name}/o/{quoted}"
            f"?generation={generation}&alt=media"
        ),
        "name": name,
        "bucket": bucket_name,
        "generation": str(generation),
        "metageneration": str(v["metageneration"]),
        "storageClass": v["storage_class"],
        "size": str(v["size"]),
        "crc32c": crc32c_b64(v["crc32c"]),
        "etag": object_etag(row),
        "timeCreated": created_text,
        "updated": stamp(v["updated"]),
        "timeStorageClassUpdated": stamp(v["time_storage_class_updated"]),
    }
    if v["md5"] is not None:
        body["md5Hash"] = md5_b64(v["md5"])
    if v["key_sha256"] is not None:
        encryption = {"encryptionAlgorithm": ALGORITHM, "keySha256": v["key_sha256"]}
        body["customerEncryption"] = encryption
        if not keyed:
            del body["crc32c"]
            body.pop("md5Hash", None)
    if v["component_count"] is not None:
        body["componentCount"] = v["component_count"]
    for field, column in _TEXT_FIELDS:
        if v[column] is not None:
            body[field] = v[column]
    if v["custom_time"]:
        body["customTime"] = rfc3339_micros(v["custom_time"])
    for field, column in _TIME_FIELDS:
        if v[column]:
            body[field] = rfc3339(v[column])
    if v["custom_metadata"]:
        body["metadata"] = v["custom_metadata"]
    if v["temporary_hold"]:
        body["temporaryHold"] = True
    if v["event_based_hold"]:
        body["eventBasedHold"] = True
    if v["contexts"]:
        body["contexts"] = rendered_contexts(v["contexts"])
    body.update(retention_view(bucket, row))
    if full:
        if v["owner"] is not None:
            body["owner"] = {"entity": f"user-{v['owner']}"}
        body["acl"] = acl_items(v["acl"] or [])
    return body


_TEXT_FIELDS = [
    ("contentType", "content_type"),
    ("contentEncoding", "content_encoding"),
    ("contentDisposition", "content_disposition"),
    ("contentLanguage", "content_language"),
    ("cacheControl", "cache_control"),
]
_TIME_FIELDS = [
    ("timeDeleted", "time_deleted"),
    ("softDeleteTime", "soft_delete_time"),
    ("hardDeleteTime", "hard_delete_time"),
]
_OBJECT_COLUMNS = frozenset(column.key for column in RESOURCE_COLUMNS)


def column_values(row: StoredObject) -> Mapping[str, Any]:
    """The row's column values. A listing renders thousands of rows, and reading the
    instance's dict is five times faster than its instrumented attributes; a column not
    loaded (expired in its session, or never set on a new row) is read through them."""
    loaded = instance_dict(row)
    missing = _OBJECT_COLUMNS.difference(loaded)
    if not missing:
        return loaded
    return {**loaded, **{key: getattr(row, key) for key in missing}}


def hmac_key_metadata(base: str, project_id: str, key: HmacKey) -> dict[str, Any]:
    return {
        "kind": "storage#hmacKeyMetadata",
        "id": f"{project_id}/{key.access_id}",
        "selfLink": f"{base}/storage/v1/projects/{project_id}/hmacKeys/{key.access_id}",
        "accessId": key.access_id,
        "projectId": project_id,
        "serviceAccountEmail": key.service_account_email,
        "state": key.state,
        "timeCreated": rfc3339(key.time_created),
        "updated": rfc3339(key.updated),
        "etag": key.etag,
    }


def managed_folder(base: str, row: ManagedFolder) -> dict[str, Any]:
    return {
        "kind": "storage#managedFolder",
        "id": f"{row.bucket}/{row.name}",
        "selfLink": f"{base}/storage/v1/b/{row.bucket}/managedFolders/{quote_name(row.name)}",
        "name": row.name,
        "bucket": row.bucket,
        "createTime": rfc3339(row.create_time),
        "updateTime": rfc3339(row.update_time),
        "metageneration": str(row.metageneration),
    }


def acl_items(entries: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"kind": "storage#objectAccessControl", **entry} for entry in entries]
