"""The instance controller against the fake driver and its injected failures, in process:
what the store says after each kind of trouble."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from nimbus.controllers.instances import InstanceController
from nimbus.runtime.driver import Driver
from nimbus.runtime.fake import BrokenImageDriver, CrashingDriver, FailingCreateDriver, FakeDriver
from nimbus.services.cloud import Cloud
from nimbus.services.compute.instance_requests import parse_instance
from nimbus.services.compute.instances import InstanceRef
from nimbus.services.resourcemanager import hierarchy
from nimbus.services.resourcemanager.projects import ProjectSpec
from nimbus.settings import ServerSettings
from nimbus.store.models import Instance, Operation
from tests.unit.cloud_owner import owner_of

ZONE = "asia-east1-b"
LINK = "http://nimbus/compute/v1/projects/ctl-project"


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    built = Cloud.assemble(ServerSettings(data_dir=tmp_path, runtime="fake"))
    built.start()
    built.image_library._build()  # the fake image is ready at once
    yield built
    built.close()


def _controller(cloud: Cloud, driver: Driver) -> InstanceController:
    """A controller over ``driver`` (the cloud's own is never started here)."""
    host = dataclasses.replace(cloud.host, driver=driver)
    return InstanceController(
        cloud.db, cloud.clock, cloud.operations, host.driver, cloud.image_library, host.networks
    )


def _insert(cloud: Cloud, name: str, machine_type: str = "e2-micro") -> Instance:
    owner = owner_of(cloud)
    with cloud.db.read() as session:
        exists = hierarchy.find_project(session, "ctl-project") is not None
    if not exists:
        cloud.projects.create(owner, ProjectSpec("ctl-project"))
    body = {
        "name": name,
        "machineType": machine_type,
        "disks": [{"boot": True, "initializeParams": {
            "sourceImage": "projects/debian-cloud/global/images/family/debian-12"}}],
    }  # fmt: skip
    cloud.instances.insert(owner, "ctl-project", ZONE, parse_instance(body, ZONE), LINK)
    return cloud.instances.get(owner, InstanceRef("ctl-project", ZONE, name))[1]


def _state(cloud: Cloud, instance: Instance) -> tuple[str, list[Operation]]:
    with cloud.db.read() as session:
        row = session.get(Instance, instance.id)
        ops = [op for op in session.query(Operation) if op.target_id == str(instance.id)]
        return (row.status if row else "GONE"), ops


def test_a_booted_instance_gets_its_machine_types_limits(cloud: Cloud) -> None:
    driver = FakeDriver()
    micro, standard = _insert(cloud, "micro"), _insert(cloud, "standard", "n1-standard-2")
    _controller(cloud, driver).run_until_settled()
    assert _state(cloud, micro)[0] == "RUNNING"
    # Shared-core e2-micro: 2 vCPUs seen, a quarter of a core guaranteed, bursting to 2.
    assert driver.instances[str(micro.id)].spec.cpu_share == 0.25
    assert driver.instances[str(micro.id)].spec.vcpus == 2
    assert len(driver.instances[str(micro.id)].spec.cpus) == min(2, os.cpu_count() or 1)
    assert driver.instances[str(standard.id)].spec.vcpus == 2
    assert driver.instances[str(standard.id)].spec.cpu_share is None
    assert driver.instances[str(standard.id)].spec.memory_mb == 7680


@pytest.mark.parametrize("failing", [FailingCreateDriver, BrokenImageDriver])
def test_a_failed_boot_fails_the_operation(cloud: Cloud, failing: type[FakeDriver]) -> None:
    instance = _insert(cloud, "unlucky")
    _controller(cloud, failing()).run_until_settled()
    status, operations = _state(cloud, instance)
    assert status == "TERMINATED"
    (insert,) = operations
    assert insert.status == "DONE" and insert.error and insert.http_error_status_code == 503


def test_an_instance_that_dies_is_terminated_and_can_start_again(cloud: Cloud) -> None:
    driver = CrashingDriver()
    instance = _insert(cloud, "fragile")
    controller = _controller(cloud, driver)
    controller.run_until_settled()
    controller.watch()
    assert _state(cloud, instance)[0] == "TERMINATED"
    owner = owner_of(cloud)
    cloud.instances.start(owner, InstanceRef("ctl-project", ZONE, "fragile"), LINK)
    controller.run_until_settled()
    assert _state(cloud, instance)[0] == "RUNNING"


def test_recovery_reboots_what_should_run_and_removes_orphans(cloud: Cloud) -> None:
    driver = FakeDriver()
    instance = _insert(cloud, "survivor")
    _controller(cloud, driver).run_until_settled()
    # A host reboot: nothing runs; and the driver holds an instance the store forgot.
    driver.instances[str(instance.id)].running = False
    orphan = dataclasses.replace(driver.instances[str(instance.id)].spec, instance_id="7")
    driver.create(orphan)
    restarted = _controller(cloud, driver)
    restarted.recover()
    restarted.run_until_settled()
    assert driver.instance_ids() == [str(instance.id)]
    assert driver.status(str(instance.id)).power.value == "running"
    assert _state(cloud, instance)[0] == "RUNNING"
