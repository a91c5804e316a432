"""Usage records for billing, driven by a clock the test moves: seconds run per machine
type and provisioning model, GB provisioned over time per disk, across a restart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from nimbus.controllers.disks import DiskController
from nimbus.controllers.instances import InstanceController
from nimbus.runtime.fake import FakeDriver
from nimbus.runtime.fake_disks import MemoryDisks
from nimbus.services.cloud import Cloud
from nimbus.services.compute import usage
from nimbus.services.compute.instance_requests import parse_instance
from nimbus.services.compute.instances import InstanceRef
from nimbus.services.resourcemanager import hierarchy
from nimbus.services.resourcemanager.projects import ProjectSpec
from nimbus.settings import ServerSettings
from tests.clocks import ManualClock
from tests.unit.cloud_owner import owner_of

ZONE = "europe-west1-b"
LINK = "http://nimbus/compute/v1/projects/use-project"
START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _cloud(data: Path, clock: ManualClock) -> tuple[Cloud, InstanceController, DiskController]:
    cloud = Cloud.assemble(ServerSettings(data_dir=data, runtime="fake"), clock=clock)
    cloud.start()
    cloud.image_library._build()
    files = MemoryDisks()
    disks = DiskController(cloud.db, clock, cloud.operations, files)
    instances = InstanceController(
        cloud.db,
        clock,
        cloud.operations,
        FakeDriver(),
        cloud.image_library,
        cloud.host.networks,
        disks=files,
    )
    return cloud, instances, disks


def _lines(cloud: Cloud, end: dt.datetime) -> dict[tuple[str, str, str], usage.UsageLine]:
    with cloud.db.read() as session:
        number = hierarchy.find_project(session, "use-project").number  # type: ignore[union-attr]
        lines = usage.usage_between(session, number, START, end)
    return {(line.resource_kind, line.resource_name, line.sku): line for line in lines}


def test_seconds_run_and_gigabytes_kept(tmp_path: Path) -> None:
    clock = ManualClock(START)
    cloud, instances, disks = _cloud(tmp_path, clock)
    owner = owner_of(cloud)
    cloud.projects.create(owner, ProjectSpec("use-project"))
    body = {
        "name": "worker",
        "machineType": "e2-standard-2",
        "scheduling": {"provisioningModel": "SPOT"},
        "disks": [
            {
                "boot": True,
                "autoDelete": False,
                "initializeParams": {
                    "diskSizeGb": 30,
                    "sourceImage": "projects/debian-cloud/global/images/family/debian-12",
                },
            }
        ],
    }
    cloud.instances.insert(owner, "use-project", ZONE, parse_instance(body, ZONE), LINK)
    disks.run_once()
    instances.run_until_settled()
    clock.advance(seconds=90)
    ref = InstanceRef("use-project", ZONE, "worker")
    cloud.instances.stop(owner, ref, LINK)
    instances.run_until_settled()
    clock.advance(hours=1)
    cloud.close()

    # A restart forgets nothing: the disk kept accruing while stopped.
    cloud, instances, disks = _cloud(tmp_path, clock)
    clock.advance(seconds=30)
    cloud.instances.start(owner, ref, LINK)
    instances.run_until_settled()
    clock.advance(seconds=60)
    lines = _lines(cloud, clock.now())
    run = lines[("instance", "worker", "e2-standard-2")]
    assert run.provisioning_model == "SPOT"
    assert run.seconds == 150
    assert run.vcpu_seconds == 300
    assert run.memory_gib_seconds == 150 * 8
    disk = lines[("disk", "worker", "pd-standard")]
    total = 90 + 3600 + 30 + 60
    assert disk.seconds == total
    assert disk.gb_seconds == total * 30
    cloud.close()
