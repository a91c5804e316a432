"""``nimbus compute``: zones, regions, project metadata and operations.

Instances, disks and networks join this group as Compute Engine grows.
"""

from __future__ import annotations

from typing import Annotated

import typer

from nimbus.cli import output
from nimbus.cli.commands import (
    compute_disks,
    compute_firewalls,
    compute_images,
    compute_instance_changes,
    compute_instance_disks,
    compute_instances,
    compute_networks,
    compute_snapshots,
    compute_ssh,
)
from nimbus.cli.context import Context, context_of
from nimbus.cli.failures import CliError
from nimbus.cli.flags import Filter, Flatten, Limit, SortBy
from nimbus.cli.listing import narrow
from nimbus.cli.metadata import merged
from nimbus.cli.waiting import wait_global_operation

app = typer.Typer(name="compute", help="Compute Engine.", no_args_is_help=True)
zones = typer.Typer(name="zones", help="Zones.", no_args_is_help=True)
regions = typer.Typer(name="regions", help="Regions.", no_args_is_help=True)
project_info = typer.Typer(name="project-info", help="Project-wide settings.", no_args_is_help=True)
operations = typer.Typer(name="operations", help="Long-running operations.", no_args_is_help=True)
machine_types = typer.Typer(name="machine-types", help="Machine types.", no_args_is_help=True)
for group in (zones, regions, project_info, operations, machine_types):
    app.add_typer(group)
compute_instance_disks.register(compute_instances.app)
compute_instance_changes.register(compute_instances.app)
app.add_typer(compute_instances.app)
app.add_typer(compute_images.app)
app.add_typer(compute_disks.app)
app.add_typer(compute_snapshots.app)
app.add_typer(compute_networks.app)
app.add_typer(compute_firewalls.app)
app.command("ssh", context_settings={"allow_extra_args": True})(compute_ssh.ssh)
app.command("scp")(compute_ssh.scp)

ZONES_FORMAT = "table(name, region.basename():label=REGION, status)"
REGIONS_FORMAT = "table(name, status, zones.len():label=ZONES)"
QUOTAS_FORMAT = "table(metric, usage, limit)"
MACHINE_TYPES_FORMAT = (
    "table(name, zone, guestCpus:label=CPUS, memoryMb:label=MEMORY_MB, isSharedCpu:label=SHARED)"
)
OPERATIONS_FORMAT = (
    "table(name, operationType:label=TYPE, targetLink.basename():label=TARGET, status, "
    "insertTime:label=TIMESTAMP)"
)


def _compute(ctx: typer.Context) -> tuple[Context, str]:
    context = context_of(ctx)
    return context, f"/compute/v1/projects/{context.project()}"


@zones.command("list")
def list_zones(ctx: typer.Context, filter: Filter = None, limit: Limit = None,
               sort_by: SortBy = None) -> None:  # fmt: skip
    """List the zones."""
    context, base = _compute(ctx)
    with context.api() as api:
        found = narrow(api.pages(f"{base}/zones", "items"), filter=filter, sort_by=sort_by,
                       limit=limit)  # fmt: skip
    output.show(found, context.format, ZONES_FORMAT)


@zones.command("describe")
def describe_zone(ctx: typer.Context, zone: Annotated[str, typer.Argument()]) -> None:
    """Show one zone."""
    context, base = _compute(ctx)
    with context.api() as api:
        output.show(api.get(f"{base}/zones/{zone}"), context.format, "yaml")


@regions.command("list")
def list_regions(ctx: typer.Context, filter: Filter = None, limit: Limit = None,
                 sort_by: SortBy = None) -> None:  # fmt: skip
    """List the regions."""
    context, base = _compute(ctx)
    with context.api() as api:
        found = narrow(api.pages(f"{base}/regions", "items"), filter=filter, sort_by=sort_by,
                       limit=limit)  # fmt: skip
    output.show(found, context.format, REGIONS_FORMAT)


@regions.command("describe")
def describe_region(
    ctx: typer.Context, region: Annotated[str, typer.Argument()], flatten: Flatten = None
) -> None:
    """Show one region: its quotas (usage and limit), or all of it with --format."""
    context, base = _compute(ctx)
    with context.api() as api:
        found = api.get(f"{base}/regions/{region}")
    if flatten:
        output.show(narrow([found], flatten=flatten), context.format, "yaml")
        return
    if context.format and context.format != "default":
        output.show(found, context.format, "yaml")
        return
    output.status(f"Region {found['name']} is {found['status']}; its quotas:")
    output.show(found.get("quotas", []), None, QUOTAS_FORMAT)


@project_info.command("describe")
def describe_project(ctx: typer.Context, flatten: Flatten = None) -> None:
    """Show the project's Compute Engine settings, metadata and global quotas."""
    context, base = _compute(ctx)
    with context.api() as api:
        found = api.get(base)
    shown = narrow([found], flatten=flatten) if flatten else found
    output.show(shown, context.format, "yaml")


def _set_metadata(ctx: typer.Context, change: dict[str, str | None]) -> None:
    context, base = _compute(ctx)
    with context.api() as api:
        body = merged(api.get(base)["commonInstanceMetadata"], change)
        operation = api.post(f"{base}/setCommonInstanceMetadata", body)
        wait_global_operation(api, base, operation, "Updating project metadata...")
    output.status(f"Updated [{context.project()}].")


@project_info.command("add-metadata")
def add_metadata(
    ctx: typer.Context,
    metadata: Annotated[str, typer.Option("--metadata", help="KEY=VALUE,...")],
) -> None:
    """Add or change project-wide metadata."""
    pairs: dict[str, str | None] = {}
    for pair in metadata.split(","):
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliError(f"argument --metadata: Bad syntax for dict arg: [{pair}].")
        pairs[key] = value
    _set_metadata(ctx, pairs)


@project_info.command("remove-metadata")
def remove_metadata(
    ctx: typer.Context,
    keys: Annotated[str, typer.Option("--keys", help="KEY,...")],
) -> None:
    """Remove project-wide metadata keys."""
    _set_metadata(ctx, {key: None for key in keys.split(",") if key})


def _scope(zone: str | None, region: str | None) -> str:
    if zone and region:
        raise CliError("argument --zone: At most one of --zone | --region may be specified.")
    if zone:
        return f"zones/{zone}"
    if region:
        return f"regions/{region}"
    return "global"


Zone = Annotated[str | None, typer.Option("--zone", help="A zonal operation's zone.")]
Region = Annotated[str | None, typer.Option("--region", help="A regional operation's region.")]


@operations.command("list")
def list_operations(ctx: typer.Context, zone: Zone = None, region: Region = None,
                    filter: Filter = None, limit: Limit = None) -> None:  # fmt: skip
    """List operations (global, or of one zone or region)."""
    context, base = _compute(ctx)
    with context.api() as api:
        found = narrow(api.pages(f"{base}/{_scope(zone, region)}/operations", "items"),
                       filter=filter, sort_by=None, limit=limit)  # fmt: skip
    output.show(found, context.format, OPERATIONS_FORMAT)


@operations.command("describe")
def describe_operation(ctx: typer.Context, name: Annotated[str, typer.Argument()],
                       zone: Zone = None, region: Region = None) -> None:  # fmt: skip
    """Show one operation."""
    context, base = _compute(ctx)
    with context.api() as api:
        found = api.get(f"{base}/{_scope(zone, region)}/operations/{name}")
    output.show(found, context.format, "yaml")


@operations.command("wait")
def wait_operation(ctx: typer.Context, name: Annotated[str, typer.Argument()],
                   zone: Zone = None, region: Region = None) -> None:  # fmt: skip
    """Wait for an operation to finish and show it."""
    context, base = _compute(ctx)
    with context.api() as api:
        found = api.post(f"{base}/{_scope(zone, region)}/operations/{name}/wait")
    output.show(found, context.format, "yaml")


@machine_types.command("list")
def list_machine_types(
    ctx: typer.Context,
    zones_flag: Annotated[
        str | None, typer.Option("--zones", help="Comma-separated zones (default: all).")
    ] = None,
    filter: Filter = None,
    limit: Limit = None,
    sort_by: SortBy = None,
) -> None:
    """List machine types, in some zones or in all."""
    context, base = _compute(ctx)
    with context.api() as api:
        if zones_flag:
            found = [
                item
                for zone in zones_flag.split(",")
                for item in api.pages(f"{base}/zones/{zone}/machineTypes", "items")
            ]
        else:
            aggregated = api.get(f"{base}/aggregated/machineTypes")["items"]
            found = [t for scope in aggregated.values() for t in scope.get("machineTypes", [])]
        shown = narrow(found, filter=filter, sort_by=sort_by, limit=limit)
    output.show(shown, context.format, MACHINE_TYPES_FORMAT)


@machine_types.command("describe")
def describe_machine_type(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    zone: Annotated[str, typer.Option("--zone", help="The zone.")],
) -> None:
    """Show one machine type."""
    context, base = _compute(ctx)
    with context.api() as api:
        output.show(api.get(f"{base}/zones/{zone}/machineTypes/{name}"), context.format, "yaml")
