"""gcloud's list flags, applied to what the API returned: flatten, filter, sort, limit."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from nimbus.cli.failures import CliError
from nimbus.cli.flags import names
from nimbus.cli.output import Column, cell
from nimbus.core.errors import NimbusError
from nimbus.core.filters import compile_filter

Item = dict[str, Any]
# ``bindings.members:serviceAccount:x@p.iam.gserviceaccount.com``: gcloud reads the value
# after the first operator whole; the shared grammar wants such a value quoted.
_COLON_VALUE = re.compile(
    r"""(?P<term>[\w.\[\]]+\s*(?:!=|=|:)\s*)(?P<value>[^\s()"':]+:[^\s()"']*)"""
)


def narrow(
    items: Iterable[Item],
    *,
    filter: str | None = None,
    sort_by: str | None = None,
    limit: int | None = None,
    flatten: str | None = None,
) -> list[Item]:
    shown = list(items)
    for key in names(flatten):
        shown = [
            flat for item in shown for flat in _flatten(item, key.replace("[]", "").split("."))
        ]
    try:
        matches = compile_filter(_COLON_VALUE.sub(r'\g<term>"\g<value>"', filter or ""))
    except NimbusError as exc:
        raise CliError(exc.message) from exc
    shown = [item for item in shown if matches(item)]
    for key in reversed(names(sort_by)):
        column = Column(key.removeprefix("~"))
        shown.sort(key=lambda item: cell(column.value(item)), reverse=key.startswith("~"))
    return shown[:limit] if limit is not None else shown


def _flatten(value: Any, path: list[str]) -> list[Any]:
    """One copy of ``value`` per element of the list at ``path`` (recursively)."""
    if not path or not isinstance(value, dict):
        return [value]
    head, rest = path[0], path[1:]
    inner = value.get(head)
    elements = inner if isinstance(inner, list) and inner else [inner]
    return [{**value, head: flat} for element in elements for flat in _flatten(element, rest)]
