"""buckets.get and buckets.list with ``softDeleted``, and buckets.restore.

A soft-deleted bucket has no IAM policy of its own while it is deleted, so its project
decides: ``storage.buckets.get``, ``.list`` and ``.restore`` at the project or above, as
Google documents for restore.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import AlreadyExists, InvalidArgument
from nimbus.core.paging import Page, PageRequest, paginate
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.resourcemanager import hierarchy
from nimbus.services.storage.errors import NoSuchBucket
from nimbus.services.storage.soft_deleted_buckets import revive
from nimbus.store.db import Database
from nimbus.store.models import Bucket, Project, SoftDeletedBucket


class SoftDeletedBuckets:
    def __init__(self, db: Database, authorizer: Authorizer, clock: Clock) -> None:
        self.db = db
        self.authorizer = authorizer
        self.clock = clock

    def get(self, caller: Caller, name: str, generation: int | None) -> SoftDeletedBucket:
        with self.db.read() as session:
            return self._authorized(session, caller, name, generation, "storage.buckets.get")

    def list_in_project(
        self, caller: Caller, project_ref: str, prefix: str | None, page: PageRequest
    ) -> Page[SoftDeletedBucket]:
        """Every soft-deleted generation, by name and then generation."""
        with self.db.read() as session:
            project = hierarchy.authorized_project(
                session, self.authorizer, caller, project_ref, "storage.buckets.list"
            )
            query = select(SoftDeletedBucket).where(
                SoftDeletedBucket.project_number == project.number
            )
            if prefix:
                query = query.where(SoftDeletedBucket.name.startswith(prefix, autoescape=True))
            if page.after:
                query = query.where(_after(page.after))
            query = query.order_by(SoftDeletedBucket.name, SoftDeletedBucket.generation)
            rows = list(session.scalars(query.limit(page.size + 1)).all())
            keys = [f"{row.name}#{row.generation}" for row in rows]
            return paginate(rows, keys, PageRequest(page.size))

    def restore(self, caller: Caller, name: str, generation: int | None) -> Bucket:
        """The bucket is live again; its objects stay soft-deleted, for objects.restore."""
        with self.db.write() as session:
            kept = self._authorized(session, caller, name, generation, "storage.buckets.restore")
            if session.get(Bucket, name) is not None:
                raise AlreadyExists(
                    "A live bucket with this name already exists: the soft-deleted bucket "
                    "cannot be restored until it is deleted.",
                    reason="conflict",
                )
            return revive(session, kept, self.clock.now())

    def _authorized(
        self, session: Session, caller: Caller, name: str, generation: int | None, permission: str
    ) -> SoftDeletedBucket:
        if generation is None:
            raise InvalidArgument(
                "A generation is required for a soft-deleted bucket.", reason="required"
            )
        kept = session.get(SoftDeletedBucket, (name, generation))
        project = session.get(Project, kept.project_number) if kept is not None else None
        if kept is None or project is None:
            raise NoSuchBucket("The specified bucket does not exist.")
        self.authorizer.check(session, caller, permission, hierarchy.project_target(project))
        return kept


def _after(token: str) -> ColumnElement[bool]:
    name, _, generation = token.rpartition("#")
    if not generation.isdigit():
        raise InvalidArgument(f"Invalid value for field 'pageToken': '{token}'.")
    return or_(
        SoftDeletedBucket.name > name,
        and_(SoftDeletedBucket.name == name, SoftDeletedBucket.generation > int(generation)),
    )
