"""Managed folders as IAM sees them: policies that grant access under a name prefix.

A managed folder's policy applies to every object whose name starts with the folder's
name, and the policies of nested folders add up, as on Cloud Storage. The ordinary
path pays nothing for this: the folders' policies are read only once the bucket's own
policies have refused the caller.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.core.errors import PermissionDenied, Unauthenticated
from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer, Target
from nimbus.services.storage.access import authorized_bucket, bucket_key, bucket_target
from nimbus.services.storage.listing import ListQuery
from nimbus.store.models import Bucket, ManagedFolder, Project

# A folder name holds at most 15 "/": no object is under more folders than that.
MAX_DEPTH = 15
# The width of ``iam_policies.resource``: longer keys name the folder by a digest.
_MAX_KEY = 400


def folder_key(bucket: str, name: str) -> str:
    """The policy path of managed folder ``name`` (which ends with "/")."""
    key = f"{bucket_key(bucket)}/managedFolders/{name}"
    if len(key) <= _MAX_KEY:
        return key
    digest = hashlib.sha256(name.encode()).hexdigest()
    return f"{bucket_key(bucket)}/managedFolders/sha256:{digest}"


def enclosing_keys(bucket: str, name: str) -> tuple[str, ...]:
    """The policy paths of every folder that could enclose ``name``, outermost first
    (for a folder's own name, the folder itself is the last)."""
    keys: list[str] = []
    end = name.find("/")
    while end >= 0 and len(keys) < MAX_DEPTH:
        keys.append(folder_key(bucket, name[: end + 1]))
        end = name.find("/", end + 1)
    return tuple(keys)


def folder_target(project: Project, bucket: Bucket, name: str) -> Target:
    """``name`` (an object, a folder or a listing's prefix) with the policies of its
    bucket and of every folder above it."""
    target = bucket_target(project, bucket)
    return Target(
        full_name=f"{target.full_name}/managedFolders/{name}",
        chain=target.chain + enclosing_keys(bucket.name, name),
        project_id=target.project_id,
        private=target.private,
    )


def folder_names(session: Session, bucket: str, query: ListQuery) -> list[str]:
    """The bucket's managed folders under the listing's prefix, in name order."""
    names = select(ManagedFolder.name).where(ManagedFolder.bucket == bucket)
    if query.prefix:
        names = names.where(ManagedFolder.name.startswith(query.prefix, autoescape=True))
    return list(session.scalars(names.order_by(ManagedFolder.name)).all())


def authorized_under(
    session: Session,
    authorizer: Authorizer,
    caller: Caller,
    bucket: str,
    name: str,
    permission: str,
) -> tuple[Project, Bucket]:
    """``authorized_bucket``, or, once that refuses, a grant of ``permission`` by the
    managed folders enclosing ``name`` (folders exist only under uniform access)."""
    try:
        return authorized_bucket(session, authorizer, caller, bucket, permission)
    except (PermissionDenied, Unauthenticated):
        row = session.get(Bucket, bucket)
        project = session.get(Project, row.project_number) if row is not None else None
        if row is None or project is None or not row.uniform_access:
            raise
        if not authorizer.permitted(
            session, caller, [permission], folder_target(project, row, name)
        ):
            raise
        return project, row
