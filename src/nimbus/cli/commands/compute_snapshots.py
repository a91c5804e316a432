"""``nimbus compute snapshots``: gcloud's grammar for disk snapshots."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nimbus.cli import output
from nimbus.cli.context import Context, context_of
from nimbus.cli.derived_columns import scoped, with_derived
from nimbus.cli.flags import Filter, Limit, SortBy, key_values
from nimbus.cli.listing import narrow
from nimbus.cli.prompts import confirm
from nimbus.cli.waiting import wait_global_operation
from nimbus.cli.zonal import chosen_zone

app = typer.Typer(name="snapshots", help="Disk snapshots.", no_args_is_help=True)

LIST_FORMAT = "table(name, diskSizeGb, _src_disk:label=SRC_DISK, status)"
Name = Annotated[str, typer.Argument(help="The snapshot's name.", show_default=False)]
Names = Annotated[list[str], typer.Argument(help="Snapshot names.", show_default=False)]


def _base(context: Context) -> str:
    return f"/compute/v1/projects/{context.project()}"


@app.command("create")
def create(
    ctx: typer.Context,
    name: Name,
    source_disk: Annotated[str, typer.Option("--source-disk", help="The disk to snapshot.")],
    source_disk_zone: Annotated[
        str | None, typer.Option("--source-disk-zone", help="The source disk's zone.")
    ] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    labels: Annotated[str | None, typer.Option("--labels", help="KEY=VALUE,...")] = None,
    run_async: Annotated[bool, typer.Option("--async", help="Return without waiting.")] = False,
) -> None:
    """Snapshot a disk into a new snapshot."""
    context = context_of(ctx)
    base = _base(context)
    disk = source_disk
    if "/" not in disk:
        zone = chosen_zone(context, source_disk_zone, "--source-disk-zone")
        disk = f"projects/{context.project()}/zones/{zone}/disks/{source_disk}"
    body: dict[str, Any] = {
        "name": name,
        "sourceDisk": disk,
        "labels": key_values(labels, "--labels"),
    }
    if description:
        body["description"] = description
    with context.api() as api:
        operation = api.post(f"{base}/global/snapshots", body)
        if run_async:
            output.status(f"Create in progress for [{operation.get('targetLink')}].")
            return
        progress = f"Creating gce snapshot {name}"
        wait_global_operation(api, base, operation, f"{progress}...")
    output.status(f"{progress}...done.")


@app.command("list")
def list_snapshots(
    ctx: typer.Context, filter: Filter = None, limit: Limit = None, sort_by: SortBy = None
) -> None:
    """List the project's snapshots."""
    context = context_of(ctx)
    with context.api() as api:
        found = list(api.pages(f"{_base(context)}/global/snapshots", "items"))
    shown = narrow(found, filter=filter, sort_by=sort_by, limit=limit)
    derived = with_derived(
        shown, context.format, lambda s: {"_src_disk": scoped(s.get("sourceDisk"))}
    )
    output.show(derived, context.format, LIST_FORMAT)


@app.command("describe")
def describe(ctx: typer.Context, name: Name) -> None:
    """Show one snapshot."""
    context = context_of(ctx)
    with context.api() as api:
        found = api.get(f"{_base(context)}/global/snapshots/{name}")
    output.show(found, context.format, "yaml")


@app.command("delete")
def delete(ctx: typer.Context, snapshot_names: Names) -> None:
    """Delete snapshots (disks made from them stay)."""
    context = context_of(ctx)
    listed = "\n".join(f" - [{name}]" for name in snapshot_names)
    confirm(f"The following snapshots will be deleted:\n{listed}", quiet=context.quiet)
    base = _base(context)
    with context.api() as api:
        started = [api.delete(f"{base}/global/snapshots/{n}") for n in snapshot_names]
        for name, operation in zip(snapshot_names, started, strict=True):
            wait_global_operation(api, base, operation, f"Deleting {name}...")
            output.status(f"Deleted [{operation.get('targetLink')}].")
