"""Listing objects: prefix, delimiter, offsets, globs, versions, pages.

Names are scanned in byte order straight from the store's index; a delimiter prefix
is reported once and the scan then jumps past every name under it, so a listing of
"directories" costs one probe per directory, not one per object. ``maxResults``
counts items and prefixes together, as Cloud Storage does.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeVar

import orjson
from sqlalchemy import ColumnElement, Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session

from nimbus.core.errors import InvalidArgument
from nimbus.core.globs import glob_to_regex
from nimbus.services.storage.list_filter import parse_filter
from nimbus.store.models import Bucket, StoredObject
from nimbus.store.snapshots import PreparedEntity

DEFAULT_MAX_RESULTS = 1000
_BATCH = 256
# What an object's resource is rendered from: every column but where its bytes are.
RESOURCE_COLUMNS = tuple(
    column
    for column in StoredObject.__table__.columns
    if column.key not in ("blob_id", "inline_data", "key_nonce")
)


def page_size(max_results: int | None) -> int:
    """``maxResults`` as served: unset or 0 is the default, more is capped at it."""
    return min(max_results or DEFAULT_MAX_RESULTS, DEFAULT_MAX_RESULTS)


@dataclass(frozen=True)
class ListQuery:
    prefix: str = ""
    delimiter: str | None = None
    start_offset: str | None = None
    end_offset: str | None = None
    match_glob: str | None = None
    versions: bool = False
    include_trailing_delimiter: bool = False
    max_results: int = DEFAULT_MAX_RESULTS
    page_token: str | None = None
    # Cloud Storage's ``filter`` on object contexts (see ``list_filter``).
    filter: str | None = None
    # ``softDeleted``: only soft-deleted generations, every one of them.
    soft_deleted: bool = False
    # ``includeFoldersAsPrefixes``: managed folders count as prefixes (delimiter "/").
    include_folders: bool = False


@dataclass(slots=True)
class ListedObject:
    """A listed object as the embedded store's driver gave it (``stored``: every column
    its resource is rendered from), converted to a row only when something reads more
    than its name: a resource rendered before from the same stored values needs
    nothing else (see ``api/storage/rendered_objects``)."""

    name: str
    generation: int
    stored: tuple[Any, ...]
    _entity: PreparedEntity[StoredObject]
    _row: StoredObject | None = field(default=None, init=False)

    def row(self) -> StoredObject:
        if self._row is None:
            self._row = self._entity.from_row(self.stored)
        return self._row

    @property
    def contexts(self) -> dict[str, dict[str, str]] | None:
        return self.row().contexts


# What a listing scans: ORM rows, or rows as the embedded store's driver gave them.
R = TypeVar("R", StoredObject, ListedObject)


@dataclass
class Listing(Generic[R]):
    # The bucket listed: its retention policy is part of each object's resource.
    bucket: Bucket
    items: list[R] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    next_page_token: str | None = None


class _Cursor(NamedTuple):
    """Resume after (name, generation), or at ``name`` inclusive when ``at`` is set.
    A named tuple: a listing moves its cursor at every row it scans."""

    name: str
    generation: int | None = None
    at: bool = False


def _after_prefix(prefix: str) -> str:
    """The least string greater than every string that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def encode_token(cursor: _Cursor) -> str:
    raw = orjson.dumps({"n": cursor.name, "g": cursor.generation, "a": cursor.at})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def resume_after(name: str, delimiter: str | None = None) -> str:
    """A page token that resumes a listing just past ``name``, or past every name under
    it when it is a group (it ends with ``delimiter``)."""
    if delimiter and name.endswith(delimiter):
        return encode_token(_Cursor(_after_prefix(name), at=True))
    return encode_token(_Cursor(name))


def decode_token(token: str) -> _Cursor:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return _Cursor(str(data["n"]), data.get("g"), bool(data.get("a")))
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidArgument(f"Invalid page token '{token}'.") from exc


def list_objects(
    fetch: Fetch[R], bucket: Bucket, query: ListQuery, folders: Sequence[str] = ()
) -> Listing[R]:
    """One page of the listing; ``fetch`` runs the batch statements (on a session or a
    snapshot of the store). ``folders`` (managed folders' names, sorted) give prefixes
    of their own, merged in name order."""
    if query.max_results <= 0:
        raise InvalidArgument("maxResults must be positive.")
    if query.delimiter is not None and query.delimiter == "":
        raise InvalidArgument("The delimiter cannot be empty.")
    if query.soft_deleted and query.versions:
        raise InvalidArgument("Cannot set both softDeleted and versions to true.")
    glob = glob_to_regex(query.match_glob) if query.match_glob else None
    chosen = parse_filter(query.filter) if query.filter else None
    listing: Listing[R] = Listing(bucket)
    cursor = decode_token(query.page_token) if query.page_token else _start(query)
    pending = _folder_prefixes(folders, query, cursor)
    seen_prefixes: set[str] = set()

    def full() -> bool:
        if len(listing.items) + len(listing.prefixes) < query.max_results:
            return False
        listing.next_page_token = encode_token(cursor)
        return True

    def folders_until(bound: str | None) -> bool:
        """Emit the folder prefixes before ``bound`` (all when None); True once full."""
        nonlocal cursor
        while pending and (bound is None or pending[0] <= bound):
            if full():
                return True
            prefix = pending.popleft()
            if prefix not in seen_prefixes:
                seen_prefixes.add(prefix)
                listing.prefixes.append(prefix)
            cursor = _Cursor(_after_prefix(prefix), at=True)
        return False

    while True:
        shape = BatchShape.of(query, cursor)
        rows = fetch(shape, shape.parameters(bucket.name, query, cursor))
        if not rows:
            folders_until(None)
            return listing
        for row in rows:
            if (pending and folders_until(row.name)) or full():
                return listing
            grouped = _group_of(row.name, query) if query.delimiter else None
            if grouped is not None:
                if grouped not in seen_prefixes:
                    seen_prefixes.add(grouped)
                    listing.prefixes.append(grouped)
                    if query.include_trailing_delimiter and row.name == grouped:
                        listing.items.append(row)
                cursor = _Cursor(_after_prefix(grouped), at=True)
                break
            cursor = _Cursor(row.name, row.generation)
            if (glob is None or glob.fullmatch(row.name)) and (chosen is None or chosen(row)):
                listing.items.append(row)
        else:
            if len(rows) < _BATCH:
                folders_until(None)
                return listing


def _folder_prefixes(folders: Sequence[str], query: ListQuery, cursor: _Cursor) -> deque[str]:
    """The prefixes that managed folders make at the listing's level, from the cursor on."""
    if not query.include_folders or query.delimiter != "/":
        return deque()
    grouped = {_group_of(name, query) for name in folders if name.startswith(query.prefix)}
    return deque(
        sorted(
            prefix
            for prefix in grouped
            if prefix is not None
            and (prefix >= cursor.name if cursor.at else prefix > cursor.name)
            and (query.end_offset is None or prefix < query.end_offset)
        )
    )


def _start(query: ListQuery) -> _Cursor:
    start = max(query.prefix, query.start_offset or "")
    return _Cursor(start, at=True)


def _group_of(name: str, query: ListQuery) -> str | None:
    if not query.delimiter:
        return None
    rest = name[len(query.prefix) :]
    index = rest.find(query.delimiter)
    if index < 0:
        return None
    return query.prefix + rest[: index + len(query.delimiter)]


@dataclass(frozen=True)
class BatchShape:
    """Which conditions a batch statement has; each shape is built (and compiled) once."""

    versions: bool
    soft_deleted: bool
    # "at": names from the cursor on; "after": past it; "after_generation": past the
    # cursor's (name, generation), for listings of every version.
    resume: str
    prefix: bool
    end: bool

    @classmethod
    def of(cls, query: ListQuery, cursor: _Cursor) -> BatchShape:
        if cursor.at:
            resume = "at"
        elif cursor.generation is None or not (query.versions or query.soft_deleted):
            resume = "after"
        else:
            resume = "after_generation"
        shape = (query.versions, query.soft_deleted, resume)
        return cls(*shape, bool(query.prefix), bool(query.end_offset))

    def statement(self) -> Select[StoredObject]:
        return _statement(self)

    def resource_statement(self) -> Select[Any]:
        """The batch's rows, of the columns their resources are rendered from alone."""
        return _resource_statement(self)

    def parameters(self, bucket: str, query: ListQuery, cursor: _Cursor) -> dict[str, Any]:
        values: dict[str, Any] = {"bucket": bucket, "cursor_name": cursor.name}
        if self.resume == "after_generation":
            values["cursor_generation"] = cursor.generation
        if self.prefix:
            values["past_prefix"] = _after_prefix(query.prefix)
        if self.end:
            values["end_offset"] = query.end_offset
        return values

    def conditions(self) -> list[ColumnElement[bool]]:
        name = StoredObject.name
        where = [StoredObject.bucket == bindparam("bucket")]
        if self.soft_deleted:
            where.append(StoredObject.soft_delete_time.is_not(None))
        elif self.versions:
            where.append(StoredObject.soft_delete_time.is_(None))
        else:
            where.append(StoredObject.live.is_(True))
        if self.resume == "at":
            where.append(name >= bindparam("cursor_name"))
        elif self.resume == "after":
            where.append(name > bindparam("cursor_name"))
        else:
            where.append(
                or_(
                    name > bindparam("cursor_name"),
                    and_(
                        name == bindparam("cursor_name"),
                        StoredObject.generation > bindparam("cursor_generation"),
                    ),
                )
            )
        if self.prefix:
            where.append(name < bindparam("past_prefix"))
        if self.end:
            where.append(name < bindparam("end_offset"))
        return where


# The next batch of rows of a shape, given its statement's parameters.
Fetch = Callable[[BatchShape, dict[str, Any]], Sequence[R]]


@functools.cache
def _statement(shape: BatchShape) -> Select[StoredObject]:
    return _batch_of(select(StoredObject), shape)


@functools.cache
def _resource_statement(shape: BatchShape) -> Select[Any]:
    return _batch_of(select(*RESOURCE_COLUMNS), shape)


def _batch_of(selected: Select[Any], shape: BatchShape) -> Select[Any]:
    # A batch: the next rows in (name, generation) order.
    order = (StoredObject.name, StoredObject.generation)
    return selected.where(*shape.conditions()).order_by(*order).limit(_BATCH)


def session_fetch(session: Session) -> Fetch[StoredObject]:
    """Batches read through the ORM, in ``session``."""

    def fetch(shape: BatchShape, values: dict[str, Any]) -> list[StoredObject]:
        return list(session.scalars(shape.statement(), values).all())

    return fetch
