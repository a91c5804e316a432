"""Reading an object generation's bytes, wherever they are kept, and writing new
ones from bytes read elsewhere (compose, rewrite, multipart completion)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from nimbus.blobs import BlobStore, Checksums
from nimbus.services.storage.customer_keys import CustomerKey, Sealing, crypt_chunks
from nimbus.services.storage.generations import Content
from nimbus.store.models import StoredObject

# Objects up to this size live inline in their row: one transaction, one fsync.
INLINE_LIMIT = 64 * 1024


def read_bytes(
    blobs: BlobStore,
    row: StoredObject,
    start: int = 0,
    end: int | None = None,
    key: CustomerKey | None = None,
) -> Iterator[bytes]:
    """Bytes ``[start, end)`` of the generation, in bounded chunks; a customer-encrypted
    one's are decrypted with ``key`` (already checked against the row with ``unlock``)."""
    stop = row.size if end is None else min(end, row.size)
    if start >= stop:
        return
    if row.inline_data is not None:
        stored: Iterable[bytes] = (row.inline_data[start:stop],)
    else:
        assert row.blob_id is not None
        stored = blobs.read(row.blob_id, start, stop)
    if row.key_nonce is None:
        yield from stored
        return
    assert key is not None
    yield from crypt_chunks(stored, key.key, row.key_nonce, start)


def write_content(
    blobs: BlobStore, chunks: Iterable[bytes], key: CustomerKey | None, size: int
) -> Content:
    """New content from plaintext ``chunks`` of ``size`` bytes: inline when small, else
    a blob; encrypted under ``key`` when one is given. Checksums are of the plaintext."""
    sealing = Sealing.new(key) if key is not None else None
    plain = Checksums()
    kept = chunks
    if sealing is not None and key is not None:
        # The store sees only ciphertext: the plaintext's checksums are taken on the way.
        kept = crypt_chunks(_measured(chunks, plain), key.key, sealing.nonce)
    if size <= INLINE_LIMIT:
        data = b"".join(kept)
        if sealing is None:
            plain.update(data)
        return Content(plain.size, plain.crc32c, plain.md5, inline=data, sealing=sealing)
    with blobs.create() as writer:
        for chunk in kept:
            writer.write(chunk)
        blob = writer.finish()
    # Without a key the blob's own checksums are the plaintext's.
    measured = plain if sealing is not None else blob
    return Content(
        measured.size, measured.crc32c, measured.md5, blob_id=blob.blob_id, sealing=sealing
    )


def _measured(chunks: Iterable[bytes], checksums: Checksums) -> Iterator[bytes]:
    for chunk in chunks:
        checksums.update(chunk)
        yield chunk
