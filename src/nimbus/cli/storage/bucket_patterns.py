"""Bucket wildcards (``gs://data-*``, ``gs://*/logs``), as gcloud storage's listings
expand them: against the names of the project's buckets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from nimbus.cli.client import Api
from nimbus.cli.storage.urls import CloudUrl
from nimbus.cli.storage.wildcards import compile_pattern


def bucket_matcher(url: CloudUrl) -> Callable[[str], bool]:
    """Whether a bucket name is the one ``url`` names, or one its pattern matches."""
    if not url.has_bucket_wildcard:
        return lambda name: name == url.bucket
    return compile_pattern(url.bucket)


def expand(api: Api, project: Callable[[], str], url: CloudUrl) -> list[CloudUrl]:
    """``url`` once per bucket it names, in name order: itself when its bucket has no
    wildcard (then no listing of buckets is needed), none when nothing matches."""
    if not url.has_bucket_wildcard:
        return [url]
    return [replace(url, bucket=name) for name in _matching(api, project, url)]


def _matching(api: Api, project: Callable[[], str], url: CloudUrl) -> Iterator[str]:
    matches = bucket_matcher(url)
    for bucket in api.pages("/storage/v1/b", "items", {"project": project()}):
        name = str(bucket["name"])
        if matches(name):
            yield name
