"""Listed objects' JSON, kept by the stored row it was rendered from.

A listing renders every object it returns: its row converted (times, JSON columns), its
resource built, serialized, 15 µs an object, where the listing itself costs a few. The
same objects come back listing after listing (a directory browsed again, the prefixes
of a tree), so each one's JSON is kept, keyed by everything it is made of: the row as
the store holds it (``ListedObject.stored``, every column the resource shows), the
server's URL the links start with, and the bucket's retention period. A row that
changed in any way is another key, so nothing kept can go stale; it is only left
unused, and the oldest entries make way past ``LIMIT``.

A writer knows the row it just stored: an upload keeps the resource it answers with
(``written``), so that the first listing of new objects finds them too.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from nimbus.api.responses import compact
from nimbus.api.storage import views
from nimbus.services.storage.listing import ListedObject
from nimbus.services.storage.quick_reads import QuickObjectReads
from nimbus.services.storage.retention import policy_period
from nimbus.store.models import Bucket, StoredObject

_Key = tuple[str, int | None, tuple[Any, ...]]


class RenderedObjects:
    # About 2 KiB an entry (its key and its JSON): a few MiB per server process.
    LIMIT = 4096

    def __init__(self, reads: QuickObjectReads, limit: int = LIMIT) -> None:
        self._reads = reads
        self._limit = limit
        self._kept: dict[_Key, orjson.Fragment] = {}

    def __len__(self) -> int:
        return len(self._kept)

    def listed(self, base: str, bucket: Bucket, items: list[ListedObject]) -> list[orjson.Fragment]:
        """The items' resources as a listing without ``projection=full`` shows them."""
        period = policy_period(bucket)
        kept = self._kept
        fragments = []
        for item in items:
            key = (base, period, item.stored)
            fragment = kept.get(key)
            if fragment is None:
                body = orjson.dumps(views.stored_object(base, bucket, item.row()))
                fragment = self._keep(key, body)
            fragments.append(fragment)
        return fragments

    def written(self, base: str, bucket: Bucket, row: StoredObject, body: bytes) -> None:
        """Keep ``body``, the resource an upload answers with for the ``row`` it wrote,
        rendered as a listing would: without ``projection=full`` and, for an object
        under a customer's key, without the checksums its writer alone sees."""
        if row.key_sha256 is not None:
            return
        stored = self._reads.stored_form(views.column_values(row))
        self._keep((base, policy_period(bucket), stored), body)

    def _keep(self, key: _Key, body: bytes) -> orjson.Fragment:
        fragment = orjson.Fragment(compact(body))
        kept = self._kept
        if len(kept) >= self._limit:
            del kept[next(iter(kept))]  # The oldest first.
        kept[key] = fragment
        return fragment


def rendered_objects(request: Request) -> RenderedObjects | None:
    """The app's kept renderings; None where listings take the full path alone."""
    return getattr(request.app.state, "rendered_objects", None)
