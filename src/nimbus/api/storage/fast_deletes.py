"""Object deletes on a short path, with the same service call as the routed handler.

``DELETE /storage/v1/b/{bucket}/o/{object}`` spent more time in the framework's routing
and parameter resolution than in the delete itself. It is answered here, before
routing; anything else (an ACL entry's path, other parameters, malformed values) goes
on to the routed handler, which gives the full answer or the full error.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from nimbus.api.auth import current_caller, require_scope
from nimbus.api.deps import call, cloud_of
from nimbus.api.errors import error_response
from nimbus.api.storage.params import WRITE_SCOPES
from nimbus.api.storage.short_params import CONDITIONS, integers_in, preconditions_in, query_of
from nimbus.core.errors import NimbusError

_PATH = re.compile(r"^/storage/v1/b/([^/]+)/o/(.+)$", re.DOTALL)
_NUMBERS = ("generation", *CONDITIONS)
_ACCEPTED = {"userProject", "prettyPrint", "fields", *_NUMBERS}


class FastDeletes:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = (
            _PATH.match(scope["path"])
            if scope["type"] == "http" and scope["method"] == "DELETE"
            else None
        )
        query = query_of(scope) if match is not None else None
        numbers = integers_in(query, _NUMBERS) if query is not None else None
        if (
            match is None
            or query is None
            or numbers is None
            or not set(query) <= _ACCEPTED
            or _names_acl(match.group(2))
        ):
            await self.app(scope, receive, send)
            return
        bucket, name = match.groups()
        request = Request(scope, receive)
        try:
            caller = await current_caller(request)
            require_scope(caller, WRITE_SCOPES)
            await call(
                cloud_of(request).objects.delete,
                caller,
                bucket,
                name,
                numbers.get("generation"),
                preconditions_in(numbers),
            )
            response = Response(status_code=204)
        except NimbusError as error:
            response = error_response(error)
        await response(scope, receive, send)


def _names_acl(name: str) -> bool:
    """Whether the path may be an object's ACL entry (``.../o/{object}/acl/{entity}``),
    which only the router tells from an object of that name."""
    return "/acl/" in name or name.endswith("/acl")
