"""Preemptible instances live at most 24 hours (Spot ones have no limit), on a clock
the test moves."""

from __future__ import annotations

from pathlib import Path

from nimbus.services.compute.instance_requests import parse_instance
from nimbus.services.compute.instances import InstanceRef
from nimbus.services.resourcemanager.projects import ProjectSpec
from nimbus.store.models import Instance, Operation
from tests.clocks import ManualClock
from tests.unit.cloud_owner import owner_of
from tests.unit.test_compute_usage import START, ZONE, _cloud

LINK = "http://nimbus/compute/v1/projects/use-project"


def test_preemptible_instances_are_taken_back_after_a_day(tmp_path: Path) -> None:
    clock = ManualClock(START)
    cloud, instances, disks = _cloud(tmp_path, clock)
    owner = owner_of(cloud)
    cloud.projects.create(owner, ProjectSpec("use-project"))
    image = "projects/debian-cloud/global/images/family/debian-12"
    for name, scheduling in (
        ("old", {"preemptible": True}),
        ("spot", {"provisioningModel": "SPOT"}),
    ):
        body = {
            "name": name,
            "machineType": "e2-micro",
            "scheduling": scheduling,
            "disks": [{"boot": True, "initializeParams": {"sourceImage": image}}],
        }
        cloud.instances.insert(owner, "use-project", ZONE, parse_instance(body, ZONE), LINK)
    disks.run_once()
    instances.run_until_settled()

    clock.advance(hours=23, minutes=59)
    instances.watch()
    instances.run_until_settled()
    assert (
        cloud.instances.get(owner, InstanceRef("use-project", ZONE, "old"))[1].status == "RUNNING"
    )

    clock.advance(minutes=2)
    instances.watch()
    instances.run_until_settled()
    with cloud.db.read() as session:
        rows = {row.name: row for row in session.query(Instance)}
        kinds = [op.operation_type for op in session.query(Operation)]
    assert (rows["old"].status, rows["old"].preempted) == ("TERMINATED", True)
    assert (rows["spot"].status, rows["spot"].preempted) == ("RUNNING", False)
    assert kinds.count("compute.instances.preempted") == 1
    cloud.close()
