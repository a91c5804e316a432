"""``nimbus compute instances``: gcloud's grammar for creating and driving instances."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from nimbus.cli import output
from nimbus.cli.client import Api
from nimbus.cli.context import Context, context_of
from nimbus.cli.failures import CliError
from nimbus.cli.flags import Filter, Limit, SortBy, key_values, names
from nimbus.cli.instance_disks import BootDiskFlags, instance_disks
from nimbus.cli.instance_network import network_interface
from nimbus.cli.instance_scheduling import SchedulingFlags, guest_accelerators, scheduling
from nimbus.cli.listing import narrow
from nimbus.cli.metadata import merged
from nimbus.cli.prompts import confirm
from nimbus.cli.scopes import DEFAULT, expand_scopes
from nimbus.cli.waiting import wait_zone_operation
from nimbus.cli.zonal import chosen_zone

app = typer.Typer(name="instances", help="Virtual machine instances.", no_args_is_help=True)

INSTANCES_FORMAT = (
    "table(name, zone.basename():label=ZONE, machineType.basename():label=MACHINE_TYPE, "
    "scheduling.preemptible.yesno():label=PREEMPTIBLE, "
    "networkInterfaces[0].networkIP:label=INTERNAL_IP, "
    "networkInterfaces[0].accessConfigs[0].natIP:label=EXTERNAL_IP, status)"
)

ZoneFlag = Annotated[str | None, typer.Option("--zone", help="The instance's zone.")]
Names = Annotated[list[str], typer.Argument(help="Instance names.")]
Async = Annotated[bool, typer.Option("--async", help="Return without waiting.")]


def _zone(context: Context, zone: str | None) -> str:
    return chosen_zone(context, zone)


def _base(ctx: typer.Context, zone: str | None) -> tuple[Context, str, str]:
    context = context_of(ctx)
    return context, f"/compute/v1/projects/{context.project()}", _zone(context, zone)


def _metadata(inline: str | None, from_file: str | None) -> list[dict[str, str]]:
    items = key_values(inline, "--metadata")
    for key, path in key_values(from_file, "--metadata-from-file").items():
        try:
            items[key] = Path(path).expanduser().read_text()
        except OSError as error:
            raise CliError(f"Unable to read file [{path}]: {error.strerror}") from error
    return [{"key": k, "value": v} for k, v in items.items()]


@app.command("create")
def create(
    ctx: typer.Context,
    instance_names: Names,
    zone: ZoneFlag = None,
    machine_type: Annotated[str, typer.Option("--machine-type")] = "n1-standard-1",
    image: Annotated[str | None, typer.Option("--image")] = None,
    image_family: Annotated[str | None, typer.Option("--image-family")] = None,
    image_project: Annotated[str | None, typer.Option("--image-project")] = None,
    boot_disk_size: Annotated[str | None, typer.Option("--boot-disk-size")] = None,
    boot_disk_type: Annotated[str | None, typer.Option("--boot-disk-type")] = None,
    boot_disk_auto_delete: Annotated[
        bool, typer.Option("--boot-disk-auto-delete/--no-boot-disk-auto-delete")
    ] = True,
    boot_disk_device_name: Annotated[str | None, typer.Option("--boot-disk-device-name")] = None,
    disk: Annotated[
        list[str] | None, typer.Option("--disk", help="name=D,device-name=X,mode=rw|ro,boot=yes")
    ] = None,
    create_disk: Annotated[
        list[str] | None, typer.Option("--create-disk", help="name=N,size=10GB,image=I,...")
    ] = None,
    metadata: Annotated[str | None, typer.Option("--metadata")] = None,
    metadata_from_file: Annotated[str | None, typer.Option("--metadata-from-file")] = None,
    labels: Annotated[str | None, typer.Option("--labels")] = None,
    tags: Annotated[str | None, typer.Option("--tags")] = None,
    scopes: Annotated[str | None, typer.Option("--scopes")] = None,
    no_scopes: Annotated[bool, typer.Option("--no-scopes")] = False,
    service_account: Annotated[str | None, typer.Option("--service-account")] = None,
    no_service_account: Annotated[bool, typer.Option("--no-service-account")] = False,
    maintenance_policy: Annotated[str | None, typer.Option("--maintenance-policy")] = None,
    preemptible: Annotated[bool, typer.Option("--preemptible")] = False,
    provisioning_model: Annotated[str | None, typer.Option("--provisioning-model")] = None,
    instance_termination_action: Annotated[
        str | None, typer.Option("--instance-termination-action")
    ] = None,
    restart_on_failure: Annotated[
        bool | None, typer.Option("--restart-on-failure/--no-restart-on-failure")
    ] = None,
    accelerator: Annotated[str | None, typer.Option("--accelerator", help="type=T,count=N")] = None,
    network: Annotated[str | None, typer.Option("--network")] = None,
    subnet: Annotated[str | None, typer.Option("--subnet")] = None,
    private_network_ip: Annotated[str | None, typer.Option("--private-network-ip")] = None,
    no_address: Annotated[bool, typer.Option("--no-address")] = False,
    description: Annotated[str | None, typer.Option("--description")] = None,
    run_async: Async = False,
) -> None:
    """Create instances and wait until they run."""
    context, base, chosen_zone = _base(ctx, zone)
    boot = BootDiskFlags(image, image_family, image_project, boot_disk_size, boot_disk_type,
                         boot_disk_auto_delete, boot_disk_device_name)  # fmt: skip
    disks = instance_disks(context.project(), chosen_zone, boot, disk or [], create_disk or [])
    schedule = scheduling(SchedulingFlags(preemptible, provisioning_model,
                                          instance_termination_action, maintenance_policy,
                                          restart_on_failure))  # fmt: skip
    accelerators = guest_accelerators(accelerator, chosen_zone)
    accounts: list[dict[str, Any]] = []
    if not no_service_account:
        chosen_scopes = (
            [] if no_scopes else (expand_scopes(names(scopes)) if scopes else list(DEFAULT))
        )
        accounts = [{"email": service_account or "default", "scopes": chosen_scopes}]
    interface = network_interface(network, subnet, private_network_ip, chosen_zone,
                                  no_address=no_address, count=len(instance_names))  # fmt: skip
    created = []
    with context.api() as api:
        operations = []
        for name in instance_names:
            body = {
                "name": name,
                "description": description or "",
                "machineType": f"zones/{chosen_zone}/machineTypes/{machine_type}",
                "disks": disks,
                "networkInterfaces": [interface],
                "metadata": {"items": _metadata(metadata, metadata_from_file)},
                "labels": key_values(labels, "--labels"),
                "tags": {"items": names(tags)},
                "serviceAccounts": accounts,
                "scheduling": schedule,
                "guestAccelerators": accelerators,
            }
            operations.append(api.post(f"{base}/zones/{chosen_zone}/instances", body))
        for name, operation in zip(instance_names, operations, strict=True):
            if run_async:
                output.status(f"Create in progress for [{operation.get('targetLink')}].")
                continue
            done = wait_zone_operation(api, base, chosen_zone, operation, f"Creating {name}...")
            output.status(f"Created [{done.get('targetLink')}].")
            created.append(api.get(f"{base}/zones/{chosen_zone}/instances/{name}"))
    if created:
        output.show(created, context.format, INSTANCES_FORMAT)


@app.command("list")
def list_instances(
    ctx: typer.Context,
    zones: Annotated[str | None, typer.Option("--zones")] = None,
    filter: Filter = None,
    limit: Limit = None,
    sort_by: SortBy = None,
) -> None:
    """List instances (in every zone, or in the zones given)."""
    context = context_of(ctx)
    base = f"/compute/v1/projects/{context.project()}"
    with context.api() as api:
        aggregated = api.get(f"{base}/aggregated/instances")["items"]
        found = [
            item
            for scope, entry in aggregated.items()
            for item in entry.get("instances", [])
            if not zones or scope.split("/")[-1] in names(zones)
        ]
    output.show(narrow(found, filter=filter, sort_by=sort_by, limit=limit), context.format,
                INSTANCES_FORMAT)  # fmt: skip


@app.command("describe")
def describe(
    ctx: typer.Context, name: Annotated[str, typer.Argument()], zone: ZoneFlag = None
) -> None:
    """Show one instance."""
    context, base, chosen_zone = _base(ctx, zone)
    with context.api() as api:
        output.show(api.get(f"{base}/zones/{chosen_zone}/instances/{name}"), context.format, "yaml")


def _each(
    ctx: typer.Context, instance_names: list[str], zone: str | None, verb: str, gerund: str,
    run_async: bool,
) -> None:  # fmt: skip
    context, base, chosen_zone = _base(ctx, zone)
    with context.api() as api:
        started = [(name, _act(api, base, chosen_zone, name, verb)) for name in instance_names]
        for name, operation in started:
            link = operation.get("targetLink")
            if run_async:
                output.status(f"{verb.capitalize()} in progress for [{link}].")
                continue
            wait_zone_operation(api, base, chosen_zone, operation, f"{gerund} {name}...")
            output.status(f"Updated [{link}]." if verb != "delete" else f"Deleted [{link}].")


def _act(api: Api, base: str, zone: str, name: str, verb: str) -> dict[str, Any]:
    path = f"{base}/zones/{zone}/instances/{name}"
    return api.delete(path) if verb == "delete" else api.post(f"{path}/{verb}")


@app.command("delete")
def delete(ctx: typer.Context, instance_names: Names, zone: ZoneFlag = None,
           run_async: Async = False) -> None:  # fmt: skip
    """Delete instances."""
    context = context_of(ctx)
    listed = "\n".join(f" - [{n}] in [{_zone(context, zone)}]" for n in instance_names)
    confirm(f"The following instances will be deleted:\n{listed}", quiet=context.quiet)
    _each(ctx, instance_names, zone, "delete", "Deleting", run_async)


@app.command("start")
def start(ctx: typer.Context, instance_names: Names, zone: ZoneFlag = None,
          run_async: Async = False) -> None:  # fmt: skip
    """Start stopped instances."""
    _each(ctx, instance_names, zone, "start", "Starting", run_async)


@app.command("stop")
def stop(ctx: typer.Context, instance_names: Names, zone: ZoneFlag = None,
         run_async: Async = False) -> None:  # fmt: skip
    """Stop instances (their shutdown scripts run first)."""
    _each(ctx, instance_names, zone, "stop", "Stopping", run_async)


@app.command("reset")
def reset(ctx: typer.Context, instance_names: Names, zone: ZoneFlag = None,
          run_async: Async = False) -> None:  # fmt: skip
    """Power-cycle instances at once."""
    _each(ctx, instance_names, zone, "reset", "Resetting", run_async)


def _change_metadata(
    ctx: typer.Context, name: str, zone: str | None, change: dict[str, str | None]
) -> None:
    context, base, chosen_zone = _base(ctx, zone)
    path = f"{base}/zones/{chosen_zone}/instances/{name}"
    with context.api() as api:
        body = merged(api.get(path)["metadata"], change)
        operation = api.post(f"{path}/setMetadata", body)
        done = wait_zone_operation(api, base, chosen_zone, operation, "Updating metadata...")
    output.status(f"Updated [{done.get('targetLink')}].")


@app.command("add-metadata")
def add_metadata(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    zone: ZoneFlag = None,
    metadata: Annotated[str | None, typer.Option("--metadata")] = None,
    metadata_from_file: Annotated[str | None, typer.Option("--metadata-from-file")] = None,
) -> None:
    """Add or change metadata of an instance."""
    items = _metadata(metadata, metadata_from_file)
    if not items:
        raise CliError("At least one of [--metadata] or [--metadata-from-file] must be provided.")
    _change_metadata(ctx, name, zone, {i["key"]: i["value"] for i in items})


@app.command("remove-metadata")
def remove_metadata(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    zone: ZoneFlag = None,
    keys: Annotated[str | None, typer.Option("--keys")] = None,
    remove_all: Annotated[bool, typer.Option("--all")] = False,
) -> None:
    """Remove metadata keys of an instance (or all of them)."""
    if not keys and not remove_all:
        raise CliError("One of [--all] or [--keys] must be provided.")
    if remove_all:
        context, base, chosen_zone = _base(ctx, zone)
        with context.api() as api:
            current = api.get(f"{base}/zones/{chosen_zone}/instances/{name}")["metadata"]
        _change_metadata(ctx, name, zone, {i["key"]: None for i in current.get("items", [])})
    else:
        _change_metadata(ctx, name, zone, {key: None for key in names(keys)})


@app.command("get-serial-port-output")
def get_serial_port_output(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    zone: ZoneFlag = None,
    port: Annotated[int, typer.Option("--port", min=1, max=4)] = 1,
    start: Annotated[int | None, typer.Option("--start")] = None,
) -> None:
    """Print the instance's serial console output."""
    context, base, chosen_zone = _base(ctx, zone)
    params: dict[str, Any] = {"port": port}
    if start is not None:
        params["start"] = start
    with context.api() as api:
        found = api.get(f"{base}/zones/{chosen_zone}/instances/{name}/serialPort", params)
    print(found.get("contents", ""), end="")
    output.status(
        f"\nSpecify --start={found.get('next')} in the next get-serial-port-output invocation "
        "to get only the new output starting from here."
    )
