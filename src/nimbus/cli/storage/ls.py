"""What ``storage ls`` prints, line by line, as gcloud storage lays it out.

A URL naming one container lists its contents; ``-r`` descends into every container,
each under a ``gs://B/PREFIX/:`` heading; otherwise the matches are listed and any
container among them one level deep. ``-l`` and ``-L`` end with a TOTAL line; ``-j``
prints the same rows as one JSON list.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from nimbus.cli.client import Api, Json
from nimbus.cli.failures import CliError
from nimbus.cli.storage import blocks, listed_json, listing, views
from nimbus.cli.storage.bucket_patterns import bucket_matcher
from nimbus.cli.storage.customer_keys import Keys
from nimbus.cli.storage.listing import Entry, Scope
from nimbus.cli.storage.urls import CloudUrl


@dataclass(frozen=True)
class Detail:
    long: bool = False
    full: bool = False
    json: bool = False
    recursive: bool = False
    all_versions: bool = False
    buckets: bool = False
    soft_deleted: bool = False
    # ``-e``: the etag at the end of each ``-l`` row.
    etag: bool = False
    # ``--readable-sizes``: ``-l`` rows' sizes as ``2.00kiB`` (not ``-L``'s, nor TOTAL's).
    readable_sizes: bool = False
    # ``--fetch-encrypted-object-hashes``: the keys that read hidden hashes back.
    hashes_with: Keys | None = None

    @property
    def scope(self) -> Scope:
        # The JSON dump holds everything the API has, and -L ends with the ACL: both
        # read the full projection.
        full = self.json or self.full
        return Scope(versions=self.all_versions, soft_deleted=self.soft_deleted, full=full)


@dataclass(frozen=True)
class Heading:
    entry: Entry


def buckets_of(
    api: Api, project: Callable[[], str], url: CloudUrl, detail: Detail
) -> Iterator[Json]:
    """The buckets a provider URL lists, or ``-b`` with a bucket URL: with ``-b
    --soft-deleted``, the soft-deleted ones, found as gcloud finds them, in the list of
    them all (one is read alone only by its generation)."""
    soft_deleted = detail.buckets and detail.soft_deleted
    if url.is_bucket and not soft_deleted and not url.has_bucket_wildcard:
        yield listing.require_bucket(api, url.bucket, full=detail.json)
        return
    query = {"project": project(), **Scope(soft_deleted=soft_deleted, full=detail.json).query()}
    named = bucket_matcher(url)
    for bucket in api.pages("/storage/v1/b", "items", query):
        if url.is_provider or named(str(bucket.get("name"))):
            yield bucket


def bucket_lines(buckets: Iterable[Json], detail: Detail) -> Iterator[str]:
    """Buckets, as a provider URL or ``-b`` lists them; none at all is an error."""
    listed = iter(buckets)
    first = next(listed, None)
    if first is None:
        raise CliError(listing.MATCHED_NOTHING)
    every = itertools.chain([first], listed)
    if detail.json:
        yield from listed_json.json_list(listed_json.bucket_json(bucket) for bucket in every)
        return
    for bucket in every:
        yield blocks.full_bucket(bucket) if detail.full else f"gs://{bucket['name']}/"


def url_lines(api: Api, urls: Iterable[CloudUrl], detail: Detail) -> Iterator[str]:
    """What one URL as typed lists: ``urls`` are what it names, one per bucket its
    bucket wildcard matched, and their matches are listed as one."""
    named = list(urls)
    found = [entry for url in named for entry in listing.matches(api, url, scope=detail.scope)]
    if not found:
        raise CliError(listing.MATCHED_NOTHING)
    if detail.recursive and not any("**" in url.name for url in named):
        rows = _walk(api, found, math.inf, detail)
    elif len(found) == 1 and found[0].is_container:
        rows = _walk(api, _level(api, found[0], detail), 0, detail)
    else:
        rows = _walk(api, found, 1, detail)
    if detail.json:
        yield from listed_json.json_list(_json(row) for row in rows)
        return
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
    return listing.level(api, container.bucket, container.name, scope=detail.scope)


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
    versioned = detail.scope.versioned
    url = row.url(versioned=versioned)
    if row.resource is None:
        return views.long_row(url, None) if detail.long else url
    if detail.full:
        return blocks.full_object(row.resource, versioned=versioned)
    if detail.long:
        return views.long_row(
            url,
            row.resource,
            versioned=versioned,
            etag=detail.etag,
            readable=detail.readable_sizes,
        )
    return url


def _json(row: Entry | Heading) -> str:
    entry = row.entry if isinstance(row, Heading) else row
    if entry.resource is None:
        return listed_json.container_json(entry)
    return listed_json.object_json(entry.resource)
