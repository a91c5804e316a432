"""Which deletes the short path takes, and which it leaves to the routed handler."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Receive, Scope, Send

from nimbus.api.storage.fast_deletes import FastDeletes


def _scope(method: str, path: str, query: str) -> Scope:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [],
    }


def _passes_on(scope: Scope) -> bool:
    """True if the request went on to the routed application."""
    reached: list[Scope] = []

    async def routed(scope: Scope, _receive: Receive, _send: Send) -> None:
        reached.append(scope)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: object) -> None:
        raise AssertionError("the short path answered")

    asyncio.run(FastDeletes(routed)(scope, receive, send))  # type: ignore[arg-type]
    return reached == [scope]


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("DELETE", "/storage/v1/b/bkt/o/a/acl/allUsers", ""),
        ("DELETE", "/storage/v1/b/bkt/o/a/acl", ""),
        ("DELETE", "/storage/v1/b/bkt/o/a", "generation=x"),
        ("DELETE", "/storage/v1/b/bkt/o/a", "ifGenerationMatch=1.5"),
        ("DELETE", "/storage/v1/b/bkt/o/a", "softDeleted=true"),
        ("DELETE", "/storage/v1/b/bkt", ""),
        ("DELETE", "/storage/v1/b/bkt/o", ""),
        ("GET", "/storage/v1/b/bkt/o/a", ""),
        ("DELETE", "/upload/storage/v1/b/bkt/o", "upload_id=x"),
    ],
)
def test_anything_but_a_plain_object_delete_goes_to_the_router(
    method: str, path: str, query: str
) -> None:
    assert _passes_on(_scope(method, path, query))
