"""Whole-object uploads on a short path: the most frequent write of a storage server.

``POST /upload/storage/v1/b/{bucket}/o`` with ``uploadType=media`` or ``multipart``
(what the clients send for small objects) is answered here, before the framework's
routing and parameter resolution, by the routed handler's own ``simple_upload``.
Resumable sessions, unknown parameters and malformed values go on to the routed
handler, which gives the full answer or the full error.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from nimbus.api.auth import current_caller, require_scope
from nimbus.api.errors import error_response
from nimbus.api.storage.customer_keys import carries_key
from nimbus.api.storage.params import WRITE_SCOPES
from nimbus.api.storage.short_params import (
    CONDITIONS,
    PROJECTIONS,
    integers_in,
    preconditions_in,
    query_of,
)
from nimbus.api.storage.uploads import simple_upload
from nimbus.core.errors import NimbusError

_PATH = re.compile(r"^/upload/storage/v1/b/([^/]+)/o$")
_UPLOAD_TYPES = ("media", "multipart")
_ACCEPTED = {
    "uploadType",
    "name",
    "projection",
    "predefinedAcl",
    "userProject",
    "prettyPrint",
    "fields",
    *CONDITIONS,
}


class FastUploads:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = (
            _PATH.match(scope["path"])
            if scope["type"] == "http" and scope["method"] == "POST"
            else None
        )
        query = query_of(scope) if match is not None else None
        numbers = integers_in(query, tuple(CONDITIONS)) if query is not None else None
        if (
            match is None
            or query is None
            or numbers is None
            or not set(query) <= _ACCEPTED
            or query.get("uploadType") not in _UPLOAD_TYPES
            or query.get("projection") not in PROJECTIONS
            or carries_key(scope)
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            caller = await current_caller(request)
            require_scope(caller, WRITE_SCOPES)
            response = await simple_upload(
                request,
                caller,
                match.group(1),
                query["uploadType"],
                query.get("name"),
                preconditions_in(numbers),
                query.get("projection"),
            )
        except NimbusError as error:
            response = error_response(error)
        await response(scope, receive, send)
