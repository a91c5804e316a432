"""``maxResults``/``pageToken``/``nextPageToken``: keyset pagination over a sorted key.

A page token names the last key already returned, so a page is stable even while
other writers insert; tokens are opaque to clients (base64 of a small JSON).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Generic, TypeVar

import orjson

from nimbus.core.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 500

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    size: int = DEFAULT_PAGE_SIZE
    after: str | None = None

    @classmethod
    def parse(cls, max_results: int | None, page_token: str | None) -> PageRequest:
        if max_results is not None and max_results < 0:
            raise InvalidArgument(f"Invalid value for field 'maxResults': '{max_results}'.")
        size = min(max_results or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        return cls(size=size, after=decode_token(page_token) if page_token else None)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str | None


def encode_token(last_key: str) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"k": last_key})).decode().rstrip("=")


def decode_token(token: str) -> str:
    try:
        padded = token + "=" * (-len(token) % 4)
        key = orjson.loads(base64.urlsafe_b64decode(padded))["k"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidArgument(f"Invalid value for field 'pageToken': '{token}'.") from exc
    if not isinstance(key, str):
        raise InvalidArgument(f"Invalid value for field 'pageToken': '{token}'.")
    return key


def paginate(items: list[T], keys: list[str], request: PageRequest) -> Page[T]:
    """Cut one page out of items already sorted by ``keys`` (parallel lists)."""
    start = 0
    if request.after is not None:
        start = next((i for i, key in enumerate(keys) if key > request.after), len(keys))
    chunk = items[start : start + request.size]
    more = start + request.size < len(items)
    token = encode_token(keys[start + request.size - 1]) if more else None
    return Page(items=chunk, next_page_token=token)
