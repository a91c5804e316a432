"""Instances through the official google-cloud-compute client (REST), on the fake runtime.

The control plane's whole contract: insert with zone operations and ``requestId``,
the status flow, stop/start/reset/delete, metadata and labels with fingerprints,
serial output, aggregated lists, and bad input that changes nothing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from google.api_core import exceptions
from google.cloud import compute_v1
from google.oauth2 import service_account

from tests.conftest import unique_id
from tests.real_compute import container_server, owner_session
from tests.servers import NimbusServer

ZONE = "us-central1-a"
DEBIAN_12 = "projects/debian-cloud/global/images/family/debian-12"


@pytest.fixture
def clients(
    server: NimbusServer, owner_credentials: service_account.Credentials
) -> Callable[[type], object]:
    def make(kind: type) -> object:
        return kind(
            credentials=owner_credentials,
            transport="rest",
            client_options={"api_endpoint": server.url},
        )

    return make


def instance_body(
    name: str, machine_type: str = "e2-small", image: str = DEBIAN_12
) -> compute_v1.Instance:
    return compute_v1.Instance(
        name=name,
        machine_type=f"zones/{ZONE}/machineTypes/{machine_type}",
        disks=[
            compute_v1.AttachedDisk(
                boot=True,
                auto_delete=True,
                initialize_params=compute_v1.AttachedDiskInitializeParams(
                    source_image=image, disk_size_gb=20
                ),
            )
        ],
        network_interfaces=[
            compute_v1.NetworkInterface(
                network="global/networks/default",
                access_configs=[
                    compute_v1.AccessConfig(name="External NAT", type_="ONE_TO_ONE_NAT")
                ],
            )
        ],
        metadata=compute_v1.Metadata(
            items=[compute_v1.Items(key="startup-script", value="echo hi")]
        ),
        labels={"course": "cloud-101"},
        service_accounts=[
            compute_v1.ServiceAccount(
                email="default", scopes=["https://www.googleapis.com/auth/cloud-platform"]
            )
        ],
    )


def test_instance_life_through_the_official_client(
    clients: Callable[[type], object], project: str
) -> None:
    instance_life(clients, project)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory, image_cache: Path) -> Iterator[NimbusServer]:
    with container_server(tmp_path_factory.mktemp("real") / "data", image_cache) as server:
        yield server


def test_instance_life_on_the_real_runtime(real: NimbusServer) -> None:
    credentials = service_account.Credentials.from_service_account_file(
        str(real.owner_key), scopes=["https://www.googleapis.com/auth/cloud-platform"]
    )

    def make(kind: type) -> object:
        return kind(
            credentials=credentials,
            transport="rest",
            client_options={"api_endpoint": real.url},
        )

    project = unique_id("client")
    with owner_session(real) as owner:
        assert owner.post(f"{real.url}/v1/projects", json={"projectId": project}).ok
    serial = instance_life(make, project, booted="Started")
    assert "Started" in serial and "systemd" in serial


def instance_life(clients: Callable[[type], object], project: str, booted: str = "") -> str:
    """Insert, wait, stop, start, reset, metadata, labels, delete; the serial output,
    once it shows ``booted`` (a real boot after the reset goes on for a while, longer on
    a busy host)."""
    instances = clients(compute_v1.InstancesClient)
    operations = clients(compute_v1.ZoneOperationsClient)
    images = clients(compute_v1.ImagesClient)
    assert isinstance(instances, compute_v1.InstancesClient)
    assert isinstance(operations, compute_v1.ZoneOperationsClient)
    assert isinstance(images, compute_v1.ImagesClient)

    image = images.get_from_family(project="debian-cloud", family="debian-12")
    assert image.family == "debian-12" and image.name.startswith("debian-12-bookworm-v")

    def wait(operation: compute_v1.Operation) -> compute_v1.Operation:
        done = operations.wait(project=project, zone=ZONE, operation=operation.name)
        while done.status != compute_v1.Operation.Status.DONE:
            done = operations.wait(project=project, zone=ZONE, operation=operation.name)
        assert not done.error.errors, done.error
        return done

    inserted = instances.insert_unary(
        project=project, zone=ZONE, instance_resource=instance_body("vm-1")
    )
    assert inserted.operation_type == "insert" and inserted.zone.endswith(f"/zones/{ZONE}")
    wait(inserted)
    vm = instances.get(project=project, zone=ZONE, instance="vm-1")
    assert vm.status == "RUNNING"
    interface = vm.network_interfaces[0]
    assert interface.network_i_p.startswith("10.128.0.")
    assert interface.access_configs[0].nat_i_p
    assert vm.machine_type.endswith("/machineTypes/e2-small")
    assert vm.service_accounts[0].email.endswith("-compute@developer.gserviceaccount.com")
    assert vm.labels == {"course": "cloud-101"}

    wait(instances.stop_unary(project=project, zone=ZONE, instance="vm-1"))
    assert instances.get(project=project, zone=ZONE, instance="vm-1").status == "TERMINATED"
    wait(instances.start_unary(project=project, zone=ZONE, instance="vm-1"))
    assert instances.get(project=project, zone=ZONE, instance="vm-1").status == "RUNNING"
    wait(instances.reset_unary(project=project, zone=ZONE, instance="vm-1"))

    deadline = time.monotonic() + 120
    while True:
        serial = instances.get_serial_port_output(project=project, zone=ZONE, instance="vm-1")
        if booted in serial.contents or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert serial.contents and int(serial.next_) >= len(serial.contents)
    console = serial.contents

    vm = instances.get(project=project, zone=ZONE, instance="vm-1")
    metadata = compute_v1.Metadata(
        fingerprint=vm.metadata.fingerprint,
        items=[compute_v1.Items(key="ssh-keys", value="alice:ssh-ed25519 AAAA alice")],
    )
    wait(
        instances.set_metadata_unary(
            project=project, zone=ZONE, instance="vm-1", metadata_resource=metadata
        )
    )
    with pytest.raises(exceptions.PreconditionFailed):
        instances.set_metadata_unary(
            project=project, zone=ZONE, instance="vm-1", metadata_resource=metadata
        )
    labels = compute_v1.InstancesSetLabelsRequest(
        label_fingerprint=vm.label_fingerprint, labels={"env": "dev"}
    )
    wait(
        instances.set_labels_unary(
            project=project,
            zone=ZONE,
            instance="vm-1",
            instances_set_labels_request_resource=labels,
        )
    )
    vm = instances.get(project=project, zone=ZONE, instance="vm-1")
    assert vm.labels == {"env": "dev"}
    assert [(i.key, i.value) for i in vm.metadata.items] == [
        ("ssh-keys", "alice:ssh-ed25519 AAAA alice")
    ]

    aggregated = dict(instances.aggregated_list(project=project))
    assert [i.name for i in aggregated[f"zones/{ZONE}"].instances] == ["vm-1"]
    assert [i.name for i in instances.list(project=project, zone=ZONE)] == ["vm-1"]

    wait(instances.delete_unary(project=project, zone=ZONE, instance="vm-1"))
    with pytest.raises(exceptions.NotFound):
        instances.get(project=project, zone=ZONE, instance="vm-1")
    return console


def test_request_id_makes_insert_idempotent(
    clients: Callable[[type], object], project: str
) -> None:
    instances = clients(compute_v1.InstancesClient)
    assert isinstance(instances, compute_v1.InstancesClient)
    request_id = str(uuid.uuid4())
    request = compute_v1.InsertInstanceRequest(
        project=project, zone=ZONE, instance_resource=instance_body("once"), request_id=request_id
    )
    first = instances.insert_unary(request=request)
    again = instances.insert_unary(request=request)
    assert first.name == again.name
    assert [i.name for i in instances.list(project=project, zone=ZONE)] == ["once"]


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"name": "Bad_Name"}, exceptions.BadRequest, "Must be a match of regex"),
        ({"machine_type": "n9-giant-7"}, exceptions.BadRequest, "does not exist in zone"),
        (
            {"image": "projects/debian-cloud/global/images/family/windows-95"},
            exceptions.NotFound,
            "debian-12",
        ),
        ({"name": "taken"}, exceptions.Conflict, "already exists"),
    ],
)
def test_bad_inserts_change_nothing(
    clients: Callable[[type], object],
    project: str,
    change: dict[str, str],
    error: type[Exception],
    words: str,
) -> None:
    instances = clients(compute_v1.InstancesClient)
    assert isinstance(instances, compute_v1.InstancesClient)
    instances.insert_unary(project=project, zone=ZONE, instance_resource=instance_body("taken"))
    before = [i.name for i in instances.list(project=project, zone=ZONE)]
    arguments = {"name": "fine", **change}
    body = instance_body(
        arguments["name"],
        arguments.get("machine_type", "e2-small"),
        arguments.get("image", DEBIAN_12),
    )
    with pytest.raises(error, match=words):
        instances.insert_unary(project=project, zone=ZONE, instance_resource=body)
    assert [i.name for i in instances.list(project=project, zone=ZONE)] == before


def test_unknown_zone_is_not_found(clients: Callable[[type], object], project: str) -> None:
    instances = clients(compute_v1.InstancesClient)
    assert isinstance(instances, compute_v1.InstancesClient)
    with pytest.raises(exceptions.NotFound):
        instances.insert_unary(
            project=project, zone="mars-north1-a", instance_resource=instance_body("x")
        )


def test_default_network_has_auto_mode_subnets(
    clients: Callable[[type], object], project: str
) -> None:
    networks = clients(compute_v1.NetworksClient)
    subnets = clients(compute_v1.SubnetworksClient)
    assert isinstance(networks, compute_v1.NetworksClient)
    assert isinstance(subnets, compute_v1.SubnetworksClient)
    default = networks.get(project=project, network="default")
    assert default.auto_create_subnetworks
    central = list(subnets.list(project=project, region="us-central1"))
    assert [(s.name, s.ip_cidr_range, s.gateway_address) for s in central] == [
        ("default", "10.128.0.0/20", "10.128.0.1")
    ]
