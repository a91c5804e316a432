"""The two ends of a transfer: a local file, standard input/output, an object."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nimbus.cli.storage.customer_keys import Keys
from nimbus.cli.storage.listing import Entry
from nimbus.cli.storage.urls import CloudUrl


@dataclass(frozen=True)
class LocalFile:
    path: Path

    def __str__(self) -> str:
        return f"file://{self.path}"


@dataclass(frozen=True)
class Stdio:
    """``-``: standard input as a source, standard output as a destination."""

    def __str__(self) -> str:
        return "-"


Source = LocalFile | Stdio | Entry
Target = LocalFile | Stdio | CloudUrl


@dataclass(frozen=True)
class Options:
    """What the user asked of every copy."""

    content_type: str | None = None
    cache_control: str | None = None
    custom_metadata: dict[str, str] = field(default_factory=dict)
    no_clobber: bool = False
    keys: Keys = field(default_factory=Keys)
    restore_mtimes: bool = False  # rsync: a downloaded file takes its object's file mtime


@dataclass(frozen=True)
class Job:
    source: Source
    target: Target

    @property
    def size(self) -> int | None:
        if isinstance(self.source, Entry):
            return self.source.size
        if isinstance(self.source, LocalFile):
            try:
                return self.source.path.stat().st_size
            except OSError:
                return None
        return None


def describe(end: Source | Target) -> str:
    if isinstance(end, Entry):
        return end.url()
    return str(end)


class Skipped(Exception):
    """A transfer not made on purpose (``--no-clobber`` and the destination exists)."""
