"""What ``storage du`` prints, line by line, as gcloud storage lays it out.

Every object's size, at any depth; after what a prefix holds, its total
(``gs://B/dir/``); after what a bucket holds, its total (``gs://B``), except for the
bucket a URL names, which gcloud (after gsutil) leaves without one. ``-s`` keeps only
one total per URL, under the URL as typed, or one per bucket when none is given.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass

from nimbus.cli.client import Api
from nimbus.cli.failures import CliError
from nimbus.cli.storage import listing
from nimbus.cli.storage.listing import Entry, Scope
from nimbus.cli.storage.urls import CloudUrl
from nimbus.cli.storage.views import human_size

_SIZE_WIDTH = 13

# A line to print (None when -s leaves it out) and the object bytes it accounts for.
_Row = tuple[str | None, int]


@dataclass(frozen=True)
class Options:
    all_versions: bool = False
    summarize: bool = False
    readable_sizes: bool = False
    # Patterns (``*.bak``) that leave out the objects and prefixes whose whole URL,
    # without ``#GENERATION``, they match; a bucket is never left out.
    exclude: tuple[str, ...] = ()

    def excluded(self, entry: Entry) -> bool:
        if not entry.name:
            return False
        url = entry.url()
        return any(fnmatch.fnmatchcase(url, pattern) for pattern in self.exclude)

    def row(self, size: int, label: str) -> str:
        shown = human_size(size) if self.readable_sizes else str(size)
        return f"{shown:<{_SIZE_WIDTH}}{label}"


@dataclass
class Report:
    """The lines for each URL in turn; ``total`` adds up every object counted so far."""

    options: Options
    total: int = 0

    def url_lines(self, api: Api, url: CloudUrl, named: Iterable[CloudUrl]) -> Iterator[str]:
        """``url`` as typed, through what it ``named``: one URL per bucket its bucket
        wildcard matched (the buckets' contents then come without their totals)."""
        scope = Scope(versions=self.options.all_versions)
        found = [
            entry
            for target in named
            for entry in listing.matches(api, target, scope=scope)
            if not self.options.excluded(entry)
        ]
        if not found:
            raise CliError(listing.MATCHED_NOTHING)
        size = yield from self._lines(api, found, with_totals=not url.is_bucket)
        if self.options.summarize:
            label = str(url).rstrip("/") if url.is_bucket else str(url)
            yield self.options.row(size, label)

    def bucket_lines(self, api: Api, buckets: Iterable[str]) -> Iterator[str]:
        """Every bucket (no URL given, or ``gs://``): each with its total line."""
        entries = [Entry(name, "") for name in buckets]
        if not entries:
            raise CliError(listing.MATCHED_NOTHING)
        yield from self._lines(api, entries, with_totals=True)

    def total_line(self) -> str:
        return self.options.row(self.total, "total")

    def _lines(
        self, api: Api, entries: Iterable[Entry], *, with_totals: bool
    ) -> Generator[str, None, int]:
        """``entries``' lines; returns the bytes of the objects among or in them."""
        size = 0
        for text, counted in self._rows(api, entries, with_totals):
            size += counted
            if text is not None:
                yield text
        self.total += size
        return size

    def _rows(self, api: Api, entries: Iterable[Entry], with_totals: bool) -> Iterator[_Row]:
        scope = Scope(versions=self.options.all_versions)
        for entry in entries:
            if self.options.excluded(entry):
                continue
            if not entry.is_container:
                url = entry.url(versioned=self.options.all_versions)
                yield self._shown(self.options.row(entry.size, url)), entry.size
                continue
            inside = 0
            nested = listing.level(api, entry.bucket, entry.name, scope=scope)
            for text, counted in self._rows(api, nested, with_totals=True):
                inside += counted
                yield text, counted
            if with_totals:
                yield self._container_total(entry, inside), 0

    def _container_total(self, container: Entry, size: int) -> str | None:
        if container.name:
            return self._shown(self.options.row(size, container.url()))
        # A bucket's own line stays with -s: when no URL is given, it is the summary.
        return self.options.row(size, container.url().rstrip("/"))

    def _shown(self, text: str) -> str | None:
        return None if self.options.summarize else text
