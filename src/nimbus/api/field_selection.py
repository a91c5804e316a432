"""Partial responses: the ``fields`` parameter every Google JSON API accepts.

``fields=name,size`` keeps two keys; ``a/b`` reaches inside ``a``; ``items(name,size)``
keeps those keys in each element of ``items``; ``*`` keeps everything at its level.
A selection applies to each element of a list it meets.
"""

from __future__ import annotations

from typing import Any

from nimbus.core.errors import InvalidArgument

# A name maps to what is kept inside it; None keeps it whole.
Selection = dict[str, "Selection | None"]


class InvalidFieldSelection(InvalidArgument):
    reason = "invalidParameter"


def parse_fields(text: str) -> Selection:
    """The selection ``text`` describes; a malformed one is a 400, as on Google."""
    parser = _Parser(text)
    selection = parser.selection()
    if parser.position != len(text):
        raise parser.error()
    return selection


def apply_fields(value: Any, selection: Selection) -> Any:
    """``value`` with only the selected parts (lists are filtered element by element)."""
    if isinstance(value, list):
        return [apply_fields(item, selection) for item in value]
    if not isinstance(value, dict) or "*" in selection:
        return value
    kept: dict[str, Any] = {}
    for name, inner in selection.items():
        if name in value:
            kept[name] = value[name] if inner is None else apply_fields(value[name], inner)
    return kept


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.position = 0

    def error(self) -> InvalidFieldSelection:
        return InvalidFieldSelection(f"Invalid field selection {self.text}")

    def selection(self) -> Selection:
        selection: Selection = {}
        while True:
            self._field(selection)
            if not self._take(","):
                return selection

    def _field(self, into: Selection) -> None:
        path = [self._name()]
        while self._take("/"):
            path.append(self._name())
        inner: Selection | None = None
        if self._take("("):
            inner = self.selection()
            if not self._take(")"):
                raise self.error()
        for name in path[:-1]:
            nested = into.get(name, {})
            if nested is None:
                return  # already kept whole
            into[name] = nested
            into = nested
        last = path[-1]
        if last in into and into[last] is None:
            return
        if inner is None or last not in into:
            into[last] = inner
        else:
            existing = into[last]
            assert existing is not None
            existing.update(inner)

    def _name(self) -> str:
        start = self.position
        while self.position < len(self.text) and self.text[self.position] not in ",/()":
            self.position += 1
        name = self.text[start : self.position].strip()
        if not name:
            raise self.error()
        return name

    def _take(self, char: str) -> bool:
        if self.position < len(self.text) and self.text[self.position] == char:
            self.position += 1
            return True
        return False
