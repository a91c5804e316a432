"""What ``storage ls`` prints, line by line, as gcloud storage lays it out.

A URL naming one container lists its contents; ``-r`` descends into every container,
each under a ``gs://B/PREFIX/:`` heading; otherwise the matches are listed and any
container among them one level deep. ``-l`` and ``-L`` end with a TOTAL line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from nimbus.cli.client import Api, Json
from nimbus.cli.failures import CliError
from nimbus.cli.storage import listing, views
from nimbus.cli.storage.customer_keys import Keys
from nimbus.cli.storage.listing import Entry
from nimbus.cli.storage.urls import CloudUrl


@dataclass(frozen=True)
class Detail:
    long: bool = False
    full: bool = False
    recursive: bool = False
    all_versions: bool = False
    # ``--fetch-encrypted-object-hashes``: the keys that read hidden hashes back.
    hashes_with: Keys | None = None


@dataclass(frozen=True)
class Heading:
    entry: Entry


def bucket_lines(buckets: Iterable[Json], detail: Detail) -> Iterator[str]:
    for bucket in buckets:
        yield views.full_bucket(bucket) if detail.full else f"gs://{bucket['name']}/"


def url_lines(api: Api, url: CloudUrl, detail: Detail) -> Iterator[str]:
    found = listing.matches(api, url, versions=detail.all_versions)
    if not found:
        raise CliError("One or more URLs matched no objects.")
    if detail.recursive and "**" not in url.name:
        rows = _walk(api, found, math.inf, detail)
    elif len(found) == 1 and found[0].is_container:
        rows = _walk(api, _level(api, found[0], detail), 0, detail)
    else:
        rows = _walk(api, found, 1, detail)
    objects = total = 0
    first = True
    for row in rows:
        text = _text(_with_hashes(api, row, detail), detail)
        if first:
            text, first = text.lstrip("\n"), False
        if isinstance(row, Entry) and not row.is_container:
            objects, total = objects + 1, total + row.size
        yield text
    if detail.long or detail.full:
        yield views.total_line(objects, total)


def _level(api: Api, container: Entry, detail: Detail) -> Iterator[Entry]:
    return listing.level(api, container.bucket, container.name, versions=detail.all_versions)


def _walk(
    api: Api, entries: Iterable[Entry], depth: float, detail: Detail
) -> Iterator[Entry | Heading]:
    for entry in entries:
        if entry.is_container and depth > 0:
            yield Heading(entry)
            yield from _walk(api, _level(api, entry, detail), depth - 1, detail)
        else:
            yield entry


def _with_hashes(api: Api, row: Entry | Heading, detail: Detail) -> Entry | Heading:
    """Only ``-L`` prints hashes, so only it pays a request per encrypted object."""
    keys = detail.hashes_with if detail.full else None
    if keys is None or isinstance(row, Heading) or row.resource is None:
        return row
    return replace(row, resource=listing.with_hashes(api, row.resource, keys))


def _text(row: Entry | Heading, detail: Detail) -> str:
    if isinstance(row, Heading):
        return f"\n{row.entry.url()}:"
    versioned = detail.all_versions
    url = row.url(versioned=versioned)
    if row.resource is None:
        return views.long_row(url, None) if detail.long else url
    if detail.full:
        return views.full_object(row.resource, versioned=versioned)
    if detail.long:
        return views.long_row(url, row.resource, versioned=versioned)
    return url
