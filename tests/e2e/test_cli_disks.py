"""``nimbus compute disks``, ``snapshots`` and the instance disk verbs, as a user types
them (fake runtime): gcloud's commands with ``nimbus`` for ``gcloud``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from tests.conftest import CliResult
from tests.e2e.expect import failed_in_one_line, nimbus, ok

Cli = Callable[..., CliResult]
Run = Cli
ZONE = "us-central1-a"


@pytest.fixture
def run(cli: Cli, project: str) -> Iterator[Cli]:
    """``nimbus`` in the test's project, whose instances are deleted afterwards: they
    hold capacity that later tests on the same server need."""

    def in_project(*args: str, **options: object) -> CliResult:
        return cli(*args, "--project", project, **options)

    yield in_project
    left = _values(in_project, "compute instances list --format value(name)")
    if left:
        ok(in_project, f"compute instances delete {' '.join(left)} --zone {ZONE} --quiet")


def _values(run: Run, line: str) -> list[str]:
    return ok(run, line).stdout.split()


def _disk(run: Run, name: str) -> dict[str, object]:
    found: dict[str, object] = json.loads(
        ok(run, f"compute disks describe {name} --zone {ZONE} --format json").stdout
    )
    return found


def _instance(run: Run, name: str) -> dict[str, object]:
    found: dict[str, object] = json.loads(
        ok(run, f"compute instances describe {name} --zone {ZONE} --format json").stdout
    )
    return found


def _status(run: Run, name: str) -> str:
    return str(_instance(run, name)["status"])


def test_create_list_describe_resize_delete(run: Run) -> None:
    created = ok(run, f"compute disks create data-1 data-2 --zone {ZONE} --size 10GB")
    assert created.stdout.splitlines()[0].split() == ["NAME", "ZONE", "SIZE_GB", "TYPE", "STATUS"]
    assert created.stdout.splitlines()[1].split() == ["data-1", ZONE, "10", "pd-standard", "READY"]
    assert "WARNING: You have selected a disk size of under [200GB]" in created.stderr
    assert "Created [" in created.stderr and "New disks are unformatted" in created.stderr

    # A terabyte of SSD is past a new project's quota (500 GB): raise it first.
    ok(
        run,
        "quotas preferences create --service compute.googleapis.com "
        "--quota-id SSD-TOTAL-GB-per-project-region --preferred-value 2048 "
        "--dimensions region=us-central1",
    )
    ssd = ok(
        run,
        f"compute disks create fast --zone {ZONE} --size 1TB --type pd-ssd "
        "--description quick --labels team=ml",
    )
    assert ssd.stdout.splitlines()[1].split() == ["fast", ZONE, "1024", "pd-ssd", "READY"]
    assert "WARNING" not in ssd.stderr
    listed = ok(run, "compute disks list").stdout.splitlines()
    assert listed[0].split() == ["NAME", "LOCATION", "LOCATION_SCOPE", "SIZE_GB", "TYPE", "STATUS"]
    assert listed[1].split() == ["data-1", ZONE, "zone", "10", "pd-standard", "READY"]
    assert _values(run, "compute disks list --zones europe-west1-b --format value(name)") == []
    assert _values(run, "compute disks list --filter labels.team=ml --format value(name)") == [
        "fast"
    ]
    fast = _disk(run, "fast")
    assert (fast["description"], fast["labels"]) == ("quick", {"team": "ml"})
    assert "_location" not in fast  # the table's derived columns stay out of documents

    resized = ok(run, f"compute disks resize data-1 --size 20 --zone {ZONE} --quiet")
    assert "Updated [" in resized.stderr
    assert _disk(run, "data-1")["sizeGb"] == "20"

    ok(run, f"compute disks add-labels data-2 --labels env=dev,tier=1 --zone {ZONE}")
    ok(run, f"compute disks remove-labels data-2 --labels tier --zone {ZONE}")
    assert _disk(run, "data-2")["labels"] == {"env": "dev"}

    deleted = ok(run, f"compute disks delete data-1 data-2 fast --zone {ZONE} --quiet")
    assert deleted.stderr.count("Deleted [") == 3
    assert _values(run, "compute disks list --format value(name)") == []


def test_sizes_as_gcloud_reads_them(run: Run) -> None:
    ok(run, f"compute disks create gib --zone {ZONE} --size 12GiB --type pd-balanced")
    assert _disk(run, "gib")["sizeGb"] == "12"
    for size, message in (
        ("500MB", "greater than or equal to 1GB"),
        ("1536MB", "Did you mean [2GB]?"),
        ("0", "greater than or equal to 1GB"),
        ("ten", "INTEGER[UNIT]"),
    ):
        refused = nimbus(run, f"compute disks create odd --zone {ZONE} --size {size}")
        assert message in failed_in_one_line(refused, "compute.disks.create")
    refused = nimbus(run, f"compute instances create odd --zone {ZONE} --boot-disk-size 10.5GB")
    assert "--boot-disk-size" in failed_in_one_line(refused, "compute.instances.create")
    assert _values(run, "compute disks list --format value(name)") == ["gib"]
    assert _values(run, "compute instances list --format value(name)") == []


def test_resize_smaller_is_refused_and_changes_nothing(run: Run) -> None:
    ok(run, f"compute disks create keep --zone {ZONE} --size 20GB")
    refused = nimbus(run, f"compute disks resize keep --size 10GB --zone {ZONE} --quiet")
    assert "must be larger than existing size" in failed_in_one_line(
        refused, "compute.disks.resize"
    )
    unconfirmed = nimbus(run, f"compute disks resize keep --size 30GB --zone {ZONE}")
    assert "--quiet" in failed_in_one_line(unconfirmed, "compute.disks.resize")
    assert _disk(run, "keep")["sizeGb"] == "20"


def test_snapshot_a_disk_then_restore_it(run: Run) -> None:
    ok(run, f"compute disks create source --zone {ZONE} --size 15GB")
    snapped = ok(run, f"compute disks snapshot source --zone {ZONE} --snapshot-names snap-1")
    assert "Creating snapshot(s) snap-1...done." in snapped.stderr
    inserted = ok(
        run,
        f"compute snapshots create snap-2 --source-disk source "
        f"--source-disk-zone {ZONE} --description nightly --labels kind=db",
    )
    assert "Creating gce snapshot snap-2...done." in inserted.stderr

    listed = ok(run, "compute snapshots list").stdout.splitlines()
    assert listed[0].split() == ["NAME", "DISK_SIZE_GB", "SRC_DISK", "STATUS"]
    assert listed[1].split() == ["snap-1", "15", f"{ZONE}/disks/source", "READY"]
    described = json.loads(ok(run, "compute snapshots describe snap-2 --format json").stdout)
    assert (described["description"], described["labels"]) == ("nightly", {"kind": "db"})

    restored = ok(run, f"compute disks create copy --zone {ZONE} --source-snapshot snap-1")
    assert restored.stdout.splitlines()[1].split()[:3] == ["copy", ZONE, "15"]
    assert "New disks are unformatted" not in restored.stderr
    assert str(_disk(run, "copy")["sourceSnapshot"]).endswith("/global/snapshots/snap-1")

    ok(run, "compute snapshots delete snap-1 snap-2 --quiet")
    assert _values(run, "compute snapshots list --format value(name)") == []
    assert "copy" in _values(run, "compute disks list --format value(name)")


def test_instance_with_created_and_existing_disks(run: Run) -> None:
    ok(run, f"compute disks create shared --zone {ZONE} --size 10GB")
    ok(run, f"compute disks create spare --zone {ZONE} --size 10GB")
    ok(
        run,
        f"compute instances create vm-disks --zone {ZONE} --machine-type e2-small "
        "--boot-disk-device-name root --no-boot-disk-auto-delete "
        "--create-disk name=scratch,size=20GB,type=pd-ssd,device-name=scratch-dev "
        "--disk name=shared,mode=ro",
    )
    disks = _instance(run, "vm-disks")["disks"]
    assert isinstance(disks, list)
    shown = [
        (d["deviceName"], d["source"].rsplit("/", 1)[-1], d["mode"], d["boot"], d["autoDelete"])
        for d in disks
    ]
    assert shown == [
        ("root", "vm-disks", "READ_WRITE", True, False),
        ("persistent-disk-1", "shared", "READ_ONLY", False, False),
        ("scratch-dev", "scratch", "READ_WRITE", False, True),
    ]
    assert _disk(run, "scratch")["sizeGb"] == "20"

    in_use = nimbus(run, f"compute disks delete shared --zone {ZONE} --quiet")
    assert "already being used by" in failed_in_one_line(in_use, "compute.disks.delete")
    assert "shared" in _values(run, "compute disks list --format value(name)")

    attached = ok(
        run,
        f"compute instances attach-disk vm-disks --disk spare --zone {ZONE} --device-name extra",
    )
    assert "Updated [" in attached.stderr
    assert str(_disk(run, "spare")["users"]).endswith("/instances/vm-disks']")
    ok(
        run,
        f"compute instances set-disk-auto-delete vm-disks --disk spare --auto-delete --zone {ZONE}",
    )
    ok(run, f"compute instances detach-disk vm-disks --disk spare --zone {ZONE}")
    ok(run, f"compute instances detach-disk vm-disks --device-name persistent-disk-1 --zone {ZONE}")
    devices = [d["deviceName"] for d in _instance(run, "vm-disks")["disks"]]  # type: ignore[attr-defined]
    assert devices == ["root", "scratch-dev"]
    assert "users" not in _disk(run, "spare")

    missing = nimbus(run, f"compute instances detach-disk vm-disks --disk spare --zone {ZONE}")
    assert failed_in_one_line(missing, "compute.instances.detach-disk").endswith(
        f"Disk [spare] is not attached to instance [vm-disks] in zone [{ZONE}]."
    )
    both = nimbus(run, f"compute instances detach-disk vm-disks --zone {ZONE}")
    assert "Exactly one of" in failed_in_one_line(both, "compute.instances.detach-disk")

    ok(run, f"compute instances delete vm-disks --zone {ZONE} --quiet")
    # The boot disk was kept (--no-boot-disk-auto-delete), scratch went with the instance.
    assert _values(run, "compute disks list --format value(name)") == [
        "shared",
        "spare",
        "vm-disks",
    ]


def test_an_existing_disk_as_the_boot_disk(run: Run) -> None:
    ok(
        run,
        f"compute disks create os --zone {ZONE} --image-family debian-12 "
        "--image-project debian-cloud",
    )
    two_boots = nimbus(
        run,
        f"compute instances create vm-os --zone {ZONE} --disk name=os,boot=yes "
        "--image-family debian-12",
    )
    assert "exactly one boot disk" in failed_in_one_line(two_boots, "compute.instances.create")
    ok(run, f"compute instances create vm-os --zone {ZONE} --disk name=os,boot=yes,auto-delete=yes")
    boot = _instance(run, "vm-os")["disks"][0]  # type: ignore[index]
    assert (boot["boot"], boot["source"].rsplit("/", 1)[-1], boot["autoDelete"]) == (
        True,
        "os",
        True,
    )
    ok(run, f"compute instances delete vm-os --zone {ZONE} --quiet")
    assert _values(run, "compute disks list --format value(name)") == []


def test_bad_disk_flags_are_one_line_and_create_nothing(run: Run) -> None:
    for flags, message in (
        ("--disk mode=ro", "[name] is missing in [--disk]"),
        ("--disk name=x,mode=rx", "must be [rw] or [ro], not [rx]"),
        ("--create-disk name=x,colour=red", "valid keys are ["),
        ("--create-disk size=3MB", "greater than or equal to 1GB"),
        ("--create-disk image=a,image-family=b", "At most one of [image] | [image-family]"),
        ("--provisioning-model CHEAP", "Valid choices are [SPOT, STANDARD]"),
    ):
        refused = nimbus(run, f"compute instances create vm-bad --zone {ZONE} {flags}")
        assert message in failed_in_one_line(refused, "compute.instances.create"), flags
    assert _values(run, "compute instances list --format value(name)") == []
    assert _values(run, "compute disks list --format value(name)") == []


def test_set_machine_type_only_when_stopped(run: Run) -> None:
    ok(run, f"compute instances create vm-mt --zone {ZONE} --machine-type e2-small")
    running = nimbus(
        run, f"compute instances set-machine-type vm-mt --machine-type e2-medium --zone {ZONE}"
    )
    assert "must be stopped" in failed_in_one_line(running, "compute.instances.set-machine-type")
    assert str(_instance(run, "vm-mt")["machineType"]).endswith("/e2-small")

    ok(run, f"compute instances stop vm-mt --zone {ZONE}")
    changed = ok(
        run, f"compute instances set-machine-type vm-mt --machine-type e2-medium --zone {ZONE}"
    )
    assert "Updated [" in changed.stderr
    ok(run, f"compute instances start vm-mt --zone {ZONE}")
    assert _values(run, "compute instances list --format value(machineType.basename(),status)") == [
        "e2-medium",
        "RUNNING",
    ]


def test_suspend_and_resume(run: Run) -> None:
    ok(run, f"compute instances create vm-nap --zone {ZONE} --machine-type e2-small")
    suspended = ok(run, f"compute instances suspend vm-nap --zone {ZONE}")
    assert "Updated [" in suspended.stderr
    assert _status(run, "vm-nap") == "SUSPENDED"
    ok(run, f"compute instances resume vm-nap --zone {ZONE}")
    assert _status(run, "vm-nap") == "RUNNING"


def test_preemptible_instance_is_taken_back_by_maintenance(run: Run) -> None:
    created = ok(
        run,
        f"compute instances create vm-spot --zone {ZONE} --preemptible "
        "--machine-type e2-micro --instance-termination-action STOP",
    )
    assert created.stdout.splitlines()[1].split()[3] == "true"  # the PREEMPTIBLE column
    scheduling = _instance(run, "vm-spot")["scheduling"]
    assert scheduling == {
        "automaticRestart": False,
        "instanceTerminationAction": "STOP",
        "onHostMaintenance": "TERMINATE",
        "preemptible": True,
        "provisioningModel": "STANDARD",
    }
    simulated = ok(run, f"compute instances simulate-maintenance-event vm-spot --zone {ZONE}")
    assert "Simulating maintenance on instance(s) [vm-spot]...done." in simulated.stderr
    assert _status(run, "vm-spot") == "TERMINATED"

    ok(
        run,
        f"compute instances create vm-std --zone {ZONE} --machine-type e2-micro "
        "--maintenance-policy MIGRATE --no-restart-on-failure",
    )
    ok(run, f"compute instances simulate-maintenance-event vm-std --zone {ZONE}")
    assert _status(run, "vm-std") == "RUNNING"  # live-migrated, which changes nothing here
    assert _instance(run, "vm-std")["scheduling"]["automaticRestart"] is False  # type: ignore[index]


def test_accelerators_are_refused(run: Run) -> None:
    refused = nimbus(
        run,
        f"compute instances create vm-gpu --zone {ZONE} --accelerator type=nvidia-tesla-t4,count=1",
    )
    line = failed_in_one_line(refused, "compute.instances.create")
    assert "nvidia-tesla-t4" in line and "no accelerators" in line
    untyped = nimbus(run, f"compute instances create vm-gpu --zone {ZONE} --accelerator count=1")
    assert "[type]" in failed_in_one_line(untyped, "compute.instances.create")
    assert _values(run, "compute instances list --format value(name)") == []
    assert _values(run, "compute disks list --format value(name)") == []
