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
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from nimbus.api.auth import anonymous_caller, base_url, current_caller, require_scope
from nimbus.api.deps import cloud_of, quick
from nimbus.api.errors import error_response
from nimbus.api.responses import json_response
from nimbus.api.storage import views
from nimbus.api.storage.media import media_response
from nimbus.api.storage.params import READ_SCOPES
from nimbus.core.errors import NimbusError
from nimbus.services.cloud import Cloud
from nimbus.services.storage.preconditions import Preconditions
from nimbus.store.models import StoredObject

_PATH = re.compile(r"^/(download/)?storage/v1/b/([^/]+)/o/(.+)$", re.DOTALL)
_CONDITIONS = {
    "ifGenerationMatch": "if_generation_match",
    "ifGenerationNotMatch": "if_generation_not_match",
    "ifMetagenerationMatch": "if_metageneration_match",
    "ifMetagenerationNotMatch": "if_metageneration_not_match",
}
_ACCEPTED = {
    "alt",
    "generation",
    "projection",
    "userProject",
    "prettyPrint",
    "fields",
    *_CONDITIONS,
}


class FastObjectReads:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        match = _PATH.match(scope["path"])
        params = _params(scope, media_by_default=bool(match and match.group(1)))
        if match is None or params is None or match.group(3).endswith("/acl"):
            await self.app(scope, receive, send)
            return
        _, bucket, name = match.groups()
        request = Request(scope, receive)
        cloud = cloud_of(request)
        try:
            quick_row = self._quick_read(request, cloud, bucket, name, params)
            if quick_row is not None:
                row = quick_row
            else:
                caller = await current_caller(request)
                require_scope(caller, READ_SCOPES)
                _, row = await quick(
                    request,
                    cloud.objects.get,
                    caller,
                    bucket,
                    name,
                    params.generation,
                    params.conditions,
                )
            if params.media:
                response = media_response(request, cloud.blobs, row)
            else:
                full = params.projection == "full"
                response = json_response(views.stored_object(base_url(request), row, full=full))
        except NimbusError as error:
            response = error_response(error)
        await response(scope, receive, send)

    @staticmethod
    def _quick_read(
        request: Request, cloud: Cloud, bucket: str, name: str, params: _ReadParams
    ) -> StoredObject | None:
        """The object on the embedded store's short path, or None to take the full one."""
        reads = cloud.quick_object_reads
        header = request.headers.get("authorization")
        if reads is None:
            return None
        bearer: str | None = None
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return None
            bearer = token.strip()
        found = reads.get(
            bearer,
            anonymous_caller(request),
            READ_SCOPES,
            bucket,
            name,
            params.generation,
            params.conditions,
        )
        return None if found is None else found[1]


@dataclass(frozen=True)
class _ReadParams:
    media: bool
    generation: int | None
    conditions: Preconditions
    projection: str | None


def _params(scope: Scope, *, media_by_default: bool) -> _ReadParams | None:
    """The request's parameters, or None to leave it to the router."""
    query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
    if not set(query) <= _ACCEPTED:
        return None
    alt = query.get("alt", "media" if media_by_default else "json")
    projection = query.get("projection")
    if alt not in ("media", "json") or projection not in (None, "full", "noAcl"):
        return None
    numbers: dict[str, int] = {}
    for key in ("generation", *_CONDITIONS):
        if key in query:
            if not query[key].lstrip("-").isdigit():
                return None
            numbers[key] = int(query[key])
    conditions = Preconditions(**{field: numbers.get(key) for key, field in _CONDITIONS.items()})
    return _ReadParams(alt == "media", numbers.get("generation"), conditions, projection)
