"""Driving a short-path middleware alone, to see which requests it leaves to the router."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send


def request_scope(method: str, path: str, query: str) -> Scope:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [],
    }


def passes_on(middleware: Callable[[ASGIApp], ASGIApp], scope: Scope) -> bool:
    """True if the request went on to the routed application."""
    reached: list[Scope] = []

    async def routed(scope: Scope, _receive: Receive, _send: Send) -> None:
        reached.append(scope)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: object) -> None:
        raise AssertionError("the short path answered")

    asyncio.run(middleware(routed)(scope, receive, send))  # type: ignore[arg-type]
    return reached == [scope]
