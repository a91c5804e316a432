"""Objects and prefixes as listings find them, and what a URL matches among them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from nimbus.cli.client import Api, ApiError, Json
from nimbus.cli.failures import CliError
from nimbus.cli.storage.customer_keys import Keys, key_sha256
from nimbus.cli.storage.urls import CloudUrl, bucket_path, object_path, object_url
from nimbus.cli.storage.wildcards import compile_pattern, crosses_levels, literal_prefix

DELIMITER = "/"
# gcloud's words when a listed URL (ls, du) names nothing.
MATCHED_NOTHING = "One or more URLs matched no objects."


@dataclass(frozen=True)
class Scope:
    """Which generations a listing reads, and how much of each: noncurrent ones too
    (``versions``), only soft-deleted ones (``soft_deleted``, which wins, as in gcloud),
    and ACLs and owner too (``full``: the API's full projection)."""

    versions: bool = False
    soft_deleted: bool = False
    full: bool = False

    @property
    def versioned(self) -> bool:
        """Whether URLs name generations: a listing of several of one name needs them."""
        return self.versions or self.soft_deleted

    def query(self) -> dict[str, str]:
        query = {"projection": "full"} if self.full else {}
        if self.soft_deleted:
            query["softDeleted"] = "true"
        elif self.versions:
            query["versions"] = "true"
        return query


LIVE = Scope()


@dataclass(frozen=True)
class Entry:
    """An object (its resource) or a container: a prefix ending in ``/``, or ``""`` for
    the bucket itself."""

    bucket: str
    name: str
    resource: Json | None = None

    @property
    def is_container(self) -> bool:
        return self.resource is None

    @property
    def generation(self) -> str | None:
        return str(self.resource["generation"]) if self.resource else None

    @property
    def size(self) -> int:
        return int(self.resource.get("size") or 0) if self.resource else 0

    def url(self, *, versioned: bool = False) -> str:
        return object_url(self.bucket, self.name, self.generation if versioned else None)


def level(api: Api, bucket: str, prefix: str, *, scope: Scope = LIVE) -> Iterator[Entry]:
    """One level under ``prefix``: per page, its objects, then its sub-prefixes."""
    return _pages(api, bucket, {"prefix": prefix, "delimiter": DELIMITER}, scope)


def everything(api: Api, bucket: str, prefix: str, *, scope: Scope = LIVE) -> Iterator[Entry]:
    """Every object whose name starts with ``prefix``, at any depth."""
    return _pages(api, bucket, {"prefix": prefix}, scope)


def _pages(api: Api, bucket: str, query: dict[str, Any], scope: Scope) -> Iterator[Entry]:
    """Every page, past any token (gcloud's ``--exhaustive``; Nimbus never sends an
    empty page with a token, where gcloud would otherwise stop)."""
    query = {**query, **scope.query()}
    path = f"{bucket_path(bucket)}/o"
    while True:
        try:
            page = api.get(path, query)
        except ApiError as exc:
            if exc.code == 404:  # the bucket: gcloud names it as it does in a bucket URL
                raise CliError(f"gs://{bucket} not found: 404.") from exc
            raise
        for item in page.get("items") or []:
            yield Entry(bucket, str(item["name"]), item)
        for prefix in page.get("prefixes") or []:
            yield Entry(bucket, str(prefix))
        token = page.get("nextPageToken")
        if not token:
            return
        query["pageToken"] = token


def matches(api: Api, url: CloudUrl, *, scope: Scope = LIVE) -> list[Entry]:
    """What ``gs://B/NAME`` names at its level: the objects and the prefix it matches.

    Without a wildcard, that is the object NAME (every version, or every soft-deleted
    one, as ``scope`` says; one generation with ``#G``) and the prefix ``NAME/``.
    """
    if url.is_bucket:
        require_bucket(api, url.bucket)
        return [Entry(url.bucket, "")]
    if url.has_wildcard:
        return _wildcard_matches(api, url, scope)
    if url.generation is not None:
        found = get_object(api, url, missing_ok=True, scope=scope)
        return [Entry(url.bucket, url.name, found)] if found else []
    wanted = {url.name, url.name.rstrip(DELIMITER) + DELIMITER}
    listed = level(api, url.bucket, url.name.rstrip(DELIMITER), scope=scope)
    return [entry for entry in listed if entry.name in wanted and _kept(entry, url.name)]


def _kept(entry: Entry, name: str) -> bool:
    """``gs://B/dir/`` names the prefix only, not an object called ``dir/``."""
    return not (name.endswith(DELIMITER) and not entry.is_container)


def _wildcard_matches(api: Api, url: CloudUrl, scope: Scope) -> list[Entry]:
    matcher = compile_pattern(url.name)
    prefix = literal_prefix(url.name)
    if crosses_levels(url.name):
        candidates: Iterable[Entry] = everything(api, url.bucket, prefix, scope=scope)
    else:
        candidates = level(api, url.bucket, prefix, scope=scope)
    return [
        e for e in candidates if matcher(e.name.rstrip(DELIMITER) if e.is_container else e.name)
    ]


def objects_under(api: Api, entries: Iterable[Entry], *, scope: Scope = LIVE) -> Iterator[Entry]:
    """The objects among ``entries``, and every object inside the containers among them."""
    for entry in entries:
        if entry.is_container:
            yield from everything(api, entry.bucket, entry.name, scope=scope)
        else:
            yield entry


def get_object(
    api: Api,
    url: CloudUrl,
    *,
    missing_ok: bool = False,
    headers: dict[str, str] | None = None,
    scope: Scope = LIVE,
) -> Json | None:
    """The object's metadata; ``headers`` may carry its key (then its checksums show).
    A soft-deleted one is read only with ``scope.soft_deleted``, and by its generation."""
    params = {"generation": str(url.generation)} if url.generation is not None else {}
    if scope.soft_deleted:
        params["softDeleted"] = "true"
    if scope.full:
        params["projection"] = "full"
    try:
        path = object_path(url.bucket, url.name)
        return api.request("GET", path, params=params or None, headers=headers)
    except ApiError as exc:
        if exc.code == 404 and missing_ok:
            return None
        if exc.code == 404:
            raise CliError(f"{url} not found: 404.") from exc
        raise


def with_hashes(api: Api, resource: Json, keys: Keys, url: str | None = None) -> Json:
    """An object under a customer key, read again (same generation) with its key, since
    a key-less GET or list leaves its hashes out (``--fetch-encrypted-object-hashes``).

    Given the ``url`` it was asked by (describe), no matching key is an error naming it;
    without, the object stays as it came, as gcloud's listings leave it.
    """
    if (resource.get("md5Hash") and resource.get("crc32c")) or not key_sha256(resource):
        return resource
    key = keys.for_object(resource, url or "", missing_ok=url is None)
    if key is None:
        return resource
    exact = CloudUrl(str(resource["bucket"]), str(resource["name"]), int(resource["generation"]))
    # Read as it was (the full projection when it has its ACL), so nothing goes missing.
    scope = Scope(full="acl" in resource)
    return get_object(api, exact, headers=key.headers(), scope=scope) or resource


def require_bucket(api: Api, bucket: str, *, full: bool = False) -> Json:
    try:
        return api.get(bucket_path(bucket), {"projection": "full"} if full else None)
    except ApiError as exc:
        if exc.code == 404:
            raise CliError(f"gs://{bucket} not found: 404.") from exc
        raise


def no_match(urls: Iterable[str]) -> CliError:
    return CliError("The following URLs matched no objects or files: " + ", ".join(urls))
