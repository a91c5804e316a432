"""Object reads on a short path: the most frequent requests of a storage server.

``GET .../b/{bucket}/o/{object}`` (an object's bytes with ``alt=media`` or on the
``/download/`` path, else its metadata) is answered here, before the framework's
routing and parameter resolution, by the same services and the same response code as
the routed handler. On the embedded store the usual read skips the ORM too (see
``services/storage/quick_reads``). Anything this path does not understand (other
parameters, malformed values) falls through to the routed handler, which gives the
full answer or the full error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from nimbus.api.auth import (
    anonymous_caller,
    base_url,
    bearer_token,
    current_caller,
    require_scope,
)
from nimbus.api.deps import cloud_of, quick
from nimbus.api.errors import error_response
from nimbus.api.responses import json_response
from nimbus.api.storage import views
from nimbus.api.storage.customer_keys import carries_key
from nimbus.api.storage.kept_reads import KeptReads
from nimbus.api.storage.media import check_etag_conditions, media_response
from nimbus.api.storage.objects import listing_response
from nimbus.api.storage.params import READ_SCOPES
from nimbus.api.storage.short_params import (
    CONDITIONS,
    PROJECTIONS,
    integers_in,
    preconditions_in,
    query_of,
)
from nimbus.api.storage.views import object_etag
from nimbus.core.errors import NimbusError
from nimbus.services.cloud import Cloud
from nimbus.services.storage.listing import DEFAULT_MAX_RESULTS, ListQuery, page_size
from nimbus.services.storage.preconditions import Preconditions
from nimbus.services.storage.quick_reads import QuickRead

_PATH = re.compile(r"^/(download/)?storage/v1/b/([^/]+)/o/(.+)$", re.DOTALL)
_LIST_PATH = re.compile(r"^/storage/v1/b/([^/]+)/o$")
_ACCEPTED = {
    "alt",
    "generation",
    "projection",
    "userProject",
    "prettyPrint",
    "fields",
    *CONDITIONS,
}


class FastObjectReads:
    def __init__(self, app: ASGIApp, kept: KeptReads | None = None) -> None:
        self.app = app
        self.kept = kept

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        listed = _LIST_PATH.match(scope["path"])
        if listed is not None:
            await self._list(scope, receive, send, listed.group(1))
            return
        match = _PATH.match(scope["path"])
        params = _params(scope, media_by_default=bool(match and match.group(1)))
        if match is None or params is None or match.group(3).endswith("/acl") or carries_key(scope):
            await self.app(scope, receive, send)
            return
        _, bucket, name = match.groups()
        request = Request(scope, receive)
        cloud = cloud_of(request)
        kept = self.kept
        key = None if kept is None else kept.key_of(scope)
        version = None if kept is None else kept.version(key)
        quick_found = None
        try:
            quick_found = self._quick_read(request, cloud, bucket, name, params)
            if quick_found is not None:
                found = quick_found.bucket, quick_found.row
            else:
                caller = await current_caller(request)
                require_scope(caller, READ_SCOPES)
                found = await quick(
                    request,
                    cloud.objects.get,
                    caller,
                    bucket,
                    name,
                    params.generation,
                    params.conditions,
                )
            if params.media:
                response = media_response(request, cloud.blobs, found[1])
            else:
                check_etag_conditions(request, object_etag(found[1]))
                full = params.projection == "full"
                response = json_response(views.stored_object(base_url(request), *found, full=full))
        except NimbusError as error:
            response = error_response(error)
            quick_found = None
        await response(scope, receive, send)
        if kept is not None and quick_found is not None:
            kept.keep(key, version, quick_found, response)

    async def _list(self, scope: Scope, receive: Receive, send: Send, bucket: str) -> None:
        """A listing on the embedded store's short path; anything else goes to the router."""
        request = Request(scope, receive)
        reads = cloud_of(request).quick_object_reads
        parsed = _list_params(scope)
        bearer = _bearer(request)
        if reads is None or parsed is None or bearer is _UNUSABLE:
            await self.app(scope, receive, send)
            return
        query, projection = parsed
        listing = reads.list_objects(bearer, anonymous_caller(request), READ_SCOPES, bucket, query)
        if listing is None:
            await self.app(scope, receive, send)
            return
        await listing_response(request, listing, projection)(scope, receive, send)

    @staticmethod
    def _quick_read(
        request: Request, cloud: Cloud, bucket: str, name: str, params: _ReadParams
    ) -> QuickRead | None:
        """The object on the embedded store's short path, or None to take the full one."""
        reads = cloud.quick_object_reads
        bearer = _bearer(request)
        if reads is None or bearer is _UNUSABLE:
            return None
        return reads.get(
            bearer,
            anonymous_caller(request),
            READ_SCOPES,
            bucket,
            name,
            params.generation,
            params.conditions,
        )


_UNUSABLE = "\0"


def _bearer(request: Request) -> str | None:
    """The bearer token, None without credentials, or ``_UNUSABLE`` for any other kind
    (which the full path refuses in its own words)."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    token = bearer_token(header)
    return _UNUSABLE if token is None else token


@dataclass(frozen=True)
class _ReadParams:
    media: bool
    generation: int | None
    conditions: Preconditions
    projection: str | None


def _params(scope: Scope, *, media_by_default: bool) -> _ReadParams | None:
    """The request's parameters, or None to leave it to the router."""
    query = query_of(scope)
    if not set(query) <= _ACCEPTED:
        return None
    alt = query.get("alt", "media" if media_by_default else "json")
    projection = query.get("projection")
    numbers = integers_in(query, ("generation", *CONDITIONS))
    if alt not in ("media", "json") or projection not in PROJECTIONS or numbers is None:
        return None
    return _ReadParams(
        alt == "media", numbers.get("generation"), preconditions_in(numbers), projection
    )


_LIST_ACCEPTED = {
    "prefix",
    "delimiter",
    "startOffset",
    "endOffset",
    "matchGlob",
    "versions",
    "includeTrailingDelimiter",
    "maxResults",
    "pageToken",
    "projection",
    "userProject",
    "prettyPrint",
    "fields",
}
_TRUTH = {"true": True, "1": True, "false": False, "0": False}


def _list_params(scope: Scope) -> tuple[ListQuery, str | None] | None:
    """A listing's query and projection, or None to leave it to the router."""
    query = query_of(scope)
    projection = query.get("projection")
    versions = _TRUTH.get(query.get("versions", "false").lower())
    trailing = _TRUTH.get(query.get("includeTrailingDelimiter", "false").lower())
    max_results = query.get("maxResults", str(DEFAULT_MAX_RESULTS))
    if (
        not set(query) <= _LIST_ACCEPTED
        or projection not in PROJECTIONS
        or versions is None
        or trailing is None
        or not max_results.isdigit()
    ):
        return None
    listing = ListQuery(
        prefix=query.get("prefix", ""),
        delimiter=query.get("delimiter") or None,
        start_offset=query.get("startOffset"),
        end_offset=query.get("endOffset"),
        match_glob=query.get("matchGlob"),
        versions=versions,
        include_trailing_delimiter=trailing,
        max_results=page_size(int(max_results)),
        page_token=query.get("pageToken"),
    )
    return listing, projection
