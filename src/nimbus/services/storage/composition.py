"""Objects made from objects: copy, rewrite (resumable by token) and compose."""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
from dataclasses import dataclass
from typing import Any

import orjson

from nimbus.blobs import BlobStore
from nimbus.core.clock import rfc3339_micros
from nimbus.core.errors import InvalidArgument
from nimbus.services.caller import Caller
from nimbus.services.storage.content import read_bytes, write_content
from nimbus.services.storage.customer_keys import CustomerKey, Sealing, unlock
from nimbus.services.storage.errors import NoSuchKey
from nimbus.services.storage.folder_access import authorized_under
from nimbus.services.storage.generations import (
    Content,
    commit_generation,
    live_generation,
    require_removable,
)
from nimbus.services.storage.names import validate_object_name
from nimbus.services.storage.object_contexts import as_request
from nimbus.services.storage.object_fields import ObjectSpec
from nimbus.services.storage.objects import Objects, find_generation
from nimbus.services.storage.preconditions import Preconditions
from nimbus.services.storage.usage import CLASS_A
from nimbus.store.models import Bucket, StoredObject

MAX_COMPOSE_SOURCES = 32
MAX_COMPONENTS = 1024
_COPIED_FIELDS = {
    "contentType": "content_type",
    "contentEncoding": "content_encoding",
    "contentDisposition": "content_disposition",
    "contentLanguage": "content_language",
    "cacheControl": "cache_control",
    "metadata": "custom_metadata",
}


@dataclass(frozen=True)
class RewriteProgress:
    done: bool
    total_bytes_rewritten: int
    object_size: int
    rewrite_token: str | None = None
    result: tuple[Bucket, StoredObject] | None = None


@dataclass(frozen=True)
class KeyPair:
    """A rewrite's customer keys: the one that opens the source, the one for the copy."""

    source: CustomerKey | None = None
    destination: CustomerKey | None = None


@dataclass(frozen=True)
class SourceRef:
    name: str
    generation: int | None = None
    if_generation_match: int | None = None


def _inherited_fields(source: StoredObject, given: dict[str, Any]) -> dict[str, Any]:
    """The destination's metadata: the source's, unless the request sets its own.
    Contexts go along on their own: the source's, unless the request names some."""
    contexts = {"contexts": given.get("contexts", as_request(source.contexts))}
    if any(key in given for key in _COPIED_FIELDS):
        return {**given, **contexts}
    inherited: dict[str, Any] = {
        key: getattr(source, column) for key, column in _COPIED_FIELDS.items()
    }
    return {**inherited, **given, **contexts}


def _composed_contexts(sources: list[StoredObject]) -> dict[str, Any] | None:
    """A composite keeps its sources' contexts; a later source's value wins."""
    merged: dict[str, dict[str, str]] = {}
    for row in sources:
        merged.update(row.contexts or {})
    return as_request(merged)


class Composition:
    def __init__(self, objects: Objects, blobs: BlobStore) -> None:
        self.objects = objects
        self.blobs = blobs

    def rewrite(
        self,
        caller: Caller,
        source: tuple[str, str, int | None],
        destination: tuple[str, str],
        resource: dict[str, Any],
        preconditions: Preconditions,
        source_preconditions: Preconditions,
        token: str | None = None,
        max_bytes_per_call: int | None = None,
        keys: KeyPair = KeyPair(),
    ) -> RewriteProgress:
        """Copy a generation to a new object, perhaps in another bucket and class.

        With ``maxBytesRewrittenPerCall`` smaller than the object, the work proceeds over
        several calls linked by a rewrite token, as on Cloud Storage; the copy itself
        happens on the last one.
        """
        source_bucket, source_name, source_generation = source
        _, row = self.objects.get(
            caller, source_bucket, source_name, source_generation, source_preconditions
        )
        unlock(row.key_sha256, keys.source)
        done_before = _read_token(token, row) if token else 0
        if max_bytes_per_call is not None and max_bytes_per_call < 1024 * 1024:
            raise InvalidArgument("maxBytesRewrittenPerCall must be at least 1 MiB.")
        step = max_bytes_per_call or row.size
        progress = min(row.size, done_before + step)
        if progress < row.size:
            return RewriteProgress(
                done=False,
                total_bytes_rewritten=progress,
                object_size=row.size,
                rewrite_token=_make_token(row, progress),
            )
        result = self.copy(caller, row, destination, resource, preconditions, keys)
        return RewriteProgress(
            done=True, total_bytes_rewritten=row.size, object_size=row.size, result=result
        )

    def copy(
        self,
        caller: Caller,
        row: StoredObject,
        destination: tuple[str, str],
        resource: dict[str, Any],
        preconditions: Preconditions,
        keys: KeyPair = KeyPair(),
    ) -> tuple[Bucket, StoredObject]:
        """``keys.destination`` encrypts the copy; ``keys.source`` has unlocked ``row``."""
        bucket, name = destination
        self.objects.authorize_write(caller, bucket, name)
        fields = _inherited_fields(row, resource)
        spec = ObjectSpec(fields=fields)
        if row.key_sha256 != (keys.destination.sha256 if keys.destination else None):
            # Encrypted, decrypted or re-keyed: the bytes go through the cipher.
            plain = read_bytes(self.blobs, row, key=keys.source)
            made = write_content(self.blobs, plain, keys.destination, row.size)
            content = dataclasses.replace(made, md5=row.md5, component_count=row.component_count)
        elif row.inline_data is not None:
            content = Content(
                row.size,
                row.crc32c,
                row.md5,
                inline=row.inline_data,
                component_count=row.component_count,
                sealing=Sealing.of(row.key_sha256, row.key_nonce),
            )
        else:
            assert row.blob_id is not None
            content = Content(
                row.size,
                row.crc32c,
                row.md5,
                blob_id=self.blobs.link(row.blob_id),
                component_count=row.component_count,
                sealing=Sealing.of(row.key_sha256, row.key_nonce),
            )
        return self.objects.insert(caller, bucket, name, content, spec, preconditions)

    def compose(
        self,
        caller: Caller,
        bucket: str,
        name: str,
        sources: list[SourceRef],
        resource: dict[str, Any],
        preconditions: Preconditions,
        *,
        delete_sources: bool = False,
        key: CustomerKey | None = None,
    ) -> tuple[Bucket, StoredObject]:
        """The composite, made from ``sources`` in order; with ``delete_sources`` the
        generations read are deleted once it is made (never the new destination).
        Sources under a customer key all need ``key``, which encrypts the composite."""
        if not 1 <= len(sources) <= MAX_COMPOSE_SOURCES:
            raise InvalidArgument(
                f"A compose request takes 1 to {MAX_COMPOSE_SOURCES} source objects."
            )
        self.objects.authorize_write(caller, bucket, name)
        rows = [
            self.objects.get(
                caller, bucket, ref.name, ref.generation,
                Preconditions(if_generation_match=ref.if_generation_match),
            )[1]
            for ref in sources
        ]  # fmt: skip
        components = sum(row.component_count or 1 for row in rows)
        if components > MAX_COMPONENTS:
            raise InvalidArgument(
                f"The composite object would have {components} components; at most "
                f"{MAX_COMPONENTS} are allowed."
            )
        for row in rows:
            unlock(row.key_sha256, key)
        size = sum(row.size for row in rows)
        plain = (chunk for row in rows for chunk in read_bytes(self.blobs, row, key=key))
        # A composite has a CRC32C and no MD5.
        content = dataclasses.replace(
            write_content(self.blobs, plain, key, size), md5=None, component_count=components
        )
        fields = {k: v for k, v in resource.items() if k not in ("crc32c", "md5Hash")}
        fields.setdefault("contexts", _composed_contexts(rows))
        # The destination is often the caller's copy of an object, with its old checksums:
        # Cloud Storage does not hold a compose to them.
        spec = ObjectSpec(fields=fields)
        made = self.objects.insert(caller, bucket, name, content, spec, preconditions)
        if delete_sources:
            self._delete_sources(caller, bucket, rows, made[1])
        return made

    def move(
        self,
        caller: Caller,
        bucket: str,
        names: tuple[str, str],
        preconditions: Preconditions,
        source_preconditions: Preconditions,
    ) -> tuple[Bucket, StoredObject]:
        """Rename ``names[0]`` to ``names[1]`` in one transaction: the destination is a
        new generation with the source's bytes and metadata, and the source is gone."""
        source, destination = names
        validate_object_name(destination)
        if source == destination:
            raise InvalidArgument("The source and destination object names must be different.")
        objects = self.objects
        with objects.db.write() as session:
            # Each permission on its own name: a managed folder's grant counts for both.
            def require(name: str, permission: str) -> Bucket:
                return authorized_under(
                    session, objects.authorizer, caller, bucket, name, permission
                )[1]

            bucket_row = require(source, "storage.objects.move")
            require(destination, "storage.objects.create")
            previous = live_generation(session, bucket, destination)
            if previous is not None:
                require(destination, "storage.objects.delete")
            row = find_generation(session, bucket, source, None, for_update=True)
            source_preconditions.check(row.generation, row.metageneration)
            now = objects.clock.now()
            require_removable(bucket_row, row, now, destroys=True)
            content = Content(
                row.size, row.crc32c, row.md5, blob_id=row.blob_id, inline=row.inline_data,
                component_count=row.component_count,
                sealing=Sealing.of(row.key_sha256, row.key_nonce),
            )  # fmt: skip
            spec = ObjectSpec(fields=_moved_fields(bucket_row, row), owner=row.owner)
            made, released = commit_generation(
                session,
                objects.usage,
                bucket_row,
                previous,
                destination,
                content,
                spec,
                preconditions,
                now,
            )
            # The bytes now belong to the destination: no blob to free, no early-deletion
            # charge (as on Google), and the bucket holds as many bytes as before.
            session.delete(row)
            objects.usage.record_bytes(session, bucket_row, row.storage_class, -row.size)
        objects.usage.count(bucket_row, CLASS_A)
        objects.release(released)
        return bucket_row, made

    def _delete_sources(
        self, caller: Caller, bucket: str, rows: list[StoredObject], made: StoredObject
    ) -> None:
        for row in {(row.name, row.generation): row for row in rows}.values():
            if (row.name, row.generation) == (made.name, made.generation):
                continue
            # A source that was the destination's previous generation may be gone already.
            with contextlib.suppress(NoSuchKey):
                self.objects.delete(caller, bucket, row.name, row.generation, Preconditions())


def _moved_fields(bucket: Bucket, row: StoredObject) -> dict[str, Any]:
    fields = _inherited_fields(row, {})
    fields["storageClass"] = row.storage_class
    if row.custom_time is not None:
        fields["customTime"] = rfc3339_micros(row.custom_time)
    if row.acl is not None and not bucket.uniform_access:
        fields["acl"] = row.acl
    return fields


def _make_token(row: StoredObject, progress: int) -> str:
    raw = orjson.dumps({"b": row.bucket, "n": row.name, "g": row.generation, "p": progress})
    return base64.urlsafe_b64encode(raw).decode()


def _read_token(token: str, row: StoredObject) -> int:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token))
        progress = int(data["p"])
        same = (data["b"], data["n"], data["g"]) == (row.bucket, row.name, row.generation)
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidArgument("Invalid rewrite token.") from exc
    if not same:
        raise InvalidArgument("The rewrite token belongs to another source object.")
    return progress
