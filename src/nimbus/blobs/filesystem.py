"""Blobs as files under ``<data-dir>/blobs``, written so that a crash never exposes a
partial blob.

A blob is written to ``tmp/``, fsynced, then renamed into ``objects/`` and the
directory fsynced: once ``finish`` returns, the bytes are durable, and until then they
are invisible. Blob ids are random, never object names. Blobs are immutable, so a
copy is a hard link. Anything left in ``tmp/`` belongs to a write that never finished
and is removed at start; blobs no longer referenced by the store are swept.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from nimbus.blobs.checksums import Checksums

READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredBlob:
    blob_id: str
    size: int
    crc32c: int
    md5: bytes


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobWriter:
    """Streams bytes into a temporary file, checksumming them on the way."""

    def __init__(self, store: BlobStore, blob_id: str, checksums: Checksums | None = None) -> None:
        self.store = store
        self.blob_id = blob_id
        self.checksums = checksums or Checksums()
        self.temporary = store.root / "tmp" / blob_id
        self._file = self.temporary.open("ab")
        self._done = False

    @property
    def size(self) -> int:
        return self.checksums.size

    def write(self, data: bytes | memoryview) -> None:
        self._file.write(data)
        self.checksums.update(data)

    def finish(self) -> StoredBlob:
        """Make the bytes durable and visible under the blob id."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        final = self.store.path_of(self.blob_id)
        final.parent.mkdir(parents=True, exist_ok=True)
        self.temporary.replace(final)
        _fsync_dir(final.parent)
        self._done = True
        return StoredBlob(
            self.blob_id, self.checksums.size, self.checksums.crc32c, self.checksums.md5
        )

    def abort(self) -> None:
        if not self._done:
            self._file.close()
            self.temporary.unlink(missing_ok=True)
            self._done = True

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()


class UploadAppender:
    """Writes one chunk of a resumable upload; ``finish`` fsyncs and returns the size."""

    def __init__(self, path: Path, offset: int) -> None:
        if offset == 0:
            path.touch()
        self._file = path.open("r+b")
        if self._file.seek(0, os.SEEK_END) < offset:
            self._file.close()
            raise FileNotFoundError(path)
        self._file.truncate(offset)
        self._file.seek(offset)

    def write(self, data: bytes | memoryview) -> None:
        self._file.write(data)

    def finish(self) -> int:
        self._file.flush()
        os.fsync(self._file.fileno())
        size = self._file.tell()
        self._file.close()
        return size

    def abort(self) -> None:
        self._file.close()


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        for part in ("tmp", "objects", "uploads"):
            (root / part).mkdir(parents=True, exist_ok=True)

    @staticmethod
    def new_id() -> str:
        return secrets.token_hex(16)

    def path_of(self, blob_id: str) -> Path:
        if len(blob_id) != 32 or not all(c in "0123456789abcdef" for c in blob_id):
            raise ValueError(f"not a blob id: {blob_id!r}")
        return self.root / "objects" / blob_id[:2] / blob_id[2:4] / blob_id

    def create(self) -> BlobWriter:
        return BlobWriter(self, self.new_id())

    def read(self, blob_id: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Bytes ``[start, end)`` in bounded chunks."""
        with self.path_of(blob_id).open("rb") as handle:
            handle.seek(start)
            remaining = None if end is None else end - start
            while remaining is None or remaining > 0:
                want = READ_CHUNK if remaining is None else min(READ_CHUNK, remaining)
                chunk = handle.read(want)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def link(self, blob_id: str) -> str:
        """A new blob id with the same bytes (blobs are immutable: a hard link)."""
        twin = self.new_id()
        target = self.path_of(twin)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(self.path_of(blob_id), target)
        # The link shares the inode's age; make it young so a sweep leaves it alone.
        os.utime(target)
        _fsync_dir(target.parent)
        return twin

    def delete(self, blob_id: str) -> None:
        self.path_of(blob_id).unlink(missing_ok=True)

    def exists(self, blob_id: str) -> bool:
        return self.path_of(blob_id).exists()

    # -- resumable uploads: an append-only file per session ----------------------------

    def upload_path(self, upload_id: str) -> Path:
        return self.root / "uploads" / upload_id

    def open_upload(self, upload_id: str, offset: int) -> UploadAppender:
        """Append to an upload at ``offset``, dropping anything the file holds past it.

        Raises ``FileNotFoundError`` when fewer than ``offset`` bytes are on disk: the
        session's bytes are gone, and padding them would corrupt the object.
        """
        return UploadAppender(self.upload_path(upload_id), offset)

    def finish_upload(self, upload_id: str, checksums: Checksums | None) -> StoredBlob:
        """A blob with a complete upload's bytes; checksums are recomputed if not known.

        The upload keeps its file (the blob is a hard link to it) until the session is
        discarded, so a crash before the object is committed leaves a session that can
        still finish; a blob no row ever took is swept."""
        path = self.upload_path(upload_id)
        if checksums is None:
            checksums = Checksums()
            with path.open("rb") as handle:
                while chunk := handle.read(READ_CHUNK):
                    checksums.update(chunk)
        blob_id = self.new_id()
        final = self.path_of(blob_id)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, final)
        _fsync_dir(final.parent)
        return StoredBlob(blob_id, checksums.size, checksums.crc32c, checksums.md5)

    def discard_upload(self, upload_id: str) -> None:
        self.upload_path(upload_id).unlink(missing_ok=True)

    # -- recovery ------------------------------------------------------------------------

    def clean_temporary(self) -> None:
        """Drop writes that never finished (run at start, before serving)."""
        shutil.rmtree(self.root / "tmp", ignore_errors=True)
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)

    def sweep(self, referenced: Callable[[list[str]], set[str]], min_age: float = 3600) -> int:
        """Delete blobs the store no longer references; return how many went.

        ``referenced`` answers, for a batch of blob ids, which are still in use. Blobs
        younger than ``min_age`` seconds are left alone: their rows may not be
        committed yet.
        """
        removed = 0
        batch: list[Path] = []
        horizon = time.time() - min_age
        for path in (self.root / "objects").glob("*/*/*"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime > horizon:
                    continue
            batch.append(path)
            if len(batch) >= 500:
                removed += self._sweep_batch(batch, referenced)
                batch = []
        if batch:
            removed += self._sweep_batch(batch, referenced)
        return removed

    @staticmethod
    def _sweep_batch(batch: list[Path], referenced: Callable[[list[str]], set[str]]) -> int:
        keep = referenced([path.name for path in batch])
        removed = 0
        for path in batch:
            if path.name not in keep:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += 1
        return removed
