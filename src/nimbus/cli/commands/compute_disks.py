"""``nimbus compute disks``: gcloud's grammar for persistent disks."""

from __future__ import annotations

import secrets
import string
from typing import Annotated, Any

import typer

from nimbus.cli import output
from nimbus.cli.client import Api
from nimbus.cli.context import context_of
from nimbus.cli.derived_columns import location, with_derived
from nimbus.cli.failures import CliError
from nimbus.cli.flags import Filter, Limit, SortBy, key_values, names
from nimbus.cli.image_refs import image_ref
from nimbus.cli.listing import narrow
from nimbus.cli.prompts import confirm
from nimbus.cli.sizes import size_gb, warn_if_small
from nimbus.cli.waiting import wait_zone_operation
from nimbus.cli.zonal import Zonal, zonal

app = typer.Typer(name="disks", help="Persistent disks.", no_args_is_help=True)

CREATED_FORMAT = (
    "table(name, zone.basename():label=ZONE, sizeGb, type.basename():label=TYPE, status)"
)
LIST_FORMAT = (
    "table(name, _location:label=LOCATION, _location_scope:label=LOCATION_SCOPE, sizeGb, "
    "type.basename():label=TYPE, status)"
)
UNFORMATTED = (
    "\nNew disks are unformatted. You must format and mount a disk before it\n"
    "can be used. You can find instructions on how to do this at:\n\n"
    "https://cloud.google.com/compute/docs/disks/add-persistent-disk#formatting\n"
)
RESIZE_PROMPT = (
    "This command increases disk size. This change is not reversible.\n"
    "For more information, see:\n"
    "https://cloud.google.com/sdk/gcloud/reference/compute/disks/resize"
)

ZoneFlag = Annotated[str | None, typer.Option("--zone", help="The disks' zone.")]
Names = Annotated[list[str], typer.Argument(help="Disk names.", show_default=False)]
Name = Annotated[str, typer.Argument(help="The disk's name.", show_default=False)]
Async = Annotated[bool, typer.Option("--async", help="Return without waiting.")]
Labels = Annotated[str | None, typer.Option("--labels", help="KEY=VALUE,...")]
Description = Annotated[str | None, typer.Option("--description")]


@app.command("create")
def create(
    ctx: typer.Context,
    disk_names: Names,
    zone: ZoneFlag = None,
    size: Annotated[str | None, typer.Option("--size", help="e.g. 10GB, 1TB.")] = None,
    disk_type: Annotated[
        str | None, typer.Option("--type", help="pd-standard, pd-balanced or pd-ssd.")
    ] = None,
    image: Annotated[str | None, typer.Option("--image")] = None,
    image_family: Annotated[str | None, typer.Option("--image-family")] = None,
    image_project: Annotated[str | None, typer.Option("--image-project")] = None,
    source_snapshot: Annotated[str | None, typer.Option("--source-snapshot")] = None,
    description: Description = None,
    labels: Labels = None,
    run_async: Async = False,
) -> None:
    """Create persistent disks: blank, or from an image or a snapshot."""
    target = zonal(ctx, zone)
    if source_snapshot and (image or image_family):
        raise CliError(
            "argument --source-snapshot: At most one of --image | --image-family | "
            "--source-snapshot may be specified."
        )
    body: dict[str, Any] = {"labels": key_values(labels, "--labels")}
    source = image_ref(target.project, image, image_family, image_project)
    if source:
        body["sourceImage"] = source
    if source_snapshot:
        body["sourceSnapshot"] = _snapshot_ref(target.project, source_snapshot)
    if size is not None:
        body["sizeGb"] = str(size_gb(size, "--size"))
        warn_if_small(int(body["sizeGb"]), disk_type)
    if disk_type:
        body["type"] = f"projects/{target.project}/zones/{target.zone}/diskTypes/{disk_type}"
    if description:
        body["description"] = description
    created = []
    with target.context.api() as api:
        started = [(n, api.post(target.path("disks"), {**body, "name": n})) for n in disk_names]
        for name, operation in started:
            if run_async:
                output.status(f"Create in progress for [{operation.get('targetLink')}].")
                continue
            done = wait_zone_operation(api, target.base, target.zone, operation,
                                       f"Creating {name}...")  # fmt: skip
            output.status(f"Created [{done.get('targetLink')}].")
            created.append(api.get(target.path("disks", name)))
    if created:
        output.show(created, target.context.format, CREATED_FORMAT)
    if not source and not source_snapshot:
        output.status(UNFORMATTED)


def _snapshot_ref(project: str, snapshot: str) -> str:
    return snapshot if "/" in snapshot else f"projects/{project}/global/snapshots/{snapshot}"


@app.command("list")
def list_disks(
    ctx: typer.Context,
    zones: Annotated[str | None, typer.Option("--zones", help="ZONE,... (default: all).")] = None,
    filter: Filter = None,
    limit: Limit = None,
    sort_by: SortBy = None,
) -> None:
    """List disks (in every zone, or in the zones given)."""
    context = context_of(ctx)
    with context.api() as api:
        aggregated = api.get(f"/compute/v1/projects/{context.project()}/aggregated/disks")
    wanted = names(zones)
    found = [
        disk
        for scope, entry in (aggregated.get("items") or {}).items()
        for disk in entry.get("disks", [])
        if not wanted or scope.rsplit("/", 1)[-1] in wanted
    ]
    shown = narrow(found, filter=filter, sort_by=sort_by, limit=limit)
    output.show(with_derived(shown, context.format, location), context.format, LIST_FORMAT)


@app.command("describe")
def describe(ctx: typer.Context, name: Name, zone: ZoneFlag = None) -> None:
    """Show one disk."""
    target = zonal(ctx, zone)
    with target.context.api() as api:
        output.show(api.get(target.path("disks", name)), target.context.format, "yaml")


@app.command("delete")
def delete(ctx: typer.Context, disk_names: Names, zone: ZoneFlag = None,
           run_async: Async = False) -> None:  # fmt: skip
    """Delete disks (not while an instance uses them)."""
    target = zonal(ctx, zone)
    listed = "\n".join(f" - [{name}] in [{target.zone}]" for name in disk_names)
    confirm(f"The following disks will be deleted:\n{listed}", quiet=target.context.quiet)
    with target.context.api() as api:
        started = [(n, api.delete(target.path("disks", n))) for n in disk_names]
        _finish(target, api, started, run_async, "Deleting", "Deleted")


@app.command("resize")
def resize(
    ctx: typer.Context,
    disk_names: Names,
    size: Annotated[str, typer.Option("--size", help="The new size, e.g. 200GB.")],
    zone: ZoneFlag = None,
    run_async: Async = False,
) -> None:
    """Grow disks (they never shrink)."""
    target = zonal(ctx, zone)
    body = {"sizeGb": str(size_gb(size, "--size"))}
    confirm(RESIZE_PROMPT, quiet=target.context.quiet)
    with target.context.api() as api:
        started = [(n, api.post(f"{target.path('disks', n)}/resize", body)) for n in disk_names]
        _finish(target, api, started, run_async, "Resizing", "Updated")


def _finish(target: Zonal, api: Api, started: list[tuple[str, dict[str, Any]]],
            run_async: bool, gerund: str, past: str) -> None:  # fmt: skip
    """Wait for each disk's Operation and say so, as gcloud does."""
    for name, operation in started:
        link = operation.get("targetLink")
        if run_async:
            output.status(f"{gerund} in progress for [{link}].")
            continue
        wait_zone_operation(api, target.base, target.zone, operation, f"{gerund} {name}...")
        output.status(f"{past} [{link}].")


@app.command("snapshot")
def snapshot(
    ctx: typer.Context,
    disk_names: Names,
    zone: ZoneFlag = None,
    snapshot_names: Annotated[
        str | None, typer.Option("--snapshot-names", help="NAME,... one per disk.")
    ] = None,
    description: Description = None,
    labels: Labels = None,
    run_async: Async = False,
) -> None:
    """Snapshot disks, each into a new snapshot."""
    target = zonal(ctx, zone)
    chosen = names(snapshot_names) or [_random_name() for _ in disk_names]
    if len(chosen) != len(disk_names):
        raise CliError(
            "[--snapshot-names] must have the same number of values as disks being snapshotted."
        )
    common: dict[str, Any] = {"labels": key_values(labels, "--labels")}
    if description:
        common["description"] = description
    with target.context.api() as api:
        started = [
            api.post(f"{target.path('disks', disk)}/createSnapshot", {**common, "name": name})
            for disk, name in zip(disk_names, chosen, strict=True)
        ]
        progress = f"Creating snapshot(s) {', '.join(chosen)}"
        for operation in started:
            if run_async:
                output.status(f"Snapshot in progress for [{operation.get('targetLink')}].")
                continue
            wait_zone_operation(api, target.base, target.zone, operation, f"{progress}...")
    if not run_async:
        output.status(f"{progress}...done.")


def _random_name() -> str:
    """gcloud names unnamed snapshots at random: a letter, then letters and digits."""
    alphabet = string.ascii_lowercase + string.digits
    return secrets.choice(string.ascii_lowercase) + "".join(
        secrets.choice(alphabet) for _ in range(11)
    )


def _set_labels(target: Zonal, name: str, change: dict[str, str | None], all_: bool) -> None:
    path = target.path("disks", name)
    with target.context.api() as api:
        disk = api.get(path)
        labels = {} if all_ else dict(disk.get("labels") or {})
        for key, value in change.items():
            if value is None:
                labels.pop(key, None)
            else:
                labels[key] = value
        body = {"labels": labels, "labelFingerprint": disk.get("labelFingerprint")}
        operation = api.post(f"{path}/setLabels", body)
        progress = f"Updating labels of disk [{name}]"
        wait_zone_operation(api, target.base, target.zone, operation, f"{progress}...")
    output.status(f"{progress}...done.")


@app.command("add-labels")
def add_labels(
    ctx: typer.Context,
    name: Name,
    labels: Annotated[str, typer.Option("--labels", help="KEY=VALUE,...")],
    zone: ZoneFlag = None,
) -> None:
    """Add or change labels of a disk."""
    change: dict[str, str | None] = {**key_values(labels, "--labels")}
    _set_labels(zonal(ctx, zone), name, change, all_=False)


@app.command("remove-labels")
def remove_labels(
    ctx: typer.Context,
    name: Name,
    labels: Annotated[str | None, typer.Option("--labels", help="KEY,...")] = None,
    remove_all: Annotated[bool, typer.Option("--all", help="Remove every label.")] = False,
    zone: ZoneFlag = None,
) -> None:
    """Remove labels of a disk (some, or all)."""
    if not labels and not remove_all:
        raise CliError("One of [--all] or [--labels] must be provided.")
    change: dict[str, str | None] = {key: None for key in names(labels)}
    _set_labels(zonal(ctx, zone), name, change, all_=remove_all)
