"""Waiting for compute/v1 Operations through the official client, as its users do with
``*_unary`` calls (the client's own ``.result()`` polls Google's endpoint, not the one
it was given)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from google.cloud import compute_v1


def settle(make: Callable[[type], Any], project: str, op: compute_v1.Operation) -> Any:
    if op.zone:
        zone = op.zone.rsplit("/", 1)[-1]
        zonal = make(compute_v1.ZoneOperationsClient)
        wait = lambda: zonal.wait(project=project, zone=zone, operation=op.name)  # noqa: E731
    elif op.region:
        region = op.region.rsplit("/", 1)[-1]
        regional = make(compute_v1.RegionOperationsClient)
        wait = lambda: regional.wait(project=project, region=region, operation=op.name)  # noqa: E731
    else:
        world = make(compute_v1.GlobalOperationsClient)
        wait = lambda: world.wait(project=project, operation=op.name)  # noqa: E731
    done = wait()
    while done.status != compute_v1.Operation.Status.DONE:
        done = wait()
    return done


def ok(make: Callable[[type], Any], project: str, op: compute_v1.Operation) -> Any:
    """The Operation, DONE without error."""
    done = settle(make, project, op)
    assert not done.error.errors, done.error
    return done


def failed(make: Callable[[type], Any], project: str, op: compute_v1.Operation) -> str:
    """The error code of an Operation that ended in error."""
    done = settle(make, project, op)
    assert done.error.errors, f"{op.name} did not fail"
    return str(done.error.errors[0].code)
