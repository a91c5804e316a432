"""Policy members: their syntax, as Google validates it."""

from __future__ import annotations

import re

from nimbus.core.errors import InvalidArgument

_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-']+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")
_PREFIXED = (
    "user",
    "serviceAccount",
    "group",
    "domain",
    "deleted:user",
    "deleted:group",
    "deleted:serviceAccount",
)
# Convenience members of legacy Cloud Storage roles, resolved against project roles.
_PROJECT_CONVENIENCE = ("projectOwner", "projectEditor", "projectViewer")
SERVICE_ACCOUNT_DOMAINS = (".iam.gserviceaccount.com", "@developer.gserviceaccount.com")


def validate_member(member: str) -> str:
    """Return the member unchanged if well formed, else raise a 400 naming it."""
    if member in ("allUsers", "allAuthenticatedUsers"):
        return member
    kind, sep, value = member.rpartition(":")
    if sep and kind in _PROJECT_CONVENIENCE and value:
        return member
    if sep and kind in _PREFIXED:
        if kind == "domain" and re.fullmatch(r"[A-Za-z0-9.\-]+\.[A-Za-z]{2,}", value):
            return member
        email = value.split("?uid=", 1)[0]
        if _EMAIL.fullmatch(email):
            return member
    raise InvalidArgument(f"Invalid principal: {member}", reason="badRequest")


def is_service_account_email(email: str) -> bool:
    return email.endswith(SERVICE_ACCOUNT_DOMAINS)
