"""Compute Engine list semantics: ``filter``, ``maxResults``, ``pageToken`` over rendered items."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Query

from nimbus.core.filters import compile_filter
from nimbus.core.paging import Page, PageRequest, paginate
from nimbus.wire.base import Wire

MaxResults = Annotated[int | None, Query(alias="maxResults")]
PageToken = Annotated[str | None, Query(alias="pageToken")]
OrderBy = Annotated[str | None, Query(alias="orderBy")]
ReturnPartialSuccess = Annotated[bool | None, Query(alias="returnPartialSuccess")]
W = TypeVar("W", bound=Wire)


def list_page(
    items: list[W],
    key_field: str,
    filter_text: str | None,
    max_results: int | None,
    page_token: str | None,
) -> Page[W]:
    """Filter rendered items, then cut one page ordered by ``key_field``."""
    matches = compile_filter(filter_text)
    request = PageRequest.parse(max_results, page_token)
    kept = [(item, item.dump()) for item in items]
    kept = [(item, data) for item, data in kept if matches(data)]
    kept.sort(key=lambda pair: str(pair[1][key_field]))
    return paginate([i for i, _ in kept], [str(d[key_field]) for _, d in kept], request)
