"""Label rules shared by every labelled resource."""

from __future__ import annotations

import re

from nimbus.core.errors import InvalidArgument

MAX_LABELS = 64
_KEY = re.compile(r"^[\w\-]{1,63}$")
_VALUE = re.compile(r"^[\w\-]{0,63}$")


def validate_labels(labels: dict[str, str] | None) -> dict[str, str]:
    """Google's rules: up to 64 labels, keys start with a lowercase letter, lowercase only."""
    if not labels:
        return {}
    if len(labels) > MAX_LABELS:
        raise InvalidArgument(f"A resource may have at most {MAX_LABELS} labels.")
    for key, value in labels.items():
        if not isinstance(value, str):
            raise InvalidArgument(f"Invalid value for label '{key}': it must be a string.")
        if not (_KEY.match(key) and key[0].isalpha() and key[0].islower() and key == key.lower()):
            raise InvalidArgument(
                f"Invalid label key '{key}': keys are 1-63 lowercase letters, digits, "
                "underscores or dashes, starting with a lowercase letter."
            )
        if not _VALUE.match(value) or value != value.lower():
            raise InvalidArgument(
                f"Invalid label value '{value}' for key '{key}': values are 0-63 lowercase "
                "letters, digits, underscores or dashes."
            )
    return dict(labels)
