"""Object contexts: the ``contexts.custom`` key-value pairs of an object resource.

Stored per generation as ``{KEY: {"value", "createTime", "updateTime"}}``; the times are
output only, set here. A write names the keys it sets; a key whose payload or value is
null is deleted, and ``contexts: null`` deletes them all.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nimbus.core.clock import rfc3339
from nimbus.core.errors import InvalidArgument

Contexts = dict[str, dict[str, str]]
MAX_LENGTH = 256
_RESERVED_PREFIX = "google:"


def apply_contexts(
    current: Contexts | None, given: Any, now: dt.datetime, *, replace: bool
) -> Contexts | None:
    """The contexts after a write of ``given`` (the resource's ``contexts`` field):
    merged into ``current``, or in place of it (``replace``: update, a new object)."""
    if given is None:
        return None
    if not isinstance(given, dict):
        raise InvalidArgument("Invalid value for 'contexts': expected an object.")
    custom = given.get("custom")
    if custom is None:
        return None
    if not isinstance(custom, dict):
        raise InvalidArgument("Invalid value for 'contexts.custom': expected an object.")
    before = dict(current or {})
    after: Contexts = {} if replace else dict(before)
    stamp = rfc3339(now)
    for key, payload in custom.items():
        value = payload.get("value") if isinstance(payload, dict) else payload
        if payload is not None and not isinstance(payload, dict):
            raise InvalidArgument(f"Invalid value for 'contexts.custom.{key}': expected an object.")
        if value is None:
            after.pop(key, None)
            continue
        _validate(key, value)
        kept = before.get(key)
        if kept is not None and kept["value"] == value:
            after[key] = kept
        else:
            created = kept["createTime"] if kept is not None else stamp
            after[key] = {"value": value, "createTime": created, "updateTime": stamp}
    return after or None


def _validate(key: Any, value: Any) -> None:
    for what, text in (("key", key), ("value", value)):
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_LENGTH:
            raise InvalidArgument(
                f"Invalid object context {what}: it must be 1 to {MAX_LENGTH} characters."
            )
        if not text[0].isalnum() or '"' in text:
            raise InvalidArgument(
                f"Invalid object context {what} '{text}': it must begin with an alphanumeric "
                "character and cannot contain '\"'."
            )
    if key.startswith(_RESERVED_PREFIX):
        raise InvalidArgument(
            f"Object context keys starting with '{_RESERVED_PREFIX}' are reserved."
        )


def rendered(contexts: Contexts | None) -> dict[str, Any] | None:
    """The resource's ``contexts`` field, or None when the object has none."""
    if not contexts:
        return None
    return {"custom": {key: dict(payload) for key, payload in contexts.items()}}


def as_request(contexts: Contexts | None) -> dict[str, Any] | None:
    """Stored contexts as a write would give them: carried to a copy's destination."""
    if not contexts:
        return None
    return {"custom": {key: {"value": payload["value"]} for key, payload in contexts.items()}}
