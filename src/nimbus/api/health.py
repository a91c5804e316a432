"""Liveness: ``/healthz`` answers 200 once the store is reachable."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from nimbus import __version__
from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import json_response
from nimbus.store.db import ping

router = APIRouter()


@router.get("/healthz")
async def healthz(request: Request) -> Response:
    await call(ping, cloud_of(request).db)
    return json_response({"status": "ok", "version": __version__})
