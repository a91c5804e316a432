"""Whether rsync copies a source item over its destination counterpart: gcloud's rule.

Different sizes: copy. Same size: when both sides carry an mtime (a file's own, an
object's ``goog-reserved-file-mtime``) they decide, unless only checksums may; else
the checksums do (CRC32C, or MD5 when an object has no CRC32C), computed for files.
"""

from __future__ import annotations

from dataclasses import dataclass

from nimbus.cli.storage import file_times
from nimbus.cli.storage.checksums import CRC32C, MD5, file_checksums
from nimbus.cli.storage.endpoints import LocalFile
from nimbus.cli.storage.listing import Entry
from nimbus.cli.storage.sync_roots import Found


@dataclass(frozen=True)
class Rules:
    checksums_only: bool = False
    skip_if_dest_newer: bool = False


def should_copy(source: Found, destination: Found, rules: Rules) -> bool:
    times = _mtimes(source, destination)
    if times is not None and rules.skip_if_dest_newer and times[1] > times[0]:
        return False
    if size(source) != size(destination):
        return True
    if times is not None and not rules.checksums_only:
        return times[0] != times[1]
    return not _same_checksums(source, destination)


def _mtimes(source: Found, destination: Found) -> tuple[int, int] | None:
    """Both sides' mtimes, or None when either side has none."""
    mine, theirs = mtime(source), mtime(destination)
    return (mine, theirs) if mine is not None and theirs is not None else None


def size(item: Found) -> int:
    return item.path.stat().st_size if isinstance(item, LocalFile) else item.size


def mtime(item: Found) -> int | None:
    if isinstance(item, LocalFile):
        return file_times.file_mtime(item.path)
    return file_times.object_mtime(item.resource)


def _same_checksums(one: Found, other: Found) -> bool:
    """Compared by the first kind both can give; unknown counts as different."""
    for kind in (CRC32C, MD5):
        mine, theirs = _checksum(one, kind), _checksum(other, kind)
        if mine is not None and theirs is not None:
            return mine == theirs
    return False


def _checksum(item: Found, kind: str) -> str | None:
    if isinstance(item, Entry):
        value = (item.resource or {}).get(kind)
        return str(value) if value else None
    return file_checksums(item.path, (kind,))[kind]
