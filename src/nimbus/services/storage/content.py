"""Reading an object generation's bytes, wherever they are kept."""

from __future__ import annotations

from collections.abc import Iterator

from nimbus.blobs import BlobStore
from nimbus.store.models import StoredObject

# Objects up to this size live inline in their row: one transaction, one fsync.
INLINE_LIMIT = 64 * 1024


def read_bytes(
    blobs: BlobStore, row: StoredObject, start: int = 0, end: int | None = None
) -> Iterator[bytes]:
    """Bytes ``[start, end)`` of the generation, in bounded chunks."""
    stop = row.size if end is None else min(end, row.size)
    if start >= stop:
        return
    if row.inline_data is not None:
        yield row.inline_data[start:stop]
        return
    assert row.blob_id is not None
    yield from blobs.read(row.blob_id, start, stop)
