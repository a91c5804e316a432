"""The parts of an ``instances.insert`` body the CLI builds from gcloud's flags, and
gcloud's disk sizes."""

from __future__ import annotations

import pytest

from nimbus.cli.failures import CliError
from nimbus.cli.instance_disks import BootDiskFlags, instance_disks
from nimbus.cli.instance_scheduling import SchedulingFlags, guest_accelerators, scheduling
from nimbus.cli.sizes import size_gb

ZONE = "us-central1-a"


@pytest.mark.parametrize(
    ("text", "gb"),
    [("10", 10), ("10GB", 10), ("10gb", 10), ("10GiB", 10), ("1TB", 1024), ("2048MB", 2)],
)
def test_sizes(text: str, gb: int) -> None:
    assert size_gb(text, "--size") == gb


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "greater than or equal to 1GB; received: 0"),
        ("512MB", "greater than or equal to 1GB; received: 512MB"),
        ("1536MB", "multiple of 1 GB. Did you mean [2GB]?"),
        ("1.5GB", "INTEGER[UNIT]"),
        ("10XB", "INTEGER[UNIT]"),
    ],
)
def test_sizes_refused(text: str, message: str) -> None:
    with pytest.raises(CliError, match=message.replace("[", r"\[").replace(".", r"\.")):
        size_gb(text, "--size")


def test_default_boot_disk_then_existing_then_created() -> None:
    disks = instance_disks(
        "p",
        ZONE,
        BootDiskFlags(size="20GB", disk_type="pd-ssd", auto_delete=False, device_name="root"),
        ["name=data,mode=ro,device-name=dev"],
        ["name=new,size=1TB,type=pd-balanced,image=img,auto-delete=no"],
    )
    assert disks == [
        {
            "boot": True,
            "autoDelete": False,
            "type": "PERSISTENT",
            "deviceName": "root",
            "initializeParams": {
                "sourceImage": "projects/debian-cloud/global/images/family/debian-12",
                "diskSizeGb": "20",
                "diskType": f"zones/{ZONE}/diskTypes/pd-ssd",
            },
        },
        {
            "type": "PERSISTENT",
            "source": f"projects/p/zones/{ZONE}/disks/data",
            "mode": "READ_ONLY",
            "boot": False,
            "autoDelete": False,
            "deviceName": "dev",
        },
        {
            "type": "PERSISTENT",
            "boot": False,
            "mode": "READ_WRITE",
            "autoDelete": False,
            "initializeParams": {
                "diskName": "new",
                "diskSizeGb": "1024",
                "diskType": f"zones/{ZONE}/diskTypes/pd-balanced",
                "sourceImage": "projects/p/global/images/img",
            },
        },
    ]


def test_an_existing_boot_disk_replaces_the_new_one() -> None:
    disks = instance_disks("p", ZONE, BootDiskFlags(), ["name=extra", "name=os,boot=yes"], [])
    assert [(d["source"].rsplit("/", 1)[-1], d["boot"]) for d in disks] == [
        ("os", True),
        ("extra", False),
    ]
    with pytest.raises(CliError, match="--boot-disk-size"):
        instance_disks("p", ZONE, BootDiskFlags(size="20GB"), ["name=os,boot=yes"], [])
    with pytest.raises(CliError, match="exactly one boot disk"):
        instance_disks("p", ZONE, BootDiskFlags(), ["name=a,boot=yes", "name=b,boot=yes"], [])


@pytest.mark.parametrize(
    ("disks", "created", "message"),
    [
        (["mode=rw"], [], r"\[name\] is missing in \[--disk\]"),
        (["name=a,boot=maybe"], [], r"must be \[yes\] or \[no\], not \[maybe\]"),
        ([], ["name=a,speed=fast"], r"valid keys are \[auto-delete, .*\]; received: speed"),
        ([], ["image-project=x"], r"Must specify either \[image\] or \[image-family\]"),
    ],
)
def test_bad_disk_specs(disks: list[str], created: list[str], message: str) -> None:
    with pytest.raises(CliError, match=message):
        instance_disks("p", ZONE, BootDiskFlags(), disks, created)


def test_scheduling() -> None:
    assert scheduling(SchedulingFlags()) == {"preemptible": False}
    assert scheduling(SchedulingFlags(preemptible=True)) == {
        "preemptible": True,
        "automaticRestart": False,
    }
    assert scheduling(SchedulingFlags(provisioning_model="spot", termination_action="delete")) == {
        "preemptible": False,
        "provisioningModel": "SPOT",
        "instanceTerminationAction": "DELETE",
        "automaticRestart": False,
    }
    assert scheduling(SchedulingFlags(maintenance_policy="migrate", restart_on_failure=False)) == {
        "preemptible": False,
        "onHostMaintenance": "MIGRATE",
        "automaticRestart": False,
    }
    with pytest.raises(CliError, match=r"Valid choices are \[DELETE, STOP\]"):
        scheduling(SchedulingFlags(termination_action="pause"))


def test_accelerators() -> None:
    assert guest_accelerators(None, ZONE) == []
    assert guest_accelerators("type=nvidia-l4,count=2", ZONE) == [
        {"acceleratorType": f"zones/{ZONE}/acceleratorTypes/nvidia-l4", "acceleratorCount": 2}
    ]
    with pytest.raises(CliError, match=r"Key \[type\] required"):
        guest_accelerators("count=1", ZONE)
    with pytest.raises(CliError, match="positive integer"):
        guest_accelerators("type=t,count=0", ZONE)
