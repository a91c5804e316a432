"""Buckets as IAM sees them: their policy path, and the policy a new bucket starts with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from nimbus.services.caller import Caller
from nimbus.services.iam.authorizer import Authorizer, Target
from nimbus.services.resourcemanager import hierarchy
from nimbus.services.storage.errors import NoSuchBucket
from nimbus.store.models import Bucket, Project

STORAGE = "//storage.googleapis.com"


def bucket_key(name: str) -> str:
    return f"buckets/{name}"


def bucket_target(project: Project, bucket: Bucket) -> Target:
    name = bucket.name
    return Target(
        full_name=f"{STORAGE}/projects/_/buckets/{name}",
        chain=(project.parent, hierarchy.project_key(project), bucket_key(name)),
        project_id=project.project_id,
        private=(bucket.extra or {}).get("publicAccessPrevention") == "enforced",
    )


def default_bindings(project_id: str) -> list[dict[str, Any]]:
    """What Cloud Storage grants on a new bucket: the project's owners and editors own
    it and its objects, its viewers read them."""
    owners = sorted([f"projectEditor:{project_id}", f"projectOwner:{project_id}"])
    viewers = [f"projectViewer:{project_id}"]
    return [
        {"role": "roles/storage.legacyBucketOwner", "members": owners},
        {"role": "roles/storage.legacyBucketReader", "members": viewers},
        {"role": "roles/storage.legacyObjectOwner", "members": owners},
        {"role": "roles/storage.legacyObjectReader", "members": viewers},
    ]


# One query for both, built once (this runs on every object read).
_BUCKET_AND_PROJECT = (
    select(Bucket, Project)
    .join(Project, Project.number == Bucket.project_number)
    .where(Bucket.name == bindparam("name"))
)


def authorized_bucket(
    session: Session, authorizer: Authorizer, caller: Caller, name: str, permission: str
) -> tuple[Project, Bucket]:
    """The bucket, once the caller holds ``permission`` on it.

    Bucket names are global and a create reveals whether one is taken, so a missing
    bucket is a 404 for everyone, as on Cloud Storage.
    """
    project, bucket = bucket_and_project(session, name)
    authorizer.check(session, caller, permission, bucket_target(project, bucket))
    return project, bucket


def bucket_and_project(session: Session, name: str) -> tuple[Project, Bucket]:
    """The bucket and its project, in one query; 404 if there is no such bucket."""
    found = session.execute(_BUCKET_AND_PROJECT, {"name": name}).first()
    if found is None:
        raise NoSuchBucket("The specified bucket does not exist.")
    bucket, project = found
    return project, bucket
