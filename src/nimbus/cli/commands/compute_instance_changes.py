"""``nimbus compute instances set-machine-type | suspend | resume |
simulate-maintenance-event``."""

from __future__ import annotations

from typing import Annotated

import typer

from nimbus.cli import output
from nimbus.cli.waiting import wait_zone_operation
from nimbus.cli.zonal import zonal

Instance = Annotated[str, typer.Argument(help="The instance's name.", show_default=False)]
Names = Annotated[list[str], typer.Argument(help="Instance names.", show_default=False)]
ZoneFlag = Annotated[str | None, typer.Option("--zone", help="The instances' zone.")]
Async = Annotated[bool, typer.Option("--async", help="Return without waiting.")]


def register(app: typer.Typer) -> None:
    app.command("set-machine-type")(set_machine_type)
    app.command("suspend")(suspend)
    app.command("resume")(resume)
    app.command("simulate-maintenance-event")(simulate_maintenance_event)


def set_machine_type(
    ctx: typer.Context,
    instance: Instance,
    machine_type: Annotated[str, typer.Option("--machine-type", help="e.g. e2-standard-2.")],
    zone: ZoneFlag = None,
) -> None:
    """Change the machine type of a stopped instance."""
    target = zonal(ctx, zone)
    body = {"machineType": f"zones/{target.zone}/machineTypes/{machine_type}"}
    with target.context.api() as api:
        operation = api.post(f"{target.path('instances', instance)}/setMachineType", body)
        done = wait_zone_operation(api, target.base, target.zone, operation,
                                   f"Setting machine type of {instance}...")  # fmt: skip
    output.status(f"Updated [{done.get('targetLink')}].")


def _each(ctx: typer.Context, instances: list[str], zone: str | None, verb: str,
          progress: str, run_async: bool, *, each_updated: bool = True) -> None:  # fmt: skip
    """POST ``verb`` to each instance, then wait for them all; say each one's
    ``Updated [...]`` (``each_updated``) or, as gcloud does for some verbs, one
    ``...done.`` line."""
    target = zonal(ctx, zone)
    with target.context.api() as api:
        started = [api.post(f"{target.path('instances', n)}/{verb}") for n in instances]
        for name, operation in zip(instances, started, strict=True):
            link = operation.get("targetLink")
            if run_async:
                output.status(f"Update in progress for gce instance [{name}] [{link}].")
                continue
            wait_zone_operation(api, target.base, target.zone, operation, f"{progress}...")
            if each_updated:
                output.status(f"Updated [{link}].")
    if not run_async and not each_updated:
        output.status(f"{progress}...done.")


def suspend(ctx: typer.Context, instance_names: Names, zone: ZoneFlag = None,
            run_async: Async = False) -> None:  # fmt: skip
    """Suspend instances: their memory is kept and they stop running."""
    progress = f"Suspending instance(s) {', '.join(instance_names)}"
    _each(ctx, instance_names, zone, "suspend", progress, run_async)


def resume(ctx: typer.Context, instance_names: Names, zone: ZoneFlag = None,
           run_async: Async = False) -> None:  # fmt: skip
    """Resume suspended instances where they were."""
    progress = f"Resuming instance(s) {', '.join(instance_names)}"
    _each(ctx, instance_names, zone, "resume", progress, run_async)


def simulate_maintenance_event(
    ctx: typer.Context, instance_names: Names, zone: ZoneFlag = None, run_async: Async = False
) -> None:
    """Simulate host maintenance: Spot and preemptible instances are taken back."""
    progress = f"Simulating maintenance on instance(s) [{', '.join(instance_names)}]"
    _each(ctx, instance_names, zone, "simulateMaintenanceEvent", progress, run_async,
          each_updated=False)  # fmt: skip
