"""Buckets: create, read, list, patch, update, delete, and their IAM policies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from nimbus.core.clock import Clock
from nimbus.core.errors import AlreadyExists, Conflict, InvalidArgument
from nimbus.core.fingerprints import new_etag
from nimbus.core.paging import Page, PageRequest, paginate
from nimbus.services.billing.accounts import require_billing
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.iam.policies import Policies
from nimbus.services.resourcemanager import hierarchy
from nimbus.services.storage.access import (
    authorized_bucket,
    bucket_key,
    bucket_target,
    default_bindings,
)
from nimbus.services.storage.bucket_fields import apply_fields
from nimbus.services.storage.bucket_policy import check_bucket_policy
from nimbus.services.storage.locations import resolve_location, validate_storage_class
from nimbus.services.storage.names import validate_bucket_name
from nimbus.services.storage.preconditions import Preconditions
from nimbus.services.storage.retention import lock_policy
from nimbus.services.storage.soft_delete import destroy_soft_deleted, retention_seconds
from nimbus.services.storage.soft_delete import set_policy as set_soft_delete_policy
from nimbus.services.storage.soft_deleted_buckets import keep, new_generation
from nimbus.services.storage.usage import StorageUsage
from nimbus.store.db import Database
from nimbus.store.models import Bucket, IamPolicy, ManagedFolder, Project, StoredObject
from nimbus.wire.iam import Policy, TestIamPermissionsResponse


class Buckets:
    def __init__(
        self,
        db: Database,
        authorizer: Authorizer,
        policies: Policies,
        clock: Clock,
        usage: StorageUsage,
        release: Callable[[list[str]], None],
    ) -> None:
        """``release`` deletes blobs once no generation names them (``Objects.release``)."""
        self.db = db
        self.authorizer = authorizer
        self.policies = policies
        self.clock = clock
        self.usage = usage
        self.release = release

    def insert(
        self,
        caller: Caller,
        project_ref: str,
        resource: dict[str, Any],
        *,
        object_retention: bool = False,
    ) -> tuple[Project, Bucket]:
        """A new bucket; ``object_retention`` (``enableObjectRetention``) lets its objects
        carry their own retention, for good."""
        name = resource.get("name")
        if not isinstance(name, str) or not name:
            raise InvalidArgument("Required field 'name' is missing.", reason="required")
        validate_bucket_name(name)
        location, location_type = resolve_location(
            resource.get("location"), resource.get("customPlacementConfig")
        )
        now = self.clock.now()
        try:
            with self.db.write() as session:
                project = hierarchy.authorized_project(
                    session, self.authorizer, caller, project_ref, "storage.buckets.create"
                )
                require_billing(session, project.number, "storage")
                existing = session.get(Bucket, name)
                if existing is not None:
                    raise _taken(existing.project_number == project.number)
                bucket = Bucket(
                    name=name,
                    generation=new_generation(session, name, now),
                    project_number=project.number,
                    location=location,
                    location_type=location_type,
                    storage_class=validate_storage_class(resource.get("storageClass")),
                    labels={},
                    versioning=False,
                    lifecycle_rules=[],
                    uniform_access=False,
                    extra={"objectRetention": {"mode": "Enabled"}} if object_retention else {},
                    metageneration=1,
                    time_created=now,
                    updated=now,
                )
                given = {
                    k: v
                    for k, v in resource.items()
                    if k not in ("storageClass", "softDeletePolicy")
                }
                apply_fields(bucket, given, now)
                set_soft_delete_policy(bucket, resource.get("softDeletePolicy"), now, creating=True)
                session.add(bucket)
                session.merge(
                    IamPolicy(
                        resource=bucket_key(name),
                        version=1,
                        etag=new_etag(),
                        bindings=default_bindings(project.project_id),
                        audit_configs=[],
                        update_time=now,
                    )
                )
                session.flush()
                return project, bucket
        except IntegrityError as exc:
            raise _taken(False) from exc

    def get(
        self, caller: Caller, name: str, preconditions: Preconditions = Preconditions()
    ) -> tuple[Project, Bucket]:
        with self.db.read() as session:
            project, bucket = authorized_bucket(
                session, self.authorizer, caller, name, "storage.buckets.get"
            )
            preconditions.check(bucket.metageneration, bucket.metageneration, read=True)
            return project, bucket

    def layout(self, caller: Caller, name: str) -> Bucket:
        """The bucket, for its storage layout (location and namespace), which whoever
        may list its objects may read, as on Cloud Storage."""
        with self.db.read() as session:
            _, bucket = authorized_bucket(
                session, self.authorizer, caller, name, "storage.objects.list"
            )
            return bucket

    def list_in_project(
        self, caller: Caller, project_ref: str, prefix: str | None, page: PageRequest
    ) -> tuple[Project, Page[Bucket]]:
        with self.db.read() as session:
            project = hierarchy.authorized_project(
                session, self.authorizer, caller, project_ref, "storage.buckets.list"
            )
            query = select(Bucket).where(Bucket.project_number == project.number)
            if prefix:
                query = query.where(Bucket.name.startswith(prefix, autoescape=True))
            query = query.where(Bucket.name > (page.after or "")).order_by(Bucket.name)
            rows = list(session.scalars(query.limit(page.size + 1)).all())
            return project, paginate(rows, [b.name for b in rows], PageRequest(page.size))

    def modify(
        self,
        caller: Caller,
        name: str,
        fields: dict[str, Any],
        preconditions: Preconditions,
        *,
        replace: bool,
    ) -> tuple[Project, Bucket]:
        """``patch`` (the fields given) or ``update`` (``replace``: the whole resource)."""
        with self.db.write() as session:
            project, bucket = authorized_bucket(
                session, self.authorizer, caller, name, "storage.buckets.update"
            )
            preconditions.check(bucket.metageneration, bucket.metageneration)
            if "name" in fields and fields["name"] not in (None, name):
                raise InvalidArgument("A bucket cannot be renamed.")
            location = fields.get("location")
            if location is not None and resolve_location(location)[0] != bucket.location:
                raise InvalidArgument("A bucket's location cannot be changed.")
            now = self.clock.now()
            apply_fields(bucket, fields, now, replace=replace)
            bucket.metageneration += 1
            bucket.updated = now
            return project, bucket

    def lock_retention_policy(
        self, caller: Caller, name: str, metageneration: int
    ) -> tuple[Project, Bucket]:
        """Lock the policy for good (``ifMetagenerationMatch`` is required, as on Google)."""
        with self.db.write() as session:
            project, bucket = authorized_bucket(
                session, self.authorizer, caller, name, "storage.buckets.update"
            )
            Preconditions(if_metageneration_match=metageneration).check(
                bucket.metageneration, bucket.metageneration
            )
            lock_policy(bucket)
            bucket.metageneration += 1
            bucket.updated = self.clock.now()
            return project, bucket

    def delete(self, caller: Caller, name: str, preconditions: Preconditions) -> None:
        with self.db.write() as session:
            _, bucket = authorized_bucket(
                session, self.authorizer, caller, name, "storage.buckets.delete"
            )
            preconditions.check(bucket.metageneration, bucket.metageneration)
            # Soft-deleted objects do not keep a bucket from being deleted, as on Google.
            kept = (StoredObject.bucket == name, StoredObject.soft_delete_time.is_(None))
            # Managed folders keep it too: they go first (gcloud's ``rm -r`` does).
            folders = exists().where(ManagedFolder.bucket == name)
            if session.scalar(select(exists().where(*kept))) or session.scalar(select(folders)):
                raise Conflict("The bucket you tried to delete is not empty.")
            seconds = retention_seconds(bucket)
            if seconds:
                keep(session, bucket, seconds, self.clock.now())
                return
            released = destroy_soft_deleted(session, self.usage, bucket)
            policy = session.get(IamPolicy, bucket_key(name))
            if policy is not None:
                session.delete(policy)
            session.delete(bucket)
        self.release(released)

    # -- IAM ------------------------------------------------------------------------------

    def get_iam_policy(self, caller: Caller, name: str, version: int | None) -> Policy:
        permission = "storage.buckets.getIamPolicy"
        with self.db.read() as session:
            project, bucket = authorized_bucket(session, self.authorizer, caller, name, permission)
            target = bucket_target(project, bucket)
            return self.policies.get(session, caller, target, permission, version)

    def set_iam_policy(self, caller: Caller, name: str, policy: Policy) -> Policy:
        permission = "storage.buckets.setIamPolicy"
        with self.db.write() as session:
            project, bucket = authorized_bucket(session, self.authorizer, caller, name, permission)
            check_bucket_policy(bucket, policy)
            target = bucket_target(project, bucket)
            return self.policies.set(session, caller, target, permission, policy)

    def test_iam_permissions(
        self, caller: Caller, name: str, permissions: list[str]
    ) -> TestIamPermissionsResponse:
        with self.db.read() as session:
            bucket = session.get(Bucket, name)
            project = session.get(Project, bucket.project_number) if bucket else None
            if bucket is None or project is None:
                return TestIamPermissionsResponse()
            return self.policies.test(session, caller, bucket_target(project, bucket), permissions)


def _taken(by_caller_project: bool) -> AlreadyExists:
    if by_caller_project:
        return AlreadyExists(
            "Your previous request to create the named bucket succeeded and you already own it.",
            reason="conflict",
        )
    return AlreadyExists(
        "The requested bucket name is not available. The bucket namespace is shared by all "
        "users of the system. Please select a different name and try again.",
        reason="conflict",
    )
