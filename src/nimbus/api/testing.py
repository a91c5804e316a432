"""Test-only controls, mounted only when the server starts with ``--enable-test-controls``.

They live under ``/_nimbus/test/`` apart from every Google API, like the testbench's
instructions header: a way for tests and demos to make background work happen now.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import json_response

router = APIRouter(prefix="/_nimbus/test/v1")


@router.post("/storage/lifecycle:run")
async def run_lifecycle(request: Request) -> Response:
    acted = await call(cloud_of(request).lifecycle.run_once)
    return json_response({"acted": acted})


@router.post("/storage/usage:flush")
async def flush_usage(request: Request) -> Response:
    await call(cloud_of(request).storage_usage.flush)
    return json_response({})
