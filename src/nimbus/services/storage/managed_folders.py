"""Managed folders: insert, get, list, delete, and their IAM policies.

A managed folder is a name ending in "/" whose IAM policy grants access to the objects
under it (``folder_access``). Buckets with uniform bucket-level access only; a name
given without its trailing "/" gets one, as Cloud Storage does.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nimbus.core.clock import Clock
from nimbus.core.errors import (
    AlreadyExists,
    Conflict,
    InvalidArgument,
    NotFound,
    PreconditionFailed,
)
from nimbus.core.paging import Page, PageRequest, paginate
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer
from nimbus.services.iam.policies import Policies
from nimbus.services.storage.access import authorized_bucket, bucket_and_project
from nimbus.services.storage.bucket_policy import check_bucket_policy
from nimbus.services.storage.folder_access import (
    MAX_DEPTH,
    authorized_under,
    folder_key,
    folder_target,
)
from nimbus.services.storage.names import MAX_OBJECT_NAME_BYTES
from nimbus.services.storage.preconditions import Preconditions
from nimbus.store.db import Database
from nimbus.store.models import Bucket, IamPolicy, ManagedFolder, Project, StoredObject
from nimbus.wire.iam import Policy, TestIamPermissionsResponse

_PERMISSION = "storage.managedFolders.{}"
# Permissions a managed folder's policy can grant, so the ones testIamPermissions takes.
_TESTABLE = ("storage.objects.", "storage.managedFolders.")
UNIFORM_ACCESS_REQUIRED = (
    "Uniform bucket-level access is required to be enabled on the bucket in order to "
    "perform this operation. Read more at "
    "https://cloud.google.com/storage/docs/uniform-bucket-level-access"
)


def folder_name(name: str | None) -> str:
    """``name`` with its trailing "/", once it meets Cloud Storage's rules for managed
    folder names (400 otherwise)."""
    if not name:
        raise InvalidArgument("Required field 'name' is missing.", reason="required")
    name = name if name.endswith("/") else name + "/"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_OBJECT_NAME_BYTES:
        raise InvalidArgument(
            f"Managed folder names are at most {MAX_OBJECT_NAME_BYTES} bytes of UTF-8."
        )
    if "\r" in name or "\n" in name:
        raise InvalidArgument("Managed folder names cannot contain carriage returns or line feeds.")
    if name.count("/") > MAX_DEPTH:
        raise InvalidArgument(f"Managed folders can be nested at most {MAX_DEPTH} levels deep.")
    if name in ("./", "../") or name.startswith(".well-known/acme-challenge/"):
        raise InvalidArgument(f"Invalid managed folder name: '{name}'.")
    return name


class ManagedFolders:
    def __init__(
        self, db: Database, authorizer: Authorizer, policies: Policies, clock: Clock
    ) -> None:
        self.db = db
        self.authorizer = authorizer
        self.policies = policies
        self.clock = clock

    def insert(self, caller: Caller, bucket: str, name: str | None) -> ManagedFolder:
        name = folder_name(name)
        try:
            with self.db.write() as session:
                self._authorized(session, caller, bucket, name, "create")
                if session.get(ManagedFolder, (bucket, name)) is not None:
                    raise _exists()
                now = self.clock.now()
                row = ManagedFolder(
                    bucket=bucket, name=name, metageneration=1, create_time=now, update_time=now
                )
                session.add(row)
                session.flush()
                return row
        except IntegrityError as exc:  # a racing insert of the same name
            raise _exists() from exc

    def get(self, caller: Caller, bucket: str, name: str) -> ManagedFolder:
        name = folder_name(name)
        with self.db.read() as session:
            self._authorized(session, caller, bucket, name, "get")
            return _folder(session, bucket, name)

    def list_in_bucket(
        self, caller: Caller, bucket: str, prefix: str | None, page: PageRequest
    ) -> Page[ManagedFolder]:
        with self.db.read() as session:
            _, row = authorized_bucket(
                session, self.authorizer, caller, bucket, _PERMISSION.format("list")
            )
            _require_uniform(row)
            query = select(ManagedFolder).where(
                ManagedFolder.bucket == bucket, ManagedFolder.name > (page.after or "")
            )
            if prefix:
                query = query.where(ManagedFolder.name.startswith(prefix, autoescape=True))
            query = query.order_by(ManagedFolder.name).limit(page.size + 1)
            rows = list(session.scalars(query).all())
            return paginate(rows, [f.name for f in rows], PageRequest(page.size))

    def delete(
        self,
        caller: Caller,
        bucket: str,
        name: str,
        preconditions: Preconditions,
        *,
        allow_non_empty: bool = False,
    ) -> None:
        """``allow_non_empty`` also needs ``setIamPolicy``: it drops the policy that
        guarded the objects left behind."""
        name = folder_name(name)
        with self.db.write() as session:
            self._authorized(session, caller, bucket, name, "delete")
            if allow_non_empty:
                self._authorized(session, caller, bucket, name, "setIamPolicy")
            row = _folder(session, bucket, name, for_update=True)
            preconditions.check(None, row.metageneration)
            if not allow_non_empty and _has_contents(session, bucket, name):
                raise Conflict("The managed folder you tried to delete is not empty.")
            policy = session.get(IamPolicy, folder_key(bucket, name))
            if policy is not None:
                session.delete(policy)
            session.delete(row)

    # -- IAM ------------------------------------------------------------------------------

    def get_iam_policy(self, caller: Caller, bucket: str, name: str, version: int | None) -> Policy:
        name = folder_name(name)
        permission = _PERMISSION.format("getIamPolicy")
        with self.db.read() as session:
            project, row = self._authorized(session, caller, bucket, name, "getIamPolicy")
            _folder(session, bucket, name)
            target = folder_target(project, row, name)
            return self.policies.get(session, caller, target, permission, version)

    def set_iam_policy(self, caller: Caller, bucket: str, name: str, policy: Policy) -> Policy:
        name = folder_name(name)
        permission = _PERMISSION.format("setIamPolicy")
        with self.db.write() as session:
            project, row = self._authorized(session, caller, bucket, name, "setIamPolicy")
            folder = _folder(session, bucket, name, for_update=True)
            check_bucket_policy(row, policy)
            target = folder_target(project, row, name)
            written = self.policies.set(session, caller, target, permission, policy)
            folder.update_time = self.clock.now()
            return written

    def test_iam_permissions(
        self, caller: Caller, bucket: str, name: str, permissions: list[str]
    ) -> TestIamPermissionsResponse:
        """Only object and managed folder permissions can be asked about (400 otherwise)."""
        name = folder_name(name)
        if any(not p.startswith(_TESTABLE) for p in permissions):
            raise InvalidArgument("Invalid argument.")
        with self.db.read() as session:
            project, row = bucket_and_project(session, bucket)
            _require_uniform(row)
            _folder(session, bucket, name)
            target = folder_target(project, row, name)
            return self.policies.test(session, caller, target, permissions)

    def _authorized(
        self, session: Session, caller: Caller, bucket: str, name: str, verb: str
    ) -> tuple[Project, Bucket]:
        """The bucket, once the caller holds the permission on it or on the folder (or a
        folder above it); 412 unless the bucket has uniform bucket-level access."""
        found = authorized_under(
            session, self.authorizer, caller, bucket, name, _PERMISSION.format(verb)
        )
        _require_uniform(found[1])
        return found


def _require_uniform(bucket: Bucket) -> None:
    if not bucket.uniform_access:
        raise PreconditionFailed(UNIFORM_ACCESS_REQUIRED)


def _exists() -> AlreadyExists:
    return AlreadyExists("The specified managed folder already exists.", reason="conflict")


def _folder(session: Session, bucket: str, name: str, *, for_update: bool = False) -> ManagedFolder:
    query = select(ManagedFolder).where(ManagedFolder.bucket == bucket, ManagedFolder.name == name)
    if for_update:
        query = query.with_for_update()
    row = session.scalars(query).first()
    if row is None:
        raise NotFound("The specified managed folder does not exist.")
    return row


def _has_contents(session: Session, bucket: str, name: str) -> bool:
    """Objects (soft-deleted ones aside) or other managed folders under ``name``."""
    past = name[:-1] + chr(ord("/") + 1)  # the least name past every one under ``name``
    under_objects = exists().where(
        StoredObject.bucket == bucket,
        StoredObject.name >= name,
        StoredObject.name < past,
        StoredObject.soft_delete_time.is_(None),
    )
    under_folders = exists().where(
        ManagedFolder.bucket == bucket, ManagedFolder.name > name, ManagedFolder.name < past
    )
    return any(session.scalar(select(clause)) for clause in (under_objects, under_folders))
