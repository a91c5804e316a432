"""Access control lists, the older way to share one object (``blob.make_public()``).

ACLs grant in addition to IAM, and only while the bucket does not enforce uniform
bucket-level access. An object's ACL holds ``{"entity", "role"}`` entries; a reader is
granted when an entry names ``allUsers``, ``allAuthenticatedUsers`` or the caller
(``user-EMAIL``) with any role.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nimbus.core.errors import InvalidArgument, PreconditionFailed
from nimbus.services.caller import ALL_AUTHENTICATED_USERS, ALL_USERS, Caller
from nimbus.store.models import Bucket

ROLES = ("READER", "WRITER", "OWNER")
# Entities that depend on the object, filled in by ``resolve`` when it is written: its
# owner (``user-EMAIL``), and the teams of its bucket's project.
OBJECT_OWNER = "{owner}"
PROJECT_OWNERS = "project-owners-{project}"
PROJECT_EDITORS = "project-editors-{project}"
PROJECT_VIEWERS = "project-viewers-{project}"
_OWNER_FULL = {"entity": OBJECT_OWNER, "role": "OWNER"}
# A new bucket's default object ACL: project team members by their roles.
DEFAULT_OBJECT_ACL = [
    {"entity": PROJECT_OWNERS, "role": "OWNER"},
    {"entity": PROJECT_EDITORS, "role": "OWNER"},
    {"entity": PROJECT_VIEWERS, "role": "READER"},
]
# Cloud Storage's predefined object ACLs: the object owner always gets OWNER.
PREDEFINED_OBJECT = {
    "private": [_OWNER_FULL],
    "projectPrivate": [*DEFAULT_OBJECT_ACL, _OWNER_FULL],
    "bucketOwnerRead": [{"entity": PROJECT_OWNERS, "role": "READER"}, _OWNER_FULL],
    "bucketOwnerFullControl": [{"entity": PROJECT_OWNERS, "role": "OWNER"}, _OWNER_FULL],
    "publicRead": [{"entity": "allUsers", "role": "READER"}, _OWNER_FULL],
    "authenticatedRead": [{"entity": "allAuthenticatedUsers", "role": "READER"}, _OWNER_FULL],
}


PUBLIC = frozenset({ALL_USERS, ALL_AUTHENTICATED_USERS})


class UniformAccess(InvalidArgument):
    reason = "invalid"


class PublicAccessPrevented(PreconditionFailed):
    """A grant to the public on a bucket that enforces public access prevention."""


def prevents_public(bucket: Bucket) -> bool:
    return (bucket.extra or {}).get("publicAccessPrevention") == "enforced"


def refuse_public(bucket: Bucket, members: Iterable[str]) -> None:
    """412 if ``members`` (ACL entities or IAM members) name the public on a bucket
    that enforces public access prevention, in Cloud Storage's words."""
    if prevents_public(bucket) and not PUBLIC.isdisjoint(members):
        raise PublicAccessPrevented(
            "The member bindings allUsers and allAuthenticatedUsers are not allowed "
            "since public access prevention is enforced."
        )


def refuse_public_acl(bucket: Bucket, entries: list[dict[str, str]]) -> list[dict[str, str]]:
    refuse_public(bucket, (entry["entity"] for entry in entries))
    return entries


def validate_acl(entries: Any) -> list[dict[str, str]]:
    if not isinstance(entries, list):
        raise InvalidArgument("Invalid value for 'acl': expected a list.")
    clean = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("entity"), str):
            raise InvalidArgument("Each ACL entry needs an entity.")
        role = entry.get("role")
        if role not in ROLES:
            raise InvalidArgument(f"Invalid ACL role '{role}'.")
        clean.append({"entity": entry["entity"], "role": role})
    return clean


def predefined(name: str) -> list[dict[str, str]]:
    found = PREDEFINED_OBJECT.get(name)
    if found is None:
        raise InvalidArgument(f"Invalid predefinedAcl '{name}'.")
    return [dict(entry) for entry in found]


def resolve(
    entries: list[dict[str, str]], owner: str | None, project_number: int
) -> list[dict[str, str]]:
    """``entries`` with the object's owner and project teams filled in; the owner's
    entry is left out when there is none (an anonymous writer, a bucket default)."""
    resolved: list[dict[str, str]] = []
    for entry in entries:
        entity = entry["entity"]
        if entity == OBJECT_OWNER:
            if owner is None:
                continue
            entity = f"user-{owner}"
        entity = entity.replace("{project}", str(project_number))
        if all(kept["entity"] != entity for kept in resolved):
            resolved.append({"entity": entity, "role": entry["role"]})
    return resolved


def require_fine_grained(bucket: Bucket) -> None:
    if bucket.uniform_access:
        raise UniformAccess(
            f"Cannot use ACLs on bucket {bucket.name}: uniform bucket-level access is enabled."
        )


def grants_read(bucket: Bucket, acl: list[dict[str, str]] | None, caller: Caller) -> bool:
    """Whether ``acl`` lets the caller read; grants to the public lapse while the
    bucket enforces public access prevention, as on Cloud Storage."""
    if prevents_public(bucket):
        return caller.authenticated and any(
            entry.get("entity") == f"user-{caller.email}" for entry in acl or []
        )
    entities = {ALL_USERS}
    if caller.authenticated:
        entities |= {"allAuthenticatedUsers", f"user-{caller.email}"}
    return any(entry.get("entity") in entities for entry in acl or [])


def with_owner(acl: list[dict[str, str]] | None, project_number: int) -> list[dict[str, str]]:
    """As rendered: the project's owners always own, then the entries granted."""
    owner = {"entity": f"project-owners-{project_number}", "role": "OWNER"}
    return [owner, *(entry for entry in acl or [] if entry != owner)]
