"""A file's modification time kept on its object, as gcloud keeps it.

gcloud writes ``goog-reserved-file-mtime`` (whole POSIX seconds, as a decimal string)
in the custom metadata of every object it uploads from a file; rsync compares it with
the file's own mtime and gives it back to the files it downloads.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from nimbus.cli.client import Json

MTIME_KEY = "goog-reserved-file-mtime"


def file_mtime(path: Path) -> int:
    return int(path.stat().st_mtime)


def object_mtime(resource: Json | None) -> int | None:
    """The object's recorded file mtime; None if it has none (or not a number)."""
    value = ((resource or {}).get("metadata") or {}).get(MTIME_KEY)
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def stamp(path: Path) -> dict[str, str]:
    """The custom metadata that records ``path``'s mtime on its upload."""
    return {MTIME_KEY: str(file_mtime(path))}


def restore(path: Path, resource: Json | None) -> None:
    """Give a downloaded file its object's recorded mtime, when there is one."""
    mtime = object_mtime(resource)
    if mtime is not None:
        with contextlib.suppress(OSError):  # the bytes are there; a time is not worth failing
            os.utime(path, (mtime, mtime))
