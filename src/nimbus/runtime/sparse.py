"""Copies of sparse files that stay sparse: only the file's data extents are read and
written (found with SEEK_DATA/SEEK_HOLE), the holes stay holes, and the kernel moves the
bytes (copy_file_range, which shares the blocks outright where the filesystem can).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

_CHUNK = 64 * 1024 * 1024


def copy(source: Path, destination: Path) -> None:
    """``destination`` (made new, synced) holds what ``source`` holds."""
    with source.open("rb") as reader, destination.open("xb") as writer:
        size = os.fstat(reader.fileno()).st_size
        for start, end in extents(reader.fileno(), size):
            _copy_range(reader.fileno(), writer.fileno(), start, end)
        writer.truncate(size)
        os.fsync(writer.fileno())


def allocated(path: Path) -> int:
    """The bytes the file really takes on disk."""
    return path.stat().st_blocks * 512


def extents(fd: int, size: int) -> list[tuple[int, int]]:
    """The [start, end) ranges of the file that hold data."""
    found = []
    offset = 0
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError as error:
            if error.errno == errno.ENXIO:  # no data past offset
                break
            raise
        end = os.lseek(fd, start, os.SEEK_HOLE)
        found.append((start, end))
        offset = end
    return found


def _copy_range(reader: int, writer: int, start: int, end: int) -> None:
    offset = start
    while offset < end:
        length = min(_CHUNK, end - offset)
        try:
            copied = os.copy_file_range(reader, writer, length, offset, offset)
        except OSError as error:
            # Across filesystems some kernels refuse; then the bytes pass through us.
            if error.errno not in (errno.EXDEV, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOSYS):
                raise
            copied = os.pwrite(writer, os.pread(reader, length, offset), offset)
        if copied == 0:  # the file shrank under us
            return
        offset += copied
