"""Small helpers every router uses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from fastapi import Request

from nimbus.services.cloud import Cloud

P = ParamSpec("P")
R = TypeVar("R")


def cloud_of(request: Request) -> Cloud:
    cloud: Cloud = request.app.state.cloud
    return cloud


async def call(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a (blocking, store-bound) service call off the event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)


async def quick(request: Request, function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """A short read: on the embedded SQLite store it runs right on the event loop, where
    a thread hand-off would cost more than the read itself; on PostgreSQL (a network
    round trip) it goes to a thread like any other call."""
    if cloud_of(request).db.is_sqlite:
        return function(*args, **kwargs)
    return await asyncio.to_thread(function, *args, **kwargs)
