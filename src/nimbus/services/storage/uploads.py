"""Resumable upload sessions: they outlive a restart of the server.

A session is a row (who, where, what metadata, how many bytes are durable) and an
append-only file. A chunk is written and fsynced before the row records it, so the
offset a client is told is always backed by bytes on disk. The HTTP layer streams a
chunk's bytes between ``begin_chunk`` and ``end_chunk``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import asdict, dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.ciphers import CipherContext
from sqlalchemy import delete
from sqlalchemy.orm import Session

from nimbus.blobs import BlobStore, Checksums, UploadAppender
from nimbus.core.clock import Clock
from nimbus.core.errors import InvalidArgument, NimbusError, NotFound
from nimbus.services.caller import ALL_USERS, Caller
from nimbus.services.storage.customer_keys import (
    CustomerKey,
    Sealing,
    cipher_at,
    crypt_chunks,
    unlock,
)
from nimbus.services.storage.generations import Content
from nimbus.services.storage.object_fields import ObjectSpec
from nimbus.services.storage.objects import Objects
from nimbus.services.storage.preconditions import Preconditions
from nimbus.store.db import Database
from nimbus.store.models import Bucket, ResumableUpload, StoredObject

SESSION_LIFETIME = dt.timedelta(days=7)


class UploadGone(NimbusError):
    """The session was cancelled, finished, expired, or lost its bytes."""

    code = 410
    status = "NOT_FOUND"
    reason = "gone"


@dataclass(frozen=True)
class ChunkResult:
    persisted: int
    finished: tuple[Bucket, StoredObject] | None = None


@dataclass
class Chunk:
    """One chunk being received: where its bytes go and their running checksums."""

    upload_id: str
    offset: int
    total: int | None
    appender: UploadAppender
    checksums: Checksums | None
    # A session under a customer key: bytes go to disk through this, positioned here.
    cipher: CipherContext | None = None

    def write(self, data: bytes) -> None:
        if self.checksums is not None:
            self.checksums.update(data)
        self.appender.write(data if self.cipher is None else self.cipher.update(data))


class Uploads:
    def __init__(self, db: Database, blobs: BlobStore, objects: Objects, clock: Clock) -> None:
        self.db = db
        self.blobs = blobs
        self.objects = objects
        self.clock = clock
        # Running checksums of sessions this process has fed since their first byte;
        # when missing (after a restart) they are recomputed from the file at the end.
        self._checksums: dict[str, Checksums] = {}

    def start(
        self,
        caller: Caller,
        bucket: str,
        name: str,
        resource: dict[str, Any],
        preconditions: Preconditions,
        total_size: int | None,
        key: CustomerKey | None = None,
    ) -> str:
        """``key``: the object is written under that customer key, and every chunk
        must bring it."""
        self.objects.authorize_write(caller, bucket, name)
        sealing = Sealing.new(key) if key is not None else None
        upload_id = secrets.token_urlsafe(32)
        now = self.clock.now()
        with self.db.write() as session:
            session.add(
                ResumableUpload(
                    upload_id=upload_id,
                    bucket=bucket,
                    name=name,
                    principal=caller.principal,
                    resource=resource,
                    preconditions=asdict(preconditions),
                    persisted=0,
                    total_size=total_size,
                    create_time=now,
                    expire_time=now + SESSION_LIFETIME,
                    key_sha256=sealing.key_sha256 if sealing else None,
                    key_nonce=sealing.nonce if sealing else None,
                )
            )
        self._checksums[upload_id] = Checksums()
        return upload_id

    def status(self, upload_id: str) -> ResumableUpload:
        with self.db.read() as session:
            upload = session.get(ResumableUpload, upload_id)
            if upload is None or upload.expire_time < self.clock.now():
                raise UploadGone("The upload session does not exist or has ended.")
            return upload

    def begin_chunk(
        self, upload_id: str, offset: int, total: int | None, key: CustomerKey | None = None
    ) -> Chunk:
        upload = self.status(upload_id)
        unlock(upload.key_sha256, key)
        if offset > upload.persisted:
            raise InvalidArgument(
                f"Invalid Content-Range: the upload has {upload.persisted} bytes, so a chunk "
                f"cannot start at {offset}."
            )
        if upload.total_size is not None and total not in (None, upload.total_size):
            raise InvalidArgument("The total size of an upload cannot change.")
        try:
            appender = self.blobs.open_upload(upload_id, offset)
        except FileNotFoundError as exc:
            raise UploadGone("The upload session lost its bytes; start a new one.") from exc
        known = self._checksums.pop(upload_id, None)
        checksums = known if known is not None and known.size == offset else None
        # A total of 0 is a size like any other: ``bytes */0`` finishes an empty upload.
        total = total if total is not None else upload.total_size
        if key is None or upload.key_nonce is None:
            return Chunk(upload_id, offset, total, appender, checksums)
        if checksums is None:
            # Only the plaintext's checksums count; the file holds ciphertext.
            checksums = self._plain_checksums(upload_id, key, upload.key_nonce)
        cipher = cipher_at(key.key, upload.key_nonce, offset)
        return Chunk(upload_id, offset, total, appender, checksums, cipher)

    def _plain_checksums(self, upload_id: str, key: CustomerKey, nonce: bytes) -> Checksums:
        checksums = Checksums()
        with self.blobs.upload_path(upload_id).open("rb") as handle:
            stored = iter(lambda: handle.read(1024 * 1024), b"")
            for chunk in crypt_chunks(stored, key.key, nonce):
                checksums.update(chunk)
        return checksums

    def end_chunk(self, chunk: Chunk, persisted: int, expected: int | None) -> ChunkResult:
        """Record a chunk whose bytes are fsynced; finish the object when it is whole.

        ``expected`` is the length the Content-Range announced: a chunk that brought a
        different number of bytes is refused and not recorded.
        """
        received = persisted - chunk.offset
        if expected is not None and received != expected:
            raise InvalidArgument(
                f"Invalid Content-Range: it announced {expected} bytes and {received} came."
            )
        if chunk.total is not None and persisted > chunk.total:
            raise InvalidArgument(
                f"Invalid Content-Range: {persisted} bytes exceed the upload's {chunk.total}."
            )
        with self.db.write() as session:
            row = session.get(ResumableUpload, chunk.upload_id)
            if row is None:
                raise UploadGone("The upload session does not exist or has ended.")
            row.persisted = persisted
            row.total_size = chunk.total
            upload = row
        if chunk.total is None or persisted < chunk.total:
            if chunk.checksums is not None:
                self._checksums[chunk.upload_id] = chunk.checksums
            return ChunkResult(persisted)
        return ChunkResult(persisted, self._finish(upload, chunk.checksums))

    def _finish(
        self, upload: ResumableUpload, checksums: Checksums | None
    ) -> tuple[Bucket, StoredObject]:
        """As on Google, the session URI is the capability: the object is written as
        the principal who started the session. The object and the session's end are
        one transaction: until it commits, the session can still finish."""
        blob = self.blobs.finish_upload(upload.upload_id, checksums)

        def end_session(session: Session, made: StoredObject) -> None:
            row = session.get(ResumableUpload, upload.upload_id, with_for_update=True)
            if row is None or row.finished_generation is not None:
                # Another request finished it first: this object is not made.
                raise UploadGone("The upload session does not exist or has ended.")
            row.finished_generation = made.generation

        made = self.objects.insert(
            Caller(principal=upload.principal, authenticated=upload.principal != ALL_USERS),
            upload.bucket,
            upload.name,
            replace(Content.of_blob(blob), sealing=Sealing.of(upload.key_sha256, upload.key_nonce)),
            ObjectSpec.from_resource(upload.resource),
            Preconditions(**upload.preconditions),
            along=end_session,
        )
        self.blobs.discard_upload(upload.upload_id)
        return made

    def finished_object(self, upload: ResumableUpload) -> tuple[Bucket, StoredObject]:
        """What a finished session made, for any later request to it (as on Google)."""
        with self.db.read() as session:
            row = session.get(
                StoredObject, (upload.bucket, upload.name, upload.finished_generation)
            )
            bucket = session.get(Bucket, upload.bucket)
            if row is None or bucket is None:
                raise UploadGone("The upload session has ended and its object is gone.")
            return bucket, row

    def expire(self) -> int:
        """End the sessions past their week (as on Cloud Storage) and free their bytes;
        return how many ended. A session in use is answered 410 from its expiry on
        anyway (``status``); this only reclaims what clients abandoned."""
        with self.db.write() as session:
            ended = list(
                session.scalars(
                    delete(ResumableUpload)
                    .where(ResumableUpload.expire_time < self.clock.now())
                    .returning(ResumableUpload.upload_id)
                )
            )
        for upload_id in ended:
            self._checksums.pop(upload_id, None)
            self.blobs.discard_upload(upload_id)
        return len(ended)

    def cancel(self, upload_id: str) -> None:
        with self.db.write() as session:
            row = session.get(ResumableUpload, upload_id)
            if row is None:
                raise NotFound("The upload session does not exist.")
            session.delete(row)
        self._checksums.pop(upload_id, None)
        self.blobs.discard_upload(upload_id)
