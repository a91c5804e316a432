"""Each recommender's findings and savings from a seeded store, with a clock the test
moves: idle, oversized and long-stopped instances, idle disks, old snapshots, and
empty, unread and public buckets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from nimbus.services.recommender.findings import Finding
from nimbus.services.recommender.utilization import Reading, record
from nimbus.store.models import IamPolicy, Instance
from tests.unit.recommender_world import GIB, PROJECT, ZONE, World, make_world

DAY = dt.timedelta(days=1)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(tmp_path)
    yield made
    made.cloud.close()


def _by(world: World, recommender: str) -> list[Finding]:
    return [f for f in world.findings() if f.recommender == recommender]


def _instance(world: World, name: str) -> Instance:
    with world.cloud.db.read() as session:
        return session.query(Instance).filter_by(name=name).one()


def test_an_instance_idle_for_days_should_be_stopped(world: World) -> None:
    world.create_instance("sleepy", "e2-standard-4")
    world.sampler.sample_once()
    world.clock.advance(days=2)
    world.sampler.sample_once()

    [idle] = _by(world, "google.compute.instance.IdleResourceRecommender")
    assert idle.subtype == "STOP_VM"
    assert idle.location == ZONE
    assert idle.target == (
        f"//compute.googleapis.com/projects/{PROJECT}/zones/{ZONE}/instances/sleepy"
    )
    assert idle.saving == 4 * 20 + 16 * 3
    assert idle.command == f"nimbus compute instances stop sleepy --zone={ZONE} --project={PROJECT}"
    assert idle.facts["idleShare"] == 1.0
    # Idle trumps oversized: one recommendation per instance.
    assert _by(world, "google.compute.instance.MachineTypeRecommender") == []

    world.stop_instance("sleepy")
    assert _by(world, "google.compute.instance.IdleResourceRecommender") == []


def test_a_day_of_samples_is_needed_before_calling_an_instance_idle(world: World) -> None:
    world.create_instance("new", "e2-standard-2")
    world.sampler.sample_once()
    world.clock.advance(hours=20)
    world.sampler.sample_once()
    assert _by(world, "google.compute.instance.IdleResourceRecommender") == []


def test_an_oversized_instance_gets_a_smaller_type_of_its_series(world: World) -> None:
    world.create_instance("big", "e2-standard-8")
    instance = _instance(world, "big")
    start = world.clock.now()
    with world.cloud.db.write() as session:
        for hour in range(0, 9 * 24 + 1):
            # Half a vCPU busy all along, 1 GiB of memory in use.
            reading = Reading(
                instance_id=instance.id,
                project_number=instance.project_number,
                at=start + dt.timedelta(hours=hour),
                cpu_seconds=hour * 1800.0,
                memory_bytes=GIB,
                booted_at=start,
            )
            record(session, reading, start - DAY)
    world.clock.advance(days=9)

    [resize] = _by(world, "google.compute.instance.MachineTypeRecommender")
    # e2-micro's quarter cores cannot hold 0.5 vCPU with 20% headroom; e2-small can.
    assert resize.facts["recommendedMachineType"] == "e2-small"
    assert resize.saving == (8 * 20 + 32 * 3) - (2 * 20 + 2 * 3)
    assert resize.operations[1]["value"] == f"zones/{ZONE}/machineTypes/e2-small"
    assert "set-machine-type big --machine-type=e2-small" in resize.command
    assert _by(world, "google.compute.instance.IdleResourceRecommender") == []


def test_a_long_stopped_instance_still_pays_for_its_disks(world: World) -> None:
    world.create_instance("parked", "e2-small")
    world.create_instance("kept", "e2-small", auto_delete=False)
    world.stop_instance("parked")
    world.stop_instance("kept")
    world.clock.advance(days=14)
    assert _by(world, "nimbus.compute.instance.StoppedResourceRecommender") == []
    world.clock.advance(days=2)

    found = {
        f.target.rsplit("/", 1)[-1]: f
        for f in _by(world, "nimbus.compute.instance.StoppedResourceRecommender")
    }
    assert found["parked"].saving == 10 * Decimal("0.04")
    assert found["parked"].facts["deletedWithIt"] == ["parked"]
    # Deleting it keeps a disk that is not auto-deleted: no saving now.
    assert found["kept"].saving == 0
    assert found["kept"].facts["keptDisks"] == ["kept"]
    assert found["parked"].command.endswith("--quiet")


def test_an_unattached_disk_is_snapshotted_and_deleted(world: World) -> None:
    body = {"name": "orphan", "sizeGb": "100", "type": f"zones/{ZONE}/diskTypes/pd-ssd"}
    world.cloud.disks.insert(world.owner, PROJECT, ZONE, body, "http://nimbus/link")
    world.settle()
    world.clock.advance(days=10)
    assert _by(world, "google.compute.disk.IdleResourceRecommender") == []
    world.clock.advance(days=6)

    [idle] = _by(world, "google.compute.disk.IdleResourceRecommender")
    assert idle.subtype == "SNAPSHOT_AND_DELETE_DISK"
    assert idle.saving == 100 * Decimal("0.04")
    assert idle.operations[0]["action"] == "add"
    assert idle.operations[1] == {
        "action": "remove",
        "resourceType": "compute.googleapis.com/Disk",
        "resource": f"//compute.googleapis.com/projects/{PROJECT}/zones/{ZONE}/disks/orphan",
        "path": "/",
    }
    assert idle.command == (
        "nimbus compute snapshots create orphan-backup --source-disk=orphan "
        f"--source-disk-zone={ZONE} --project={PROJECT} && nimbus compute disks delete orphan "
        f"--zone={ZONE} --project={PROJECT} --quiet"
    )


def test_old_snapshots_are_worth_a_look(world: World) -> None:
    world.add_snapshot("last-year", age=200 * DAY, stored_gib=3)
    world.add_snapshot("last-week", age=7 * DAY, stored_gib=3)
    [old] = _by(world, "nimbus.compute.snapshot.IdleResourceRecommender")
    assert old.location == "global"
    assert old.target.endswith("/global/snapshots/last-year")
    assert old.saving == 3 * Decimal("0.05")


def test_buckets_empty_unread_and_public(world: World) -> None:
    world.add_bucket("forgotten-empty", age=40 * DAY)
    world.add_bucket("young-empty", age=10 * DAY)
    world.add_bucket("archive-me", age=400 * DAY)
    world.add_object("archive-me", "a", 10 * GIB, "STANDARD")
    world.add_object("archive-me", "b", 10 * GIB, "NEARLINE")
    world.count_reads("archive-me", ago=100 * DAY)
    world.add_bucket("busy", age=400 * DAY)
    world.add_object("busy", "hot", 10 * GIB, "STANDARD")
    world.count_reads("busy", ago=2 * DAY)

    [empty] = _by(world, "nimbus.storage.bucket.IdleResourceRecommender")
    assert empty.target == "//storage.googleapis.com/projects/_/buckets/forgotten-empty"
    assert empty.command == "nimbus storage buckets delete gs://forgotten-empty"

    [colder] = _by(world, "nimbus.storage.bucket.StorageClassRecommender")
    assert colder.target.endswith("/buckets/archive-me")
    # Unread for 100 days: COLDLINE, for both the STANDARD and the NEARLINE bytes.
    assert colder.saving == 10 * (Decimal("0.02") - Decimal("0.004")) + 10 * (
        Decimal("0.01") - Decimal("0.004")
    )
    assert colder.command == (
        "nimbus storage buckets update gs://archive-me --default-storage-class=COLDLINE && "
        "nimbus storage objects update 'gs://archive-me/**' --storage-class=COLDLINE"
    )

    assert _by(world, "nimbus.storage.bucket.PublicAccessRecommender") == []
    world.add_bucket(
        "open-acl",
        age=DAY,
        extra={"defaultObjectAcl": [{"entity": "allUsers", "role": "READER"}]},
    )
    world.add_bucket("open-iam", age=DAY)
    with world.cloud.db.write() as session:
        session.add(
            IamPolicy(
                resource="buckets/open-iam",
                etag="CAE=",
                bindings=[{"role": "roles/storage.objectViewer", "members": ["allUsers"]}],
                update_time=world.clock.now(),
            )
        )
    public = {
        f.target.rsplit("/", 1)[-1]: f
        for f in _by(world, "nimbus.storage.bucket.PublicAccessRecommender")
    }
    assert public["open-iam"].category == "SECURITY"
    assert public["open-iam"].priority == "P1"
    assert public["open-iam"].command == (
        "nimbus storage buckets remove-iam-policy-binding gs://open-iam --member=allUsers "
        "--role=roles/storage.objectViewer"
    )
    assert public["open-acl"].command == (
        "nimbus storage buckets update gs://open-acl --uniform-bucket-level-access"
    )
    assert public["open-acl"].impact() == {
        "category": "SECURITY",
        "securityProjection": {
            "details": {
                "publicMembers": ["allUsers"],
                "roles": [],
                "defaultObjectAcl": ["allUsers"],
            }
        },
    }
