"""A bounded serial console log: a few segment files, each named by the absolute offset
of its first byte since the instance was created.

The names alone say which bytes are kept and where they sit, so there is no counter to
keep consistent across crashes: making a new segment and removing the oldest are each
one atomic step. One writer (the console keeper), any number of readers.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from nimbus.runtime.driver import ConsoleChunk

SEGMENT_BYTES = 1024 * 1024
SEGMENTS_KEPT = 2
READ_LIMIT = 1024 * 1024  # Google returns at most 1 MB per getSerialPortOutput call
_NAME = re.compile(r"^console-(\d{20})\.log$")


def _name(base: int) -> str:
    return f"console-{base:020d}.log"


def segments(directory: Path) -> list[tuple[int, Path]]:
    """(first byte's offset, file) of every segment, oldest first."""
    try:
        paths = list(directory.iterdir())
    except FileNotFoundError:
        return []
    return sorted((int(m.group(1)), p) for p in paths if (m := _NAME.match(p.name)))


def read(directory: Path, start: int, limit: int = READ_LIMIT) -> ConsoleChunk:
    # The writer may drop the oldest segment while we read: then look again.
    for _ in range(3):
        try:
            return _read(segments(directory), start, limit)
        except FileNotFoundError:
            continue
    return _read(segments(directory), start, limit)


def _read(kept: list[tuple[int, Path]], start: int, limit: int) -> ConsoleChunk:
    if not kept:
        return ConsoleChunk(contents=b"", start=0, next_start=0)
    sizes = [(base, path, path.stat().st_size) for base, path in kept]
    end = sizes[-1][0] + sizes[-1][2]
    start = min(max(start, sizes[0][0]), end)
    contents = bytearray()
    for base, path, size in sizes:
        position = start + len(contents)
        if not base <= position < base + size or len(contents) >= limit:
            continue
        with path.open("rb") as segment:
            segment.seek(position - base)
            contents += segment.read(min(size - (position - base), limit - len(contents)))
    return ConsoleChunk(contents=bytes(contents), start=start, next_start=start + len(contents))


class Writer:
    """Appends to the newest segment, starting a new one when it is full."""

    def __init__(self, directory: Path, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        kept = segments(directory)
        base = kept[-1][0] if kept else 0
        self._open(base)

    def _open(self, base: int) -> None:
        self.base = base
        path = self.directory / _name(base)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        self.size = os.fstat(self._fd).st_size

    def append(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self.size >= self.segment_bytes:
                self._rotate()
            room = self.segment_bytes - self.size
            written = os.write(self._fd, view[:room])
            self.size += written
            view = view[written:]

    def _rotate(self) -> None:
        os.close(self._fd)
        self._open(self.base + self.size)
        for _, old in segments(self.directory)[:-SEGMENTS_KEPT]:
            old.unlink(missing_ok=True)

    def close(self) -> None:
        os.close(self._fd)
