"""``/resumable/upload/storage/v1/...``: the path gcloud (through apitools) starts its
resumable uploads at. Cloud Storage takes it as ``/upload/storage/v1/...``, and so
does this layer, before anything routes the request."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

_ALIAS = "/resumable/upload/"
_PATH = "/upload/"


class ResumableUploadPaths:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(_ALIAS):
            raw = scope.get("raw_path") or scope["path"].encode()
            scope = dict(
                scope,
                path=_PATH + scope["path"][len(_ALIAS) :],
                raw_path=_PATH.encode() + raw[len(_ALIAS) :],
            )
        await self.app(scope, receive, send)
