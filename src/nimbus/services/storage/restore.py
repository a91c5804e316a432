"""objects.restore: a soft-deleted generation comes back as a new live generation.

The new generation has the soft-deleted one's bytes and metadata, a new generation
number, metageneration 1, and the bucket's default object ACL unless
``copySourceAcl``. Preconditions apply to the live generation it replaces, as a write's.
"""

from __future__ import annotations

from typing import Any

from nimbus.blobs import BlobStore
from nimbus.core.clock import rfc3339_micros
from nimbus.services.caller import Caller
from nimbus.services.storage.acl import require_fine_grained
from nimbus.services.storage.customer_keys import Sealing
from nimbus.services.storage.folder_access import authorized_under
from nimbus.services.storage.generations import Content
from nimbus.services.storage.object_contexts import as_request
from nimbus.services.storage.object_fields import ObjectSpec
from nimbus.services.storage.objects import Objects, find_generation
from nimbus.services.storage.preconditions import Preconditions
from nimbus.store.models import Bucket, StoredObject


class Restores:
    def __init__(self, objects: Objects, blobs: BlobStore) -> None:
        self.objects = objects
        self.blobs = blobs

    def restore(
        self,
        caller: Caller,
        bucket: str,
        name: str,
        generation: int,
        preconditions: Preconditions,
        *,
        copy_source_acl: bool = False,
    ) -> tuple[Bucket, StoredObject]:
        objects = self.objects
        with objects.db.read() as session:
            _, bucket_row = authorized_under(
                session, objects.authorizer, caller, bucket, name, "storage.objects.restore"
            )
            row = find_generation(session, bucket, name, generation, soft_deleted=True)
            if copy_source_acl:
                require_fine_grained(bucket_row)
        # The restored generation owns its bytes: a new link, or the inline copy.
        blob_id = self.blobs.link(row.blob_id) if row.blob_id is not None else None
        content = Content(
            row.size,
            row.crc32c,
            row.md5,
            blob_id=blob_id,
            inline=row.inline_data,
            component_count=row.component_count,
            sealing=Sealing.of(row.key_sha256, row.key_nonce),
        )
        spec = ObjectSpec(fields=_restored_fields(row, copy_source_acl))
        return objects.insert(caller, bucket, name, content, spec, preconditions)


def _restored_fields(row: StoredObject, copy_source_acl: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "contentType": row.content_type,
        "contentEncoding": row.content_encoding,
        "contentDisposition": row.content_disposition,
        "contentLanguage": row.content_language,
        "cacheControl": row.cache_control,
        "metadata": row.custom_metadata,
        "storageClass": row.storage_class,
        "customTime": rfc3339_micros(row.custom_time) if row.custom_time else None,
        "contexts": as_request(row.contexts),
    }
    if copy_source_acl:
        fields["acl"] = row.acl or []
    return fields
