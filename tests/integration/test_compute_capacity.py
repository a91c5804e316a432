"""Capacity: a host with room for two vCPUs (the allocation ratio set so), filled by
instances through the official client. Past it, ``ZONE_RESOURCE_POOL_EXHAUSTED`` with
nothing half-created; a Spot instance is preempted to admit a standard one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import compute_v1
from google.oauth2 import service_account

from tests.compute_ops import failed, ok
from tests.conftest import CLOUD_PLATFORM, unique_id
from tests.integration.test_compute_instances import DEBIAN_12, ZONE
from tests.real_compute import owner_session
from tests.servers import NimbusServer, running_server


@pytest.fixture(scope="module")
def small_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NimbusServer]:
    # Room for exactly two vCPUs and 8 GiB, whatever this machine has.
    cpus = len(os.sched_getaffinity(0))
    with Path("/proc/meminfo").open() as meminfo:
        total_mb = next(int(line.split()[1]) // 1024 for line in meminfo if "MemTotal" in line)
    args = ["--cpu-allocation-ratio", str(2 / cpus), "--ram-allocation-ratio", str(8192 / total_mb)]
    with running_server(tmp_path_factory.mktemp("small") / "data", args) as server:
        yield server


@pytest.fixture
def make(small_host: NimbusServer) -> Any:
    credentials = service_account.Credentials.from_service_account_file(
        str(small_host.owner_key), scopes=[CLOUD_PLATFORM]
    )

    def client(kind: type) -> Any:
        return kind(
            credentials=credentials,
            transport="rest",
            client_options={"api_endpoint": small_host.url},
        )

    project = unique_id("cap")
    response = owner_session(small_host).post(
        f"{small_host.url}/v1/projects", json={"projectId": project}
    )
    assert response.status_code == 200, response.text
    client.project = project  # type: ignore[attr-defined]
    return client


def body(name: str, spot: bool = False) -> compute_v1.Instance:
    scheduling = compute_v1.Scheduling(provisioning_model="SPOT") if spot else None
    return compute_v1.Instance(
        name=name,
        machine_type=f"zones/{ZONE}/machineTypes/e2-standard-2",
        disks=[
            compute_v1.AttachedDisk(
                boot=True,
                auto_delete=True,
                initialize_params=compute_v1.AttachedDiskInitializeParams(source_image=DEBIAN_12),
            )
        ],
        scheduling=scheduling,
    )


def test_full_host_refuses_then_preempts_spot(make: Any) -> None:
    project = make.project
    instances = make(compute_v1.InstancesClient)
    disks = make(compute_v1.DisksClient)

    def insert(name: str, spot: bool = False) -> compute_v1.Operation:
        return instances.insert_unary(
            project=project, zone=ZONE, instance_resource=body(name, spot=spot)
        )

    ok(make, project, insert("spot", spot=True))

    # A second Spot instance finds no room: Google's error, and nothing was made.
    assert failed(make, project, insert("spot-2", spot=True)) == "ZONE_RESOURCE_POOL_EXHAUSTED"
    with pytest.raises(exceptions.NotFound):
        instances.get(project=project, zone=ZONE, instance="spot-2")
    assert [d.name for d in disks.list(project=project, zone=ZONE)] == ["spot"]

    # A standard instance takes the Spot instance's room.
    ok(make, project, insert("steady"))
    assert instances.get(project=project, zone=ZONE, instance="steady").status == "RUNNING"
    # The Spot instance was taken back, with Google's operation for it.
    operations = make(compute_v1.ZoneOperationsClient)
    preemptions = [
        o
        for o in operations.list(project=project, zone=ZONE)
        if o.operation_type == "compute.instances.preempted"
    ]
    assert len(preemptions) == 1 and preemptions[0].target_link.endswith("/instances/spot")
    ok(make, project, preemptions[0])
    assert instances.get(project=project, zone=ZONE, instance="spot").status == "TERMINATED"

    # Now full of standard work: a third is refused, and so is starting the Spot one.
    assert failed(make, project, insert("third")) == "ZONE_RESOURCE_POOL_EXHAUSTED"
    with pytest.raises(exceptions.NotFound):
        instances.get(project=project, zone=ZONE, instance="third")
    start = instances.start_unary(project=project, zone=ZONE, instance="spot")
    assert failed(make, project, start) == "ZONE_RESOURCE_POOL_EXHAUSTED"
    assert instances.get(project=project, zone=ZONE, instance="spot").status == "TERMINATED"

    # Stopping the standard one frees the room again.
    ok(make, project, instances.stop_unary(project=project, zone=ZONE, instance="steady"))
    ok(make, project, instances.start_unary(project=project, zone=ZONE, instance="spot"))
    assert instances.get(project=project, zone=ZONE, instance="spot").status == "RUNNING"
