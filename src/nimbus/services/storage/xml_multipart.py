"""XML API multipart uploads: initiate, upload numbered parts, then assemble them.

An upload is a row fixing the object's name and metadata; each part is a durable blob
and a row. Completing assembles the parts named in the request, in order, into one new
blob and commits the object through ``Objects.insert``; the upload's rows go in the same
transaction, and the parts' blobs after it commits. Aborting deletes rows and blobs.
As on Cloud Storage, every request is authorized anew: an upload id is no credential.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nimbus.blobs import BlobStore, StoredBlob
from nimbus.core.clock import Clock
from nimbus.core.errors import InvalidArgument, NotFound
from nimbus.services.caller import Caller
from nimbus.services.storage.access import authorized_bucket
from nimbus.services.storage.checks import verify_checksums
from nimbus.services.storage.composition import MAX_COMPONENTS
from nimbus.services.storage.content import write_content
from nimbus.services.storage.customer_keys import CustomerKey, Sealing, crypt_chunks, unlock
from nimbus.services.storage.errors import BadDigest
from nimbus.services.storage.folder_access import authorized_under
from nimbus.services.storage.generations import Content
from nimbus.services.storage.names import validate_object_name
from nimbus.services.storage.object_fields import ObjectSpec
from nimbus.services.storage.objects import Objects
from nimbus.services.storage.preconditions import Preconditions
from nimbus.store.db import Database
from nimbus.store.models import Bucket, MultipartPart, MultipartUpload, StoredObject

CREATE = "storage.multipartUploads.create"
MAX_PART_NUMBER = 10_000
# Every part but the last is at least this big (Cloud Storage's limit, as S3's).
MIN_PART_SIZE = 5 * 1024 * 1024


class NoSuchUpload(NotFound):
    """The upload id names no upload in progress (never made, completed or aborted)."""


class InvalidPart(InvalidArgument):
    """A part named in the completion was never uploaded, or its ETag differs."""


class InvalidPartOrder(InvalidArgument):
    """The completion lists its parts out of ascending order."""


class EntityTooSmall(InvalidArgument):
    """A part other than the last is smaller than the minimum part size."""


@dataclass(frozen=True)
class PartListing:
    upload: MultipartUpload
    parts: list[MultipartPart]


def part_etag(md5: bytes) -> str:
    """A part's ETag: the hex MD5 of its bytes, quoted, as Cloud Storage answers it."""
    return f'"{md5.hex()}"'


class MultipartUploads:
    def __init__(self, db: Database, blobs: BlobStore, objects: Objects, clock: Clock) -> None:
        self.db = db
        self.blobs = blobs
        self.objects = objects
        self.clock = clock

    def _authorize(self, caller: Caller, bucket: str, name: str | None, permission: str) -> None:
        if name is not None:
            validate_object_name(name)
        with self.db.read() as session:
            if name is None:
                authorized_bucket(session, self.objects.authorizer, caller, bucket, permission)
            else:  # a managed folder's grant counts for the objects under it
                authorized_under(session, self.objects.authorizer, caller, bucket, name, permission)

    def initiate(
        self,
        caller: Caller,
        bucket: str,
        name: str,
        resource: dict[str, Any],
        key: CustomerKey | None = None,
    ) -> MultipartUpload:
        """``key``: the object is made under that customer key; each part and the
        completion bring it."""
        self._authorize(caller, bucket, name, CREATE)
        upload = MultipartUpload(
            upload_id=secrets.token_urlsafe(32),
            bucket=bucket,
            name=name,
            principal=caller.principal,
            resource=resource,
            create_time=self.clock.now(),
            key_sha256=key.sha256 if key is not None else None,
        )
        with self.db.write() as session:
            session.add(upload)
        return upload

    def authorize_part(self, caller: Caller, bucket: str, name: str, part_number: int) -> None:
        """Checked before a part's bytes are read."""
        if not 1 <= part_number <= MAX_PART_NUMBER:
            raise InvalidArgument(
                f"Invalid part number {part_number}: it must be from 1 to {MAX_PART_NUMBER}."
            )
        self._authorize(caller, bucket, name, CREATE)

    def put_part(
        self,
        caller: Caller,
        target: tuple[str, str, str],
        part_number: int,
        blob: StoredBlob,
        declared: ObjectSpec,
        *,
        key: CustomerKey | None = None,
        sealing: Sealing | None = None,
    ) -> MultipartPart:
        """Record a part whose bytes are durable in ``blob`` (encrypted as ``sealing``
        says, under ``key``); it replaces an earlier part of that number. On any error
        the blob is deleted."""
        try:
            self.authorize_part(caller, target[0], target[1], part_number)
            try:
                verify_checksums(declared, blob.crc32c, blob.md5)
            except InvalidArgument as mismatch:
                raise BadDigest(mismatch.message) from mismatch
            with self.db.write() as session:
                unlock(_upload(session, target, lock=True).key_sha256, key)
                old = session.get(MultipartPart, (target[2], part_number))
                replaced = old.blob_id if old is not None else None
                if old is not None:
                    session.delete(old)
                    session.flush()
                part = MultipartPart(
                    upload_id=target[2],
                    part_number=part_number,
                    blob_id=blob.blob_id,
                    size=blob.size,
                    crc32c=blob.crc32c,
                    md5=blob.md5,
                    updated=self.clock.now(),
                    key_nonce=sealing.nonce if sealing is not None else None,
                )
                session.add(part)
        except BaseException:
            self.blobs.delete(blob.blob_id)
            raise
        if replaced is not None:
            self.blobs.delete(replaced)
        return part

    def list_parts(self, caller: Caller, target: tuple[str, str, str]) -> PartListing:
        self._authorize(caller, target[0], target[1], "storage.multipartUploads.listParts")
        with self.db.read() as session:
            upload = _upload(session, target)
            return PartListing(upload, _parts(session, target[2]))

    def list_uploads(self, caller: Caller, bucket: str, prefix: str) -> list[MultipartUpload]:
        """The bucket's uploads in progress, by name then upload ID (the order the
        XML API's listing markers page through)."""
        self._authorize(caller, bucket, None, "storage.multipartUploads.list")
        with self.db.read() as session:
            rows = session.scalars(
                select(MultipartUpload)
                .where(
                    MultipartUpload.bucket == bucket,
                    MultipartUpload.name.startswith(prefix, autoescape=True),
                )
                .order_by(MultipartUpload.name, MultipartUpload.upload_id)
            )
            return list(rows)

    def abort(self, caller: Caller, target: tuple[str, str, str]) -> None:
        self._authorize(caller, target[0], target[1], "storage.multipartUploads.abort")
        with self.db.write() as session:
            _upload(session, target, lock=True)
            blob_ids = [part.blob_id for part in _parts(session, target[2])]
            _forget(session, target[2])
        self._release(blob_ids)

    def complete(
        self,
        caller: Caller,
        target: tuple[str, str, str],
        requested: list[tuple[int, str]],
        preconditions: Preconditions,
        key: CustomerKey | None = None,
    ) -> tuple[Bucket, StoredObject]:
        """Assemble the parts ``requested`` (number, ETag), in order, into the object."""
        bucket, name, upload_id = target
        self._authorize(caller, bucket, name, CREATE)
        with self.db.read() as session:
            upload = _upload(session, target)
            chosen = _chosen_parts(_parts(session, upload_id), requested)
        unlock(upload.key_sha256, key)
        content = self._assemble(chosen, key)
        used = {part.part_number: part.blob_id for part in chosen}
        # Every part's blob, those not named too, once the upload's rows are gone.
        released: list[str] = []

        def end_upload(session: Session, made: StoredObject) -> None:
            _upload(session, target, lock=True)
            now = {p.part_number: p.blob_id for p in _parts(session, upload_id)}
            if any(now.get(number) != blob_id for number, blob_id in used.items()):
                raise InvalidPart("A part changed while the upload was being completed.")
            _forget(session, upload_id)
            released[:] = list(now.values())

        spec = ObjectSpec(fields=dict(upload.resource))
        made = self.objects.insert(
            caller, bucket, name, content, spec, preconditions, along=end_upload
        )
        self._release(released)
        return made

    def _assemble(self, parts: list[MultipartPart], key: CustomerKey | None) -> Content:
        """The parts' bytes as one content: inline when small, else a new blob. Like a
        composite object's, it has a CRC32C and no MD5. Under a customer key, the parts
        are decrypted and the whole encrypted again from one nonce."""
        count = min(len(parts), MAX_COMPONENTS)
        size = sum(part.size for part in parts)
        made = write_content(self.blobs, self._plaintext(parts, key), key, size)
        return replace(made, md5=None, component_count=count)

    def _plaintext(self, parts: list[MultipartPart], key: CustomerKey | None) -> Iterator[bytes]:
        for part in parts:
            stored = self.blobs.read(part.blob_id)
            if part.key_nonce is None or key is None:
                yield from stored
            else:
                yield from crypt_chunks(stored, key.key, part.key_nonce)

    def _release(self, blob_ids: list[str]) -> None:
        for blob_id in blob_ids:
            with contextlib.suppress(OSError):
                self.blobs.delete(blob_id)


def _upload(
    session: Session, target: tuple[str, str, str], *, lock: bool = False
) -> MultipartUpload:
    bucket, name, upload_id = target
    upload = session.get(MultipartUpload, upload_id, with_for_update=lock)
    if upload is None or (upload.bucket, upload.name) != (bucket, name):
        raise NoSuchUpload(
            "The requested upload was not found. It may have been completed or aborted."
        )
    return upload


def _parts(session: Session, upload_id: str) -> list[MultipartPart]:
    query = select(MultipartPart).where(MultipartPart.upload_id == upload_id)
    return list(session.scalars(query.order_by(MultipartPart.part_number)))


def _forget(session: Session, upload_id: str) -> None:
    session.execute(delete(MultipartPart).where(MultipartPart.upload_id == upload_id))
    session.execute(delete(MultipartUpload).where(MultipartUpload.upload_id == upload_id))


def _chosen_parts(
    stored: list[MultipartPart], requested: list[tuple[int, str]]
) -> list[MultipartPart]:
    """The stored parts the completion names, checked as Cloud Storage checks them."""
    if not requested:
        raise InvalidArgument("The XML you provided did not name any part.")
    numbers = [number for number, _ in requested]
    if numbers != sorted(set(numbers)):
        raise InvalidPartOrder("The list of parts was not in ascending order.")
    by_number = {part.part_number: part for part in stored}
    chosen = []
    for number, etag in requested:
        part = by_number.get(number)
        if part is None or etag.strip().strip('"') != part.md5.hex():
            raise InvalidPart(
                "One or more of the specified parts could not be found. The part may not "
                "have been uploaded, or the specified entity tag may not match the part's "
                "entity tag."
            )
        chosen.append(part)
    for part in chosen[:-1]:
        if part.size < MIN_PART_SIZE:
            raise EntityTooSmall(
                f"Part {part.part_number} is {part.size} bytes; every part but the last "
                f"must be at least {MIN_PART_SIZE} bytes."
            )
    return chosen
