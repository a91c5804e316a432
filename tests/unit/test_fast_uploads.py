"""Which uploads the short path takes, and which it leaves to the routed handler."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Receive, Scope, Send

from nimbus.api.storage.fast_uploads import FastUploads


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

    asyncio.run(FastUploads(routed)(scope, receive, send))  # type: ignore[arg-type]
    return reached == [scope]


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("POST", "/upload/storage/v1/b/bkt/o", "uploadType=resumable&name=a"),
        ("POST", "/upload/storage/v1/b/bkt/o", "uploadType=media&name=a&upload_id=x"),
        ("POST", "/upload/storage/v1/b/bkt/o", "name=a"),
        ("POST", "/upload/storage/v1/b/bkt/o", "uploadType=media&name=a&kmsKeyName=k"),
        ("POST", "/upload/storage/v1/b/bkt/o", "uploadType=media&name=a&ifGenerationMatch=x"),
        ("POST", "/upload/storage/v1/b/bkt/o", "uploadType=media&name=a&projection=bad"),
        ("PUT", "/upload/storage/v1/b/bkt/o", "uploadType=media&name=a"),
        ("POST", "/storage/v1/b/bkt/o", "uploadType=media&name=a"),
        ("POST", "/upload/storage/v1/b/bkt/o/a", "uploadType=media"),
    ],
)
def test_anything_but_a_plain_whole_upload_goes_to_the_router(
    method: str, path: str, query: str
) -> None:
    assert _passes_on(_scope(method, path, query))
