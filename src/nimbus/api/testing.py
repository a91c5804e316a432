"""Test-only controls, mounted only when the server starts with ``--enable-test-controls``.

They live under ``/_nimbus/test/`` apart from every Google API, like the testbench's
instructions header: a way for tests and demos to make background work happen now.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from nimbus.api.body import parse_json_object
from nimbus.api.deps import call, cloud_of
from nimbus.api.responses import json_response
from nimbus.core.clock import Clock, WorldClock, rfc3339
from nimbus.core.errors import FailedPrecondition, InvalidArgument

router = APIRouter(prefix="/_nimbus/test/v1")


@router.post("/storage/lifecycle:run")
async def run_lifecycle(request: Request) -> Response:
    acted = await call(cloud_of(request).lifecycle.run_once)
    return json_response({"acted": acted})


@router.post("/storage/hardDeletes:run")
async def run_hard_deletes(request: Request) -> Response:
    removed = await call(cloud_of(request).hard_deletes.run_once)
    return json_response({"removed": removed})


@router.post("/storage/usage:flush")
async def flush_usage(request: Request) -> Response:
    await call(cloud_of(request).storage_usage.flush)
    return json_response({})


@router.post("/budgets:evaluate")
async def evaluate_budgets(request: Request) -> Response:
    """Evaluate every budget now (as the watcher does every few seconds) and deliver
    pending webhook alerts: ``{"recorded": N, "delivered": M}``."""
    done = await call(cloud_of(request).budget_alerts.run_once)
    return json_response({"recorded": done.recorded, "delivered": done.delivered})


@router.post("/recommender:sample")
async def sample_utilization(request: Request) -> Response:
    """Read every running instance's CPU and memory now: ``{"sampled": N}``."""
    sampled = await call(cloud_of(request).utilization.sample_once)
    return json_response({"sampled": sampled})


@router.get("/clock")
async def read_clock(request: Request) -> Response:
    clock = cloud_of(request).clock
    return json_response({"now": rfc3339(clock.now()), "offsetSeconds": _offset_of(clock)})


@router.post("/clock:advance")
async def advance_clock(request: Request) -> Response:
    """Move the world's clock forward: ``{"seconds": N}`` (N >= 0). Background work that
    waits on time (preemption, lifecycle, budgets) is woken to look at the new hour."""
    cloud = cloud_of(request)
    body = await parse_json_object(request)
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise InvalidArgument("'seconds' must be a number of seconds, zero or more.")
    clock = cloud.clock
    if not isinstance(clock, WorldClock):
        raise FailedPrecondition("This server's clock cannot be advanced.")
    await call(clock.advance, float(seconds))
    cloud.instance_controller.wake()
    return json_response({"now": rfc3339(clock.now()), "offsetSeconds": _offset_of(clock)})


def _offset_of(clock: Clock) -> float:
    return clock.offset().total_seconds() if isinstance(clock, WorldClock) else 0.0
