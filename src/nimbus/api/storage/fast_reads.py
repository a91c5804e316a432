"""Object downloads on a short path: the most frequent request of a storage server.

``GET .../b/{bucket}/o/{object}?alt=media`` (and ``/download/...``) is answered here,
before the framework's routing and parameter resolution, by the same services and the
same response code as the routed handler. Anything this path does not understand
(other parameters, malformed values) falls through to the routed handler, which gives
the full answer or the full error.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from nimbus.api.auth import current_caller, require_scope
from nimbus.api.deps import cloud_of, quick
from nimbus.api.errors import error_response
from nimbus.api.storage.media import media_response
from nimbus.api.storage.params import READ_SCOPES
from nimbus.core.errors import NimbusError
from nimbus.services.storage.preconditions import Preconditions

_PATH = re.compile(r"^/(download/)?storage/v1/b/([^/]+)/o/(.+)$", re.DOTALL)
_CONDITIONS = {
    "ifGenerationMatch": "if_generation_match",
    "ifGenerationNotMatch": "if_generation_not_match",
    "ifMetagenerationMatch": "if_metageneration_match",
    "ifMetagenerationNotMatch": "if_metageneration_not_match",
}
_ACCEPTED = {"alt", "generation", "userProject", "prettyPrint", "fields", *_CONDITIONS}


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
        generation, conditions = params
        request = Request(scope, receive)
        try:
            caller = await current_caller(request)
            require_scope(caller, READ_SCOPES)
            cloud = cloud_of(request)
            _, row = await quick(
                request, cloud.objects.get, caller, bucket, name, generation, conditions
            )
            response = media_response(request, cloud.blobs, row)
        except NimbusError as error:
            response = error_response(error)
        await response(scope, receive, send)


def _params(scope: Scope, *, media_by_default: bool) -> tuple[int | None, Preconditions] | None:
    """The request's generation and preconditions, or None to leave it to the router."""
    query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
    if not set(query) <= _ACCEPTED:
        return None
    if query.get("alt", "media" if media_by_default else "json") != "media":
        return None
    numbers: dict[str, int] = {}
    for key in ("generation", *_CONDITIONS):
        if key in query:
            if not query[key].lstrip("-").isdigit():
                return None
            numbers[key] = int(query[key])
    conditions = Preconditions(**{field: numbers.get(key) for key, field in _CONDITIONS.items()})
    return numbers.get("generation"), conditions
