"""Google's rules for project ids and display names."""

from __future__ import annotations

import re

from nimbus.core.errors import InvalidArgument

_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_RESTRICTED = ("google", "null", "undefined", "ssl")
_DISPLAY_NAME = re.compile(r"^[A-Za-z0-9'\"!\- ]{4,30}$")


def validate_project_id(project_id: str) -> str:
    if not _PROJECT_ID.match(project_id):
        raise InvalidArgument(
            f"Project id '{project_id}' is invalid: it must be 6 to 30 lowercase letters, "
            "digits or hyphens, start with a letter and not end with a hyphen."
        )
    for word in _RESTRICTED:
        if word in project_id:
            raise InvalidArgument(
                f"Project id '{project_id}' is invalid: it must not contain '{word}'."
            )
    return project_id


def validate_display_name(name: str) -> str:
    if not _DISPLAY_NAME.match(name):
        raise InvalidArgument(
            f"Project name '{name}' is invalid: it must be 4 to 30 letters, digits, quotes, "
            "hyphens, spaces or exclamation points."
        )
    return name
