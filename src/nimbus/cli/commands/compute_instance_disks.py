"""``nimbus compute instances attach-disk | detach-disk | set-disk-auto-delete``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nimbus.cli import output
from nimbus.cli.client import Api
from nimbus.cli.dict_args import READ_ONLY, READ_WRITE
from nimbus.cli.failures import CliError
from nimbus.cli.waiting import wait_zone_operation
from nimbus.cli.zonal import Zonal, zonal

Instance = Annotated[str, typer.Argument(help="The instance's name.", show_default=False)]
ZoneFlag = Annotated[str | None, typer.Option("--zone", help="The instance's zone.")]
DiskFlag = Annotated[str | None, typer.Option("--disk", help="The disk's name.")]
DeviceName = Annotated[
    str | None, typer.Option("--device-name", help="The disk's device name on the instance.")
]
_MODES = {"rw": READ_WRITE, "ro": READ_ONLY}


def register(app: typer.Typer) -> None:
    app.command("attach-disk")(attach_disk)
    app.command("detach-disk")(detach_disk)
    app.command("set-disk-auto-delete")(set_disk_auto_delete)


def attach_disk(
    ctx: typer.Context,
    instance: Instance,
    disk: Annotated[str, typer.Option("--disk", help="The disk's name.")],
    zone: ZoneFlag = None,
    device_name: DeviceName = None,
    mode: Annotated[str, typer.Option("--mode", help="rw (read-write) or ro (read-only).")] = "rw",
) -> None:
    """Attach an existing disk to an instance."""
    if mode not in _MODES:
        raise CliError(f"argument --mode: Invalid choice: '{mode}'. Valid choices are [ro, rw].")
    target = zonal(ctx, zone)
    body: dict[str, Any] = {
        "type": "PERSISTENT",
        "source": f"projects/{target.project}/zones/{target.zone}/disks/{disk}",
        "mode": _MODES[mode],
    }
    if device_name:
        body["deviceName"] = device_name
    with target.context.api() as api:
        operation = api.post(f"{target.path('instances', instance)}/attachDisk", body)
        _updated(api, target, operation, f"Attaching {disk} to {instance}...")


def detach_disk(
    ctx: typer.Context,
    instance: Instance,
    disk: DiskFlag = None,
    device_name: DeviceName = None,
    zone: ZoneFlag = None,
) -> None:
    """Detach a disk (named by disk or by device name) from an instance."""
    target = zonal(ctx, zone)
    path = target.path("instances", instance)
    with target.context.api() as api:
        device = _device(api, target, instance, disk, device_name)
        operation = api.request("POST", f"{path}/detachDisk", params={"deviceName": device},
                                body={})  # fmt: skip
        _updated(api, target, operation, f"Detaching {device} from {instance}...")


def set_disk_auto_delete(
    ctx: typer.Context,
    instance: Instance,
    disk: DiskFlag = None,
    device_name: DeviceName = None,
    auto_delete: Annotated[
        bool,
        typer.Option("--auto-delete/--no-auto-delete", help="Delete the disk with the instance."),
    ] = True,
    zone: ZoneFlag = None,
) -> None:
    """Say whether a disk is deleted with its instance."""
    target = zonal(ctx, zone)
    path = target.path("instances", instance)
    with target.context.api() as api:
        device = _device(api, target, instance, disk, device_name)
        params = {"deviceName": device, "autoDelete": "true" if auto_delete else "false"}
        operation = api.request("POST", f"{path}/setDiskAutoDelete", params=params, body={})
        _updated(api, target, operation, f"Updating {device} of {instance}...")


def _device(
    api: Api, target: Zonal, instance: str, disk: str | None, device_name: str | None
) -> str:
    """The device name to act on: given, or the one the disk has on the instance."""
    if (disk is None) == (device_name is None):
        raise CliError("Exactly one of (--device-name | --disk) must be specified.")
    if device_name is not None:
        return device_name
    found = api.get(target.path("instances", instance))
    for attached in found.get("disks") or []:
        if str(attached.get("source", "")).rsplit("/", 1)[-1] == disk:
            return str(attached["deviceName"])
    raise CliError(
        f"Disk [{disk}] is not attached to instance [{instance}] in zone [{target.zone}]."
    )


def _updated(api: Api, target: Zonal, operation: dict[str, Any], progress: str) -> None:
    done = wait_zone_operation(api, target.base, target.zone, operation, progress)
    output.status(f"Updated [{done.get('targetLink')}].")
