"""A small Nimbus for the recommender's unit tests: fake instances and disks, a clock
the test moves, flat prices, and rows seeded straight into the store."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from nimbus.controllers.disks import DiskController
from nimbus.controllers.instances import InstanceController
from nimbus.controllers.utilization import UtilizationSampler
from nimbus.runtime.fake import FakeDriver
from nimbus.runtime.fake_disks import MemoryDisks
from nimbus.services.caller import Caller
from nimbus.services.cloud import Cloud
from nimbus.services.compute.instance_requests import parse_instance
from nimbus.services.compute.instances import InstanceRef
from nimbus.services.recommender.findings import Finding
from nimbus.services.recommender.recommenders import findings
from nimbus.services.recommender.scope import Scope
from nimbus.services.recommender.service import Recommendations
from nimbus.services.resourcemanager import hierarchy
from nimbus.services.resourcemanager.projects import ProjectSpec
from nimbus.settings import ServerSettings
from nimbus.store.models import Bucket, Project, Snapshot, StorageOperationCount, StoredObject
from tests.clocks import ManualClock

ZONE = "europe-west1-b"
PROJECT = "hygiene"
LINK = f"http://nimbus/compute/v1/projects/{PROJECT}"
START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
GIB = 2**30
_STORAGE = {
    "STANDARD": Decimal("0.02"),
    "NEARLINE": Decimal("0.01"),
    "COLDLINE": Decimal("0.004"),
    "ARCHIVE": Decimal("0.0012"),
}


class FlatPrices:
    """Round prices, so that savings are easy to check by hand."""

    def monthly_instance_cost(
        self, machine_type: str, vcpus: float, memory_mb: int, location: str, model: str
    ) -> Decimal:
        return Decimal(str(vcpus)) * 20 + Decimal(memory_mb) / 1024 * 3

    def monthly_disk_cost(self, disk_type: str, size_gb: float, location: str) -> Decimal:
        return Decimal(str(size_gb)) * Decimal("0.04")

    def monthly_snapshot_cost(self, size_gb: float, location: str = "global") -> Decimal:
        return Decimal(str(size_gb)) * Decimal("0.05")

    def monthly_storage_cost(self, storage_class: str, location: str, size_bytes: int) -> Decimal:
        return Decimal(size_bytes) / GIB * _STORAGE[storage_class]


@dataclass
class World:
    cloud: Cloud
    clock: ManualClock
    owner: Caller
    instances: InstanceController
    disks: DiskController
    sampler: UtilizationSampler
    recommendations: Recommendations

    @property
    def project(self) -> Project:
        with self.cloud.db.read() as session:
            found = hierarchy.find_project(session, PROJECT)
        assert found is not None
        return found

    def findings(self) -> list[Finding]:
        with self.cloud.db.read() as session:
            project = hierarchy.find_project(session, PROJECT)
            assert project is not None
            return findings(Scope(session, project, self.clock.now(), FlatPrices()))

    def create_instance(self, name: str, machine_type: str, auto_delete: bool = True) -> None:
        body = {
            "name": name,
            "machineType": machine_type,
            "disks": [
                {
                    "boot": True,
                    "autoDelete": auto_delete,
                    "initializeParams": {
                        "diskSizeGb": 10,
                        "sourceImage": "projects/debian-cloud/global/images/family/debian-12",
                    },
                }
            ],
        }
        self.cloud.instances.insert(self.owner, PROJECT, ZONE, parse_instance(body, ZONE), LINK)
        self.settle()

    def stop_instance(self, name: str) -> None:
        self.cloud.instances.stop(self.owner, InstanceRef(PROJECT, ZONE, name), LINK)
        self.settle()

    def settle(self) -> None:
        self.disks.run_once()
        self.instances.run_until_settled()
        self.disks.run_once()

    def add_bucket(self, name: str, age: dt.timedelta, **extra: object) -> Bucket:
        created = self.clock.now() - age
        bucket = Bucket(
            name=name,
            project_number=self.project.number,
            location="EU",
            location_type="multi-region",
            storage_class="STANDARD",
            time_created=created,
            updated=created,
            **extra,
        )
        with self.cloud.db.write() as session:
            session.add(bucket)
        return bucket

    def add_object(self, bucket: str, name: str, size: int, storage_class: str) -> None:
        now = self.clock.now()
        with self.cloud.db.write() as session:
            session.add(
                StoredObject(
                    bucket=bucket,
                    name=name,
                    generation=secrets.randbelow(2**40),
                    live=True,
                    size=size,
                    crc32c=0,
                    storage_class=storage_class,
                    time_created=now,
                    updated=now,
                    time_storage_class_updated=now,
                )
            )

    def count_reads(self, bucket: str, ago: dt.timedelta) -> None:
        hour = (self.clock.now() - ago).replace(minute=0, second=0, microsecond=0)
        with self.cloud.db.write() as session:
            session.add(
                StorageOperationCount(
                    bucket=bucket,
                    hour=hour,
                    project_number=self.project.number,
                    class_a=0,
                    class_b=3,
                )
            )

    def add_snapshot(self, name: str, age: dt.timedelta, stored_gib: int) -> None:
        with self.cloud.db.write() as session:
            session.add(
                Snapshot(
                    id=secrets.randbelow(2**62),
                    project_number=self.project.number,
                    name=name,
                    status="READY",
                    source_disk_id=1,
                    source_disk=f"projects/{PROJECT}/zones/{ZONE}/disks/gone",
                    disk_size_gb=10,
                    disk_type="pd-standard",
                    storage_bytes=stored_gib * GIB,
                    storage_location="eu",
                    label_fingerprint="42WmSpB8rSM=",
                    creation_time=self.clock.now() - age,
                )
            )


def make_world(data: Path) -> World:
    clock = ManualClock(START)
    cloud = Cloud.assemble(ServerSettings(data_dir=data, runtime="fake"), clock=clock)
    cloud.start()
    cloud.image_library._build()
    files = MemoryDisks()
    driver = FakeDriver()
    disks = DiskController(cloud.db, clock, cloud.operations, files)
    instances = InstanceController(
        cloud.db,
        clock,
        cloud.operations,
        driver,
        cloud.image_library,
        cloud.host.networks,
        disks=files,
        make_disk=disks.make_disk,
    )
    with cloud.db.read() as session:
        policy = cloud.policies.read(
            session, hierarchy.org_key(hierarchy.organization(session).number)
        )
    owner = Caller(principal=policy.bindings[0].members[0])
    cloud.projects.create(owner, ProjectSpec(PROJECT))
    return World(
        cloud=cloud,
        clock=clock,
        owner=owner,
        instances=instances,
        disks=disks,
        sampler=UtilizationSampler(cloud.db, clock, driver, interval=60),
        recommendations=Recommendations(cloud.db, cloud.authorizer, clock, FlatPrices),
    )
