"""Persistent disks, snapshots and disk attachments through the official
google-cloud-compute client (REST), on the fake runtime: the control plane's contract.
The same flows on real disks are in tests/e2e/test_disks_real.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import compute_v1
from google.oauth2 import service_account

from tests.compute_ops import ok
from tests.integration.test_compute_instances import DEBIAN_12, ZONE
from tests.servers import NimbusServer

Clients = Callable[[type], Any]


@pytest.fixture
def clients(server: NimbusServer, owner_credentials: service_account.Credentials) -> Clients:
    def make(kind: type) -> Any:
        return kind(
            credentials=owner_credentials,
            transport="rest",
            client_options={"api_endpoint": server.url},
        )

    return make


def boot_disk(size: int = 10, auto_delete: bool = True) -> compute_v1.AttachedDisk:
    return compute_v1.AttachedDisk(
        boot=True,
        auto_delete=auto_delete,
        initialize_params=compute_v1.AttachedDiskInitializeParams(
            source_image=DEBIAN_12, disk_size_gb=size
        ),
    )


def new_instance(
    make: Clients, project: str, name: str, disks: list[compute_v1.AttachedDisk], **more: Any
) -> compute_v1.Instance:
    instances = make(compute_v1.InstancesClient)
    body = compute_v1.Instance(
        name=name,
        machine_type=f"zones/{ZONE}/machineTypes/{more.pop('machine_type', 'e2-small')}",
        disks=disks,
        **more,
    )
    ok(make, project, instances.insert_unary(project=project, zone=ZONE, instance_resource=body))
    return instances.get(project=project, zone=ZONE, instance=name)


def disk_named(make: Clients, project: str, name: str) -> compute_v1.Disk:
    return make(compute_v1.DisksClient).get(project=project, zone=ZONE, disk=name)


def test_disk_life(clients: Clients, project: str) -> None:
    disks = clients(compute_v1.DisksClient)
    body = compute_v1.Disk(
        name="data", size_gb=50, type_=f"zones/{ZONE}/diskTypes/pd-ssd", labels={"team": "a"}
    )
    ok(clients, project, disks.insert_unary(project=project, zone=ZONE, disk_resource=body))
    disk = disk_named(clients, project, "data")
    assert (disk.status, disk.size_gb, disk.type_.rsplit("/", 1)[-1]) == ("READY", 50, "pd-ssd")
    assert disk.self_link.endswith(f"/projects/{project}/zones/{ZONE}/disks/data")
    assert [d.name for d in disks.list(project=project, zone=ZONE)] == ["data"]

    request = compute_v1.DisksResizeRequest(size_gb=80)
    ok(
        clients,
        project,
        disks.resize_unary(
            project=project, zone=ZONE, disk="data", disks_resize_request_resource=request
        ),
    )
    assert disk_named(clients, project, "data").size_gb == 80

    # Smaller is refused with Google's message, and nothing changes.
    with pytest.raises(exceptions.BadRequest, match="must be larger than existing size"):
        smaller = compute_v1.DisksResizeRequest(size_gb=20)
        disks.resize(project=project, zone=ZONE, disk="data", disks_resize_request_resource=smaller)
    assert disk_named(clients, project, "data").size_gb == 80

    with pytest.raises(exceptions.Conflict):
        disks.insert(project=project, zone=ZONE, disk_resource=compute_v1.Disk(name="data"))
    with pytest.raises(exceptions.BadRequest, match="does not exist in zone"):
        disks.insert(
            project=project,
            zone=ZONE,
            disk_resource=compute_v1.Disk(name="odd", type_="pd-nothing"),
        )

    ok(clients, project, disks.delete_unary(project=project, zone=ZONE, disk="data"))
    with pytest.raises(exceptions.NotFound):
        disk_named(clients, project, "data")


def test_snapshot_and_restore(clients: Clients, project: str) -> None:
    disks = clients(compute_v1.DisksClient)
    snapshots = clients(compute_v1.SnapshotsClient)
    source = compute_v1.Disk(name="src", source_image=DEBIAN_12, size_gb=12)
    ok(clients, project, disks.insert_unary(project=project, zone=ZONE, disk_resource=source))
    with pytest.raises(exceptions.BadRequest, match="cannot be smaller than the image size"):
        disks.insert(
            project=project,
            zone=ZONE,
            disk_resource=compute_v1.Disk(name="tiny", source_image=DEBIAN_12, size_gb=5),
        )

    snap = compute_v1.Snapshot(
        name="snap-1", source_disk=f"projects/{project}/zones/{ZONE}/disks/src"
    )
    ok(clients, project, snapshots.insert_unary(project=project, snapshot_resource=snap))
    taken = snapshots.get(project=project, snapshot="snap-1")
    assert (taken.status, taken.disk_size_gb) == ("READY", 12)
    assert taken.source_disk.endswith(f"/zones/{ZONE}/disks/src")

    restored = compute_v1.Disk(name="copy", source_snapshot="global/snapshots/snap-1", size_gb=20)
    ok(clients, project, disks.insert_unary(project=project, zone=ZONE, disk_resource=restored))
    copy = disk_named(clients, project, "copy")
    assert (copy.status, copy.size_gb) == ("READY", 20)
    assert copy.source_snapshot.endswith("/global/snapshots/snap-1")

    # disks.createSnapshot, the zonal form.
    ok(
        clients,
        project,
        disks.create_snapshot_unary(
            project=project,
            zone=ZONE,
            disk="copy",
            snapshot_resource=compute_v1.Snapshot(name="snap-2"),
        ),
    )
    assert sorted(s.name for s in snapshots.list(project=project)) == ["snap-1", "snap-2"]
    ok(clients, project, snapshots.delete_unary(project=project, snapshot="snap-1"))
    assert [s.name for s in snapshots.list(project=project)] == ["snap-2"]


def test_attachments_and_auto_delete(clients: Clients, project: str) -> None:
    disks = clients(compute_v1.DisksClient)
    instances = clients(compute_v1.InstancesClient)
    for name in ("shared", "scratch"):
        ok(
            clients,
            project,
            disks.insert_unary(
                project=project, zone=ZONE, disk_resource=compute_v1.Disk(name=name, size_gb=10)
            ),
        )
    first = new_instance(
        clients,
        project,
        "vm-a",
        [
            boot_disk(auto_delete=False),
            compute_v1.AttachedDisk(source=f"zones/{ZONE}/disks/scratch", device_name="scratch"),
            compute_v1.AttachedDisk(
                auto_delete=True,
                initialize_params=compute_v1.AttachedDiskInitializeParams(
                    disk_name="vm-a-extra", disk_size_gb=15
                ),
            ),
        ],
    )
    assert [(d.device_name, d.boot, d.auto_delete) for d in first.disks] == [
        ("vm-a", True, False),
        ("scratch", False, False),
        ("persistent-disk-2", False, True),
    ]
    assert disk_named(clients, project, "scratch").users[0].endswith("/instances/vm-a")

    # A disk in use is not deleted.
    with pytest.raises(exceptions.BadRequest, match="already being used by"):
        disks.delete(project=project, zone=ZONE, disk="scratch")
    assert disk_named(clients, project, "scratch").status == "READY"

    # One writer: a second read-write attachment is refused, and read-only ones while
    # it has a writer.
    second = new_instance(clients, project, "vm-b", [boot_disk()])
    for mode in ("READ_WRITE", "READ_ONLY"):
        with pytest.raises(exceptions.BadRequest, match="already being used by"):
            instances.attach_disk(
                project=project,
                zone=ZONE,
                instance="vm-b",
                attached_disk_resource=compute_v1.AttachedDisk(
                    source=f"zones/{ZONE}/disks/scratch", mode=mode
                ),
            )
    assert len(instances.get(project=project, zone=ZONE, instance="vm-b").disks) == 1

    # Read-only on several instances.
    for vm in ("vm-a", "vm-b"):
        ok(
            clients,
            project,
            instances.attach_disk_unary(
                project=project,
                zone=ZONE,
                instance=vm,
                attached_disk_resource=compute_v1.AttachedDisk(
                    source=f"zones/{ZONE}/disks/shared", mode="READ_ONLY"
                ),
            ),
        )
    assert len(disk_named(clients, project, "shared").users) == 2
    assert second.status == "RUNNING"

    ok(
        clients,
        project,
        instances.detach_disk_unary(
            project=project, zone=ZONE, instance="vm-a", device_name="scratch"
        ),
    )
    assert not disk_named(clients, project, "scratch").users
    with pytest.raises(exceptions.BadRequest, match="No disk with device name"):
        instances.detach_disk(project=project, zone=ZONE, instance="vm-a", device_name="nope")

    # Deleting the instance takes its auto-delete disks along, and only those.
    ok(clients, project, instances.delete_unary(project=project, zone=ZONE, instance="vm-a"))
    names = {d.name for d in disks.list(project=project, zone=ZONE)}
    assert {"vm-a", "scratch", "shared"} <= names
    assert "vm-a-extra" not in names
    assert [u.rsplit("/", 1)[-1] for u in disk_named(clients, project, "shared").users] == ["vm-b"]

    # The kept boot disk boots a new instance.
    third = new_instance(
        clients,
        project,
        "vm-c",
        [compute_v1.AttachedDisk(boot=True, source=f"zones/{ZONE}/disks/vm-a")],
    )
    assert third.status == "RUNNING"
    assert third.disks[0].source.endswith("/disks/vm-a")


def test_preemption_on_demand(clients: Clients, project: str) -> None:
    instances = clients(compute_v1.InstancesClient)
    operations = clients(compute_v1.ZoneOperationsClient)
    spot = compute_v1.Scheduling(provisioning_model="SPOT", instance_termination_action="STOP")
    made = new_instance(clients, project, "spot-1", [boot_disk()], scheduling=spot)
    assert made.scheduling.provisioning_model == "SPOT"
    assert made.scheduling.instance_termination_action == "STOP"

    ok(
        clients,
        project,
        instances.simulate_maintenance_event_unary(project=project, zone=ZONE, instance="spot-1"),
    )
    assert instances.get(project=project, zone=ZONE, instance="spot-1").status == "TERMINATED"
    kinds = [o.operation_type for o in operations.list(project=project, zone=ZONE)]
    assert "compute.instances.preempted" in kinds

    deleting = compute_v1.Scheduling(
        provisioning_model="SPOT", instance_termination_action="DELETE"
    )
    new_instance(clients, project, "spot-2", [boot_disk()], scheduling=deleting)
    ok(
        clients,
        project,
        instances.simulate_maintenance_event_unary(project=project, zone=ZONE, instance="spot-2"),
    )
    with pytest.raises(exceptions.NotFound):
        instances.get(project=project, zone=ZONE, instance="spot-2")

    # A standard instance is live-migrated: nothing happens to it.
    new_instance(clients, project, "steady", [boot_disk()])
    ok(
        clients,
        project,
        instances.simulate_maintenance_event_unary(project=project, zone=ZONE, instance="steady"),
    )
    assert instances.get(project=project, zone=ZONE, instance="steady").status == "RUNNING"


def test_bad_scheduling_and_accelerators(clients: Clients, project: str) -> None:
    instances = clients(compute_v1.InstancesClient)
    bad_restart = compute_v1.Scheduling(preemptible=True, automatic_restart=True)
    with pytest.raises(exceptions.BadRequest, match="automaticRestart"):
        new_instance(clients, project, "bad-1", [boot_disk()], scheduling=bad_restart)
    gpu = [
        compute_v1.AcceleratorConfig(
            accelerator_type=f"zones/{ZONE}/acceleratorTypes/nvidia-tesla-t4", accelerator_count=1
        )
    ]
    with pytest.raises(exceptions.BadRequest, match="nvidia-tesla-t4"):
        new_instance(clients, project, "gpu-1", [boot_disk()], guest_accelerators=gpu)
    assert list(instances.list(project=project, zone=ZONE)) == []


def test_machine_type_and_suspend(clients: Clients, project: str) -> None:
    instances = clients(compute_v1.InstancesClient)
    new_instance(clients, project, "resizable", [boot_disk()])
    change = compute_v1.InstancesSetMachineTypeRequest(
        machine_type=f"zones/{ZONE}/machineTypes/e2-standard-4"
    )
    with pytest.raises(exceptions.BadRequest, match="must be stopped"):
        instances.set_machine_type(
            project=project,
            zone=ZONE,
            instance="resizable",
            instances_set_machine_type_request_resource=change,
        )
    ok(clients, project, instances.suspend_unary(project=project, zone=ZONE, instance="resizable"))
    assert instances.get(project=project, zone=ZONE, instance="resizable").status == "SUSPENDED"
    ok(clients, project, instances.resume_unary(project=project, zone=ZONE, instance="resizable"))
    assert instances.get(project=project, zone=ZONE, instance="resizable").status == "RUNNING"

    ok(clients, project, instances.stop_unary(project=project, zone=ZONE, instance="resizable"))
    ok(
        clients,
        project,
        instances.set_machine_type_unary(
            project=project,
            zone=ZONE,
            instance="resizable",
            instances_set_machine_type_request_resource=change,
        ),
    )
    ok(clients, project, instances.start_unary(project=project, zone=ZONE, instance="resizable"))
    got = instances.get(project=project, zone=ZONE, instance="resizable")
    assert (got.status, got.machine_type.rsplit("/", 1)[-1]) == ("RUNNING", "e2-standard-4")
