"""Buckets, objects, managed folders and HMAC keys rendered as Cloud Storage's JSON resources."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from nimbus.blobs.checksums import crc32c_b64, md5_b64
from nimbus.core.clock import rfc3339, rfc3339_micros
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
    quoted = quote_name(row.name)
    body: dict[str, Any] = {
        "kind": "storage#object",
        "id": f"{row.bucket}/{row.name}/{row.generation}",
        "selfLink": f"{base}/storage/v1/b/{row.bucket}/o/{quoted}",
        "mediaLink": (
            f"{base}/download/storage/v1/b/{row.bucket}/o/{quoted}"
            f"?generation={row.generation}&alt=media"
        ),
        "name": row.name,
        "bucket": row.bucket,
        "generation": str(row.generation),
        "metageneration": str(row.metageneration),
        "storageClass": row.storage_class,
        "size": str(row.size),
        "crc32c": crc32c_b64(row.crc32c),
        "etag": object_etag(row),
        "timeCreated": rfc3339(row.time_created),
        "updated": rfc3339(row.updated),
        "timeStorageClassUpdated": rfc3339(row.time_storage_class_updated),
    }
    if row.md5 is not None:
        body["md5Hash"] = md5_b64(row.md5)
    if row.key_sha256 is not None:
        body["customerEncryption"] = {"encryptionAlgorithm": "AES256", "keySha256": row.key_sha256}
        if not keyed:
            del body["crc32c"]
            body.pop("md5Hash", None)
    if row.component_count is not None:
        body["componentCount"] = row.component_count
    optional = {
        "contentType": row.content_type,
        "contentEncoding": row.content_encoding,
        "contentDisposition": row.content_disposition,
        "contentLanguage": row.content_language,
        "cacheControl": row.cache_control,
        "customTime": rfc3339_micros(row.custom_time) if row.custom_time else None,
        "timeDeleted": rfc3339(row.time_deleted) if row.time_deleted else None,
        "softDeleteTime": rfc3339(row.soft_delete_time) if row.soft_delete_time else None,
        "hardDeleteTime": rfc3339(row.hard_delete_time) if row.hard_delete_time else None,
        "metadata": row.custom_metadata or None,
        "temporaryHold": row.temporary_hold or None,
        "eventBasedHold": row.event_based_hold or None,
        "contexts": rendered_contexts(row.contexts),
    }
    body.update({key: value for key, value in optional.items() if value is not None})
    body.update(retention_view(bucket, row))
    if full:
        if row.owner is not None:
            body["owner"] = {"entity": f"user-{row.owner}"}
        body["acl"] = acl_items(row.acl or [])
    return body


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
