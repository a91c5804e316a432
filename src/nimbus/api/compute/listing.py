"""Compute Engine list semantics: ``filter``, ``maxResults``, ``pageToken`` over rendered items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query

from nimbus.core.filters import compile_filter
from nimbus.core.paging import Page, PageRequest, paginate
from nimbus.wire.base import Wire

MaxResults = Annotated[int | None, Query(alias="maxResults")]
PageToken = Annotated[str | None, Query(alias="pageToken")]
OrderBy = Annotated[str | None, Query(alias="orderBy")]
ReturnPartialSuccess = Annotated[bool | None, Query(alias="returnPartialSuccess")]
W = TypeVar("W", bound=Wire)


@dataclass(frozen=True)
class ListParams:
    filter: str | None = None
    max_results: int | None = None
    page_token: str | None = None


def list_params(
    filter: str | None = None,
    max_results: MaxResults = None,
    page_token: PageToken = None,
    order_by: OrderBy = None,
    return_partial_success: ReturnPartialSuccess = None,
) -> ListParams:
    """Every compute list method's parameters (``orderBy`` and ``returnPartialSuccess``
    are accepted; lists come back ordered by name and always whole)."""
    return ListParams(filter, max_results, page_token)


Listing = Annotated[ListParams, Depends(list_params)]


def list_page(items: list[W], key_field: str, params: ListParams) -> Page[W]:
    """Filter rendered items, then cut one page ordered by ``key_field``."""
    matches = compile_filter(params.filter)
    request = PageRequest.parse(params.max_results, params.page_token)
    kept = [(item, item.dump()) for item in items]
    kept = [(item, data) for item, data in kept if matches(data)]
    kept.sort(key=lambda pair: str(pair[1][key_field]))
    return paginate([i for i, _ in kept], [str(d[key_field]) for _, d in kept], request)
