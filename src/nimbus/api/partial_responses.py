"""An ASGI layer that trims successful JSON answers to the request's ``fields``.

Requests without ``fields`` pass straight through; with it, the answer is read whole
(JSON answers are small: pages, not object bytes), trimmed, and sent again with its
new length. Errors are never trimmed."""

from __future__ import annotations

from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nimbus.api.errors import error_response
from nimbus.api.field_selection import Selection, apply_fields, parse_fields
from nimbus.core.errors import NimbusError


class PartialResponses:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or b"fields=" not in scope["query_string"]:
            await self.app(scope, receive, send)
            return
        fields = _fields_of(scope)
        if not fields:
            await self.app(scope, receive, send)
            return
        try:
            selection = parse_fields(fields)
        except NimbusError as error:
            await error_response(error)(scope, receive, send)
            return
        await self.app(scope, receive, _Trimming(send, selection))


def _fields_of(scope: Scope) -> str:
    query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
    return next((value for key, value in query if key == "fields"), "").strip()


class _Trimming:
    """Holds back a JSON 2xx answer until its body is complete, then sends it trimmed."""

    def __init__(self, send: Send, selection: Selection) -> None:
        self.send = send
        self.selection = selection
        self.start: Message | None = None
        self.body = bytearray()

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            if _trimmable(message):
                self.start = message
                return
        elif message["type"] == "http.response.body" and self.start is not None:
            self.body += message.get("body", b"")
            if message.get("more_body", False):
                return
            await self._send_trimmed()
            return
        await self.send(message)

    async def _send_trimmed(self) -> None:
        assert self.start is not None
        try:
            body = orjson.dumps(apply_fields(orjson.loads(self.body), self.selection))
        except orjson.JSONDecodeError:
            body = bytes(self.body)
        headers = [
            (name, value) for name, value in self.start["headers"] if name != b"content-length"
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.send({**self.start, "headers": headers})
        await self.send({"type": "http.response.body", "body": body})


def _trimmable(start: Message) -> bool:
    if not 200 <= start["status"] < 300:
        return False
    return any(
        name == b"content-type" and value.startswith(b"application/json")
        for name, value in start["headers"]
    )
