"""Persistent disks and preemption on real instances (runc, loop devices, ext4), as a
user sees them from inside: a file outlives its instance on a disk, a disk grows, a
snapshot restores, and a preempted Spot instance hears of it.

Needs root (as CI has).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import google.auth.transport.requests
import pytest

from tests.conftest import unique_id
from tests.real_compute import Cli, container_server, owner_session
from tests.servers import NimbusServer

ZONE = "us-central1-a"
DEBIAN_12 = "projects/debian-cloud/global/images/family/debian-12"
SHUTDOWN = """#!/bin/bash
said=$(curl -s -H 'Metadata-Flavor: Google' \
  http://metadata.google.internal/computeMetadata/v1/instance/preempted)
echo "shutdown script saw preempted=$said"
"""


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory, image_cache: Path) -> Iterator[NimbusServer]:
    with container_server(tmp_path_factory.mktemp("disks") / "data", image_cache) as server:
        yield server


class Api:
    """compute/v1 over HTTP as the owner, waiting for Operations like a client does."""

    def __init__(self, server: NimbusServer, project: str) -> None:
        self.session: google.auth.transport.requests.AuthorizedSession = owner_session(server)
        self.base = f"{server.url}/compute/v1/projects/{project}"
        self.zone = f"{self.base}/zones/{ZONE}"

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = path if path.startswith("http") else f"{self.zone}{path}"
        response = self.session.request(method, url, **kwargs)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def done(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        operation = self.call(method, path, **kwargs)
        scope = self.zone if "zone" in operation else f"{self.base}/global"
        while operation["status"] != "DONE":
            operation = self.call("POST", f"{scope}/operations/{operation['name']}/wait")
        assert "error" not in operation, operation
        return operation


@pytest.fixture
def project(real: NimbusServer) -> str:
    project_id = unique_id("disk")
    with owner_session(real) as owner:
        created = owner.post(f"{real.url}/v1/projects", json={"projectId": project_id})
        assert created.status_code == 200, created.text
    return project_id


@pytest.fixture
def api(real: NimbusServer, project: str) -> Api:
    return Api(real, project)


@pytest.fixture
def user(real: NimbusServer, tmp_path: Path) -> Cli:
    return Cli(real, tmp_path / "home")


def instance(name: str, *disks: dict[str, Any], **more: Any) -> dict[str, Any]:
    boot = {"boot": True, "autoDelete": True, "initializeParams": {"sourceImage": DEBIAN_12}}
    return {
        "name": name,
        "machineType": f"zones/{ZONE}/machineTypes/e2-small",
        "disks": [boot, *disks],
        "networkInterfaces": [
            {"network": "global/networks/default", "accessConfigs": [{"type": "ONE_TO_ONE_NAT"}]}
        ],
        **more,
    }


def ssh(user: Cli, project: str, name: str, command: str) -> subprocess.CompletedProcess[str]:
    return user.run(
        "compute", "ssh", name, f"--zone={ZONE}", f"--project={project}", "--command", command
    )


def checked(user: Cli, project: str, name: str, command: str) -> str:
    done = ssh(user, project, name, command)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_file_outlives_its_instance_on_a_disk(api: Api, user: Cli, project: str) -> None:
    api.done("POST", "/disks", json={"name": "data", "sizeGb": "10", "type": "pd-balanced"})
    keep = {"source": f"zones/{ZONE}/disks/data", "deviceName": "data", "autoDelete": False}
    api.done("POST", "/instances", json=instance("writer", keep))
    assert "google-data" in checked(user, project, "writer", "ls /dev/disk/by-id/")
    checked(user, project, "writer", "echo kept across instances | sudo tee /mnt/disks/data/note")
    size = checked(user, project, "writer", "df -BG --output=size /mnt/disks/data | tail -1")
    assert int(size.strip().rstrip("G")) in range(9, 11)

    api.done("DELETE", "/instances/writer")
    disk = api.call("GET", "/disks/data")
    assert disk["status"] == "READY" and "users" not in disk

    # Resized while free, it is larger where it is next attached.
    api.done("POST", "/disks/data/resize", json={"sizeGb": "20"})
    assert api.call("GET", "/disks/data")["sizeGb"] == "20"

    # Attached to a new, running instance, the file is there.
    api.done("POST", "/instances", json=instance("reader"))
    api.done(
        "POST",
        "/instances/reader/attachDisk",
        json={"source": f"zones/{ZONE}/disks/data", "deviceName": "data"},
    )
    assert checked(user, project, "reader", "cat /mnt/disks/data/note").strip() == (
        "kept across instances"
    )
    grown = checked(user, project, "reader", "df -BG --output=size /mnt/disks/data | tail -1")
    assert int(grown.strip().rstrip("G")) in range(19, 21)

    # A snapshot taken while it is in use restores into a new disk, read-only here.
    api.done(
        "POST",
        f"{api.base}/global/snapshots",
        json={"name": "data-snap", "sourceDisk": f"zones/{ZONE}/disks/data"},
    )
    api.done(
        "POST", "/disks", json={"name": "restored", "sourceSnapshot": "global/snapshots/data-snap"}
    )
    api.done(
        "POST",
        "/instances/reader/attachDisk",
        json={
            "source": f"zones/{ZONE}/disks/restored",
            "mode": "READ_ONLY",
            "deviceName": "restored",
        },
    )
    assert checked(user, project, "reader", "cat /mnt/disks/restored/note").strip() == (
        "kept across instances"
    )
    denied = ssh(user, project, "reader", "sudo touch /mnt/disks/restored/new")
    assert denied.returncode != 0

    # Detached, it is gone from the instance.
    api.done("POST", "/instances/reader/detachDisk", params={"deviceName": "restored"})
    assert "restored" not in checked(user, project, "reader", "ls /mnt/disks/")


def test_a_preempted_spot_instance_hears_of_it(api: Api, user: Cli, project: str) -> None:
    body = instance(
        "spot-vm",
        scheduling={"provisioningModel": "SPOT", "instanceTerminationAction": "STOP"},
        metadata={"items": [{"key": "shutdown-script", "value": SHUTDOWN}]},
    )
    api.done("POST", "/instances", json=body)
    assert checked(user, project, "spot-vm", "hostname").strip() == "spot-vm"
    api.done("POST", "/instances/spot-vm/simulateMaintenanceEvent")
    preempted = [
        op
        for op in api.call("GET", "/operations")["items"]
        if op["operationType"] == "compute.instances.preempted"
    ]
    assert len(preempted) == 1
    while preempted[0]["status"] != "DONE":
        preempted = [api.call("POST", f"/operations/{preempted[0]['name']}/wait")]
    vm = api.call("GET", "/instances/spot-vm")
    assert vm["status"] == "TERMINATED"

    deadline = time.monotonic() + 30
    serial = ""
    while "shutdown script saw" not in serial and time.monotonic() < deadline:
        serial = api.call("GET", "/instances/spot-vm/serialPort")["contents"]
        time.sleep(0.5)
    assert "shutdown script saw preempted=TRUE" in serial
