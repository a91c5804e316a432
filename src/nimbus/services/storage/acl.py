"""Access control lists, the older way to share one object (``blob.make_public()``).

ACLs grant in addition to IAM, and only while the bucket does not enforce uniform
bucket-level access. An object's ACL holds ``{"entity", "role"}`` entries; a reader is
granted when an entry names ``allUsers``, ``allAuthenticatedUsers`` or the caller
(``user-EMAIL``) with any role.
"""

from __future__ import annotations

from typing import Any

from nimbus.core.errors import InvalidArgument
from nimbus.services.caller import ALL_USERS, Caller
from nimbus.store.models import Bucket

ROLES = ("READER", "WRITER", "OWNER")
PREDEFINED_OBJECT = {
    "private": [],
    "projectPrivate": [],
    "bucketOwnerRead": [],
    "bucketOwnerFullControl": [],
    "publicRead": [{"entity": "allUsers", "role": "READER"}],
    "authenticatedRead": [{"entity": "allAuthenticatedUsers", "role": "READER"}],
}


class UniformAccess(InvalidArgument):
    reason = "invalid"


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


def require_fine_grained(bucket: Bucket) -> None:
    if bucket.uniform_access:
        raise UniformAccess(
            f"Cannot use ACLs on bucket {bucket.name}: uniform bucket-level access is enabled."
        )


def grants_read(acl: list[dict[str, str]] | None, caller: Caller) -> bool:
    entities = {ALL_USERS}
    if caller.authenticated:
        entities |= {"allAuthenticatedUsers", f"user-{caller.email}"}
    return any(entry.get("entity") in entities for entry in acl or [])


def with_owner(acl: list[dict[str, str]] | None, project_number: int) -> list[dict[str, str]]:
    """As rendered: the project's owners always own, then the entries granted."""
    owner = {"entity": f"project-owners-{project_number}", "role": "OWNER"}
    return [owner, *(entry for entry in acl or [] if entry != owner)]
