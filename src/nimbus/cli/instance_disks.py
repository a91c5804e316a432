"""The ``disks`` of an ``instances.insert`` body, from gcloud's flags.

The boot disk is new, from an image (``--image``, ``--boot-disk-*``), unless one
``--disk`` says ``boot=yes``; each ``--disk`` attaches an existing disk and each
``--create-disk`` makes a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nimbus.cli.dict_args import dict_arg, disk_mode, yes_no
from nimbus.cli.failures import CliError
from nimbus.cli.image_refs import PUBLIC_IMAGES, image_ref
from nimbus.cli.sizes import size_gb, warn_if_small

DISK_KEYS = ("auto-delete", "boot", "device-name", "mode", "name")
CREATE_DISK_KEYS = (
    "auto-delete", "description", "device-name", "image", "image-family", "image-project",
    "mode", "name", "size", "type",
)  # fmt: skip
DEFAULT_IMAGE = f"projects/{PUBLIC_IMAGES}/global/images/family/debian-12"
Body = dict[str, Any]


@dataclass(frozen=True)
class BootDiskFlags:
    image: str | None = None
    image_family: str | None = None
    image_project: str | None = None
    size: str | None = None
    disk_type: str | None = None
    auto_delete: bool = True
    device_name: str | None = None


def instance_disks(
    project: str, zone: str, boot: BootDiskFlags, disks: list[str], create_disks: list[str]
) -> list[Body]:
    """Every disk of the new instance, boot disk first."""
    existing = [_existing(spec, project, zone) for spec in disks]
    created = [_created(spec, project, zone) for spec in create_disks]
    booting = [disk for disk in existing if disk["boot"]]
    if len(booting) > 1:
        raise CliError(
            "argument --disk: Each instance can have exactly one boot disk; more than one "
            "[--disk] says [boot=yes]."
        )
    if booting:
        _refuse_new_boot_flags(boot)
        return [*booting, *(d for d in existing if not d["boot"]), *created]
    return [_new_boot_disk(project, zone, boot), *existing, *created]


def _new_boot_disk(project: str, zone: str, boot: BootDiskFlags) -> Body:
    source = image_ref(project, boot.image, boot.image_family, boot.image_project)
    params: Body = {"sourceImage": source or DEFAULT_IMAGE}
    if boot.size is not None:
        size = size_gb(boot.size, "--boot-disk-size")
        warn_if_small(size, boot.disk_type)
        params["diskSizeGb"] = str(size)
    if boot.disk_type:
        params["diskType"] = _disk_type(zone, boot.disk_type)
    body: Body = {
        "boot": True,
        "autoDelete": boot.auto_delete,
        "type": "PERSISTENT",
        "initializeParams": params,
    }
    if boot.device_name:
        body["deviceName"] = boot.device_name
    return body


def _refuse_new_boot_flags(boot: BootDiskFlags) -> None:
    """A boot disk given with ``--disk`` leaves no new boot disk for these flags."""
    if boot.image or boot.image_family:
        flag = "--image" if boot.image else "--image-family"
        raise CliError(
            "Each instance can have exactly one boot disk. One boot disk was specified "
            f"through [--disk] and another through [{flag}]."
        )
    given = {
        "--boot-disk-size": boot.size,
        "--boot-disk-type": boot.disk_type,
        "--boot-disk-device-name": boot.device_name,
        "--image-project": boot.image_project,
    }
    for flag, value in given.items():
        if value:
            raise CliError(f"[{flag}] can only be used when creating a new boot disk.")


def _existing(spec: str, project: str, zone: str) -> Body:
    pairs = dict_arg(spec, "--disk", DISK_KEYS)
    name = pairs.get("name")
    if not name:
        raise CliError(
            "[name] is missing in [--disk]. [--disk] value must be of the form [name=NAME "
            "[mode={ro,rw}] [boot={yes,no}] [device-name=DEVICE_NAME] [auto-delete={yes,no}]]."
        )
    body: Body = {
        "type": "PERSISTENT",
        "source": name if "/" in name else f"projects/{project}/zones/{zone}/disks/{name}",
        "mode": disk_mode(pairs.get("mode"), "--disk"),
        "boot": yes_no(pairs, "boot", "--disk", default=False),
        "autoDelete": yes_no(pairs, "auto-delete", "--disk", default=False),
    }
    if pairs.get("device-name"):
        body["deviceName"] = pairs["device-name"]
    return body


def _created(spec: str, project: str, zone: str) -> Body:
    flag = "--create-disk"
    pairs = dict_arg(spec, flag, CREATE_DISK_KEYS)
    params: Body = {}
    if pairs.get("name"):
        params["diskName"] = pairs["name"]
    if pairs.get("description"):
        params["description"] = pairs["description"]
    if pairs.get("size"):
        size = size_gb(pairs["size"], flag)
        warn_if_small(size, pairs.get("type"))
        params["diskSizeGb"] = str(size)
    if pairs.get("type"):
        params["diskType"] = _disk_type(zone, pairs["type"])
    source = image_ref(
        project,
        pairs.get("image"),
        pairs.get("image-family"),
        pairs.get("image-project"),
        within=flag,
    )
    if source:
        params["sourceImage"] = source
    body: Body = {
        "type": "PERSISTENT",
        "boot": False,
        "mode": disk_mode(pairs.get("mode"), flag),
        "autoDelete": yes_no(pairs, "auto-delete", flag, default=True),
        "initializeParams": params,
    }
    if pairs.get("device-name"):
        body["deviceName"] = pairs["device-name"]
    return body


def _disk_type(zone: str, disk_type: str) -> str:
    return disk_type if "/" in disk_type else f"zones/{zone}/diskTypes/{disk_type}"
