"""Objects: write a generation, read, patch, update, delete, and who may do each."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from nimbus.blobs import BlobStore
from nimbus.core.clock import Clock
from nimbus.core.errors import InvalidArgument, PermissionDenied, Unauthenticated
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.storage.acl import (
    grants_read,
    refuse_public_acl,
    require_fine_grained,
    resolve,
    validate_acl,
)
from nimbus.services.storage.errors import NoSuchKey
from nimbus.services.storage.folder_access import authorized_under, folder_names
from nimbus.services.storage.generations import (
    Content,
    commit_generation,
    live_generation,
    purge,
    require_removable,
    retire,
)
from nimbus.services.storage.listing import Listing, ListQuery, list_objects, session_fetch
from nimbus.services.storage.names import validate_object_name
from nimbus.services.storage.object_fields import ObjectSpec, apply_object_fields
from nimbus.services.storage.preconditions import Preconditions
from nimbus.services.storage.retention import set_object_retention
from nimbus.services.storage.soft_delete import SOFT_DELETED_GENERATION
from nimbus.services.storage.usage import CLASS_A, CLASS_B, StorageUsage
from nimbus.store.db import Database
from nimbus.store.epochs import current_epoch
from nimbus.store.models import Bucket, StoredObject

if TYPE_CHECKING:
    # The short path reads through this module's statements, so it imports this one.
    from nimbus.services.storage.quick_reads import QuickObjectReads

_CREATE = "storage.objects.create"
_DELETE = "storage.objects.delete"


class Objects:
    def __init__(
        self,
        db: Database,
        authorizer: Authorizer,
        blobs: BlobStore,
        usage: StorageUsage,
        clock: Clock,
        quick: QuickObjectReads | None = None,
    ) -> None:
        self.db = db
        self.authorizer = authorizer
        self.blobs = blobs
        self.usage = usage
        self.clock = clock
        self.quick = quick

    # -- writing ---------------------------------------------------------------------------

    def authorize_write(self, caller: Caller, bucket: str, name: str) -> Bucket:
        """Checked before any bytes are read, so a refused upload costs nothing."""
        validate_object_name(name)
        if self.quick is not None:
            found = self.quick.bucket_for(caller, bucket, _CREATE)
            if found is not None:
                return found
        with self.db.read() as session:
            _, row = authorized_under(session, self.authorizer, caller, bucket, name, _CREATE)
            return row

    def insert(
        self,
        caller: Caller,
        bucket: str,
        name: str,
        content: Content,
        spec: ObjectSpec,
        preconditions: Preconditions,
        along: Callable[[Session, StoredObject], None] | None = None,
    ) -> tuple[Bucket, StoredObject]:
        """Make the new generation visible. On any error the content's blob is deleted.
        ``along`` runs in the same transaction, once the generation is made."""
        spec = dataclasses.replace(spec, owner=caller.email if caller.authenticated else None)
        try:
            with self.db.write() as session:
                bucket_row = self._bucket_to_write(session, caller, bucket, name)
                validate_object_name(name)
                previous = live_generation(session, bucket_row.name, name)
                if previous is not None:
                    self._may_replace(session, caller, bucket_row, name)
                row, released = commit_generation(
                    session,
                    self.usage,
                    bucket_row,
                    previous,
                    name,
                    content,
                    spec,
                    preconditions,
                    self.clock.now(),
                )
                if along is not None:
                    along(session, row)
        except BaseException:
            if content.blob_id is not None:
                self.blobs.delete(content.blob_id)
            raise
        self.usage.count(bucket_row, CLASS_A)
        self.release(released)
        return bucket_row, row

    def _bucket_to_write(
        self, session: Session, caller: Caller, bucket: str, name: str, permission: str = _CREATE
    ) -> Bucket:
        """The bucket as the write transaction sees it, once the caller holds
        ``permission`` on it (or on the managed folder ``name`` is under). On the
        embedded store the short path decides just before; if the transaction finds the
        authorization epoch where that decision was made, nothing the decision read
        has changed (the bucket row included), and it stands as it is."""
        if self.quick is not None:
            granted = self.quick.bucket_at_epoch(caller, bucket, permission)
            if granted is not None and current_epoch(session) == granted[1]:
                return granted[0]
        _, row = authorized_under(session, self.authorizer, caller, bucket, name, permission)
        return row

    def _may_replace(self, session: Session, caller: Caller, bucket: Bucket, name: str) -> None:
        """Overwriting a live object also needs ``storage.objects.delete``, as on Google."""
        if self.quick is not None and self.quick.bucket_for(caller, bucket.name, _DELETE):
            return
        authorized_under(session, self.authorizer, caller, bucket.name, name, _DELETE)

    def release(self, blob_ids: list[str]) -> None:
        """Delete blobs no generation uses any more (after their rows are gone)."""
        for blob_id in blob_ids:
            with contextlib.suppress(OSError):
                self.blobs.delete(blob_id)

    # -- reading ---------------------------------------------------------------------------

    def get(
        self,
        caller: Caller,
        bucket: str,
        name: str,
        generation: int | None = None,
        preconditions: Preconditions = Preconditions(),
        *,
        soft_deleted: bool = False,
    ) -> tuple[Bucket, StoredObject]:
        """``soft_deleted`` reads one soft-deleted generation (``generation`` is required)."""
        if soft_deleted and generation is None:
            raise InvalidArgument("A generation is required when softDeleted is true.")
        with self.db.read() as session:
            try:
                _, bucket_row = authorized_under(
                    session, self.authorizer, caller, bucket, name, "storage.objects.get"
                )
            except (PermissionDenied, Unauthenticated) as denied:
                if soft_deleted:
                    raise
                # An ACL may still grant this one object (unless the bucket is uniform).
                bucket_row, row = self._shared_by_acl(
                    session, caller, bucket, name, generation, denied
                )
            else:
                row = find_generation(session, bucket, name, generation, soft_deleted=soft_deleted)
            preconditions.check(row.generation, row.metageneration, read=True)
        self.usage.count(bucket_row, CLASS_B)
        return bucket_row, row

    def list_objects(self, caller: Caller, bucket: str, query: ListQuery) -> Listing[StoredObject]:
        with self.db.read() as session:
            _, bucket_row = authorized_under(
                session, self.authorizer, caller, bucket, query.prefix, "storage.objects.list"
            )
            folders = folder_names(session, bucket, query) if query.include_folders else []
            listing = list_objects(session_fetch(session), bucket_row, query, folders)
        self.usage.count(bucket_row, CLASS_A)
        return listing

    def _shared_by_acl(
        self,
        session: Session,
        caller: Caller,
        bucket: str,
        name: str,
        generation: int | None,
        denied: Exception,
    ) -> tuple[Bucket, StoredObject]:
        bucket_row = session.get(Bucket, bucket)
        row = (
            session.scalars(LIVE_GENERATION if generation is None else NAMED_GENERATION,
                            {"bucket": bucket, "name": name, "generation": generation}).first()
            if bucket_row is not None and not bucket_row.uniform_access
            else None
        )  # fmt: skip
        if bucket_row is None or row is None or not grants_read(bucket_row, row.acl, caller):
            raise denied
        return bucket_row, row

    # -- changing metadata -----------------------------------------------------------------

    def modify(
        self,
        caller: Caller,
        bucket: str,
        name: str,
        generation: int | None,
        fields: dict[str, Any],
        preconditions: Preconditions,
        *,
        replace: bool,
        override_retention: bool = False,
    ) -> tuple[Bucket, StoredObject]:
        """``override_retention`` is ``overrideUnlockedRetention``."""
        with self.db.write() as session:
            _, bucket_row = authorized_under(
                session, self.authorizer, caller, bucket, name, "storage.objects.update"
            )
            row = find_generation(session, bucket, name, generation, for_update=True)
            preconditions.check(row.generation, row.metageneration)
            now = self.clock.now()
            if "storageClass" in fields and fields["storageClass"] not in (None, row.storage_class):
                raise InvalidArgument(
                    "The storage class of an object changes only by rewriting it."
                )
            held = row.event_based_hold
            apply_object_fields(row, fields, replace=replace, now=now)
            if held and not row.event_based_hold:
                row.retention_start = now  # the bucket's retention period starts now
            if replace or "retention" in fields:
                retention = fields.get("retention")
                set_object_retention(bucket_row, row, retention, now, override=override_retention)
            if "acl" in fields:
                require_fine_grained(bucket_row)
                entries = refuse_public_acl(bucket_row, validate_acl(fields["acl"]))
                row.acl = resolve(entries, row.owner, bucket_row.project_number)
            row.metageneration += 1
            row.updated = now
            session.flush()
        self.usage.count(bucket_row, CLASS_A)
        return bucket_row, row

    def delete(
        self,
        caller: Caller,
        bucket: str,
        name: str,
        generation: int | None,
        preconditions: Preconditions,
    ) -> None:
        with self.db.write() as session:
            bucket_row = self._bucket_to_write(session, caller, bucket, name, _DELETE)
            row = find_generation(session, bucket, name, generation, for_update=True)
            preconditions.check(row.generation, row.metageneration)
            now = self.clock.now()
            noncurrent = generation is None and row.live and bucket_row.versioning
            require_removable(bucket_row, row, now, destroys=not noncurrent)
            if generation is None and row.live:
                released = retire(session, self.usage, bucket_row, row, now)
            else:
                released = purge(session, self.usage, bucket_row, row, now)
        self.release(released)


# An object's live generation, and one generation by number (``find_generation``).
LIVE_GENERATION = select(StoredObject).where(
    StoredObject.bucket == bindparam("bucket"),
    StoredObject.name == bindparam("name"),
    StoredObject.live,
)
NAMED_GENERATION = select(StoredObject).where(
    StoredObject.bucket == bindparam("bucket"),
    StoredObject.name == bindparam("name"),
    StoredObject.generation == bindparam("generation"),
    StoredObject.soft_delete_time.is_(None),
)


def find_generation(
    session: Session,
    bucket: str,
    name: str,
    generation: int | None,
    *,
    for_update: bool = False,
    soft_deleted: bool = False,
) -> StoredObject:
    """The live generation, or the one asked for (among the soft-deleted ones with
    ``soft_deleted``); 404 if there is none."""
    query = LIVE_GENERATION if generation is None else NAMED_GENERATION
    if soft_deleted:
        query = SOFT_DELETED_GENERATION
    if for_update:
        query = query.with_for_update()
    params = {"bucket": bucket, "name": name, "generation": generation}
    if generation is None:
        del params["generation"]
    row = session.scalars(query, params).first()
    if row is None:
        raise NoSuchKey(f"No such object: {bucket}/{name}")
    return row
