"""``objects.list?filter=``: Cloud Storage's filter on object contexts.

One condition, perhaps negated with ``-`` or ``NOT``:

    contexts."KEY"="VALUE"    the object has the context KEY with that value
    contexts."KEY":*          the object has the context KEY, whatever its value

Anything else is refused with 400, so a listing never silently ignores a filter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from nimbus.core.errors import InvalidArgument


class WithContexts(Protocol):
    @property
    def contexts(self) -> dict[str, dict[str, str]] | None: ...


ObjectFilter = Callable[[WithContexts], bool]

_CONDITION = re.compile(
    r'(?P<negated>-|NOT\s+)?\s*contexts\."(?P<key>[^"]+)"\s*'
    r'(?:=\s*"(?P<value>[^"]*)"|:\s*\*)',
)


def parse_filter(text: str) -> ObjectFilter:
    """The predicate ``text`` describes; 400 if it is not one this server knows."""
    found = _CONDITION.fullmatch(text.strip())
    if found is None:
        raise InvalidArgument(f"Invalid filter: '{text}'.", reason="invalid")
    key, value = found["key"], found["value"]
    negated = found["negated"] is not None

    def matches(row: WithContexts) -> bool:
        payload = (row.contexts or {}).get(key)
        held = payload is not None and (value is None or payload["value"] == value)
        return held != negated

    return matches
