"""Quota rules on a Cloud in this process (fake runtime, no controllers): what counts
against which quota, which limit applies where, Google's messages, and Cloud Quotas'
safety checks on a decrease."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nimbus.core.errors import FailedPrecondition, InvalidArgument, NimbusError
from nimbus.services.caller import Caller
from nimbus.services.cloud import Cloud
from nimbus.services.compute import instance_states as st
from nimbus.services.compute import quotas
from nimbus.services.compute.instance_requests import parse_instance
from nimbus.services.compute.instances import InstanceRef
from nimbus.services.compute.quota_preference_rows import PreferenceFields
from nimbus.services.compute.quota_preferences import Safety
from nimbus.services.compute.quota_safety import BELOW_USAGE, PERCENTAGE_TOO_HIGH
from nimbus.services.resourcemanager import hierarchy
from nimbus.services.resourcemanager.projects import ProjectSpec
from nimbus.settings import ServerSettings
from nimbus.store.models import Disk, Instance

PROJECT = "quota-project"
ZONE = "us-central1-a"
LINK = f"http://nimbus/compute/v1/projects/{PROJECT}"
DEBIAN = "projects/debian-cloud/global/images/family/debian-12"


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    settings = ServerSettings(
        data_dir=tmp_path, runtime="fake", cpu_allocation_ratio=1000, ram_allocation_ratio=1000
    )
    made = Cloud.assemble(settings)
    made.start()
    made.image_library._build()
    with made.db.read() as session:
        policy = made.policies.read(
            session, hierarchy.org_key(hierarchy.organization(session).number)
        )
    made.projects.create(Caller(principal=policy.bindings[0].members[0]), ProjectSpec(PROJECT))
    yield made
    made.close()


def owner(cloud: Cloud) -> Caller:
    with cloud.db.read() as session:
        policy = cloud.policies.read(
            session, hierarchy.org_key(hierarchy.organization(session).number)
        )
    return Caller(principal=policy.bindings[0].members[0])


def insert(cloud: Cloud, name: str, machine_type: str, **extra: Any) -> None:
    body = {
        "name": name,
        "machineType": machine_type,
        "disks": [{"boot": True, "initializeParams": {"sourceImage": DEBIAN, "diskSizeGb": 10}}],
        **extra,
    }
    cloud.instances.insert(owner(cloud), PROJECT, ZONE, parse_instance(body, ZONE), LINK)


def set_state(cloud: Cloud, name: str, status: str, desired: str) -> None:
    with cloud.db.write() as session:
        row = session.scalars(select(Instance).where(Instance.name == name)).one()
        row.status, row.desired_status = status, desired


def prefer(cloud: Cloud, quota_id: str, value: int, region: str | None = None) -> str:
    """A granted preference (past every safety check); its id."""
    return cloud.quota_preferences.create(
        owner(cloud),
        PROJECT,
        None,
        PreferenceFields(
            service="compute.googleapis.com",
            quota_id=quota_id,
            dimensions={"region": region} if region else {},
            preferred_value=value,
        ),
        Safety(frozenset({BELOW_USAGE, PERCENTAGE_TOO_HIGH})),
    ).preference_id


def region_quotas(cloud: Cloud, region: str = "us-central1") -> dict[str, tuple[float, float]]:
    number = number_of(cloud)
    return {
        line.metric: (line.usage, line.limit)
        for line in cloud.compute_quotas.region(number, region)
    }


def number_of(cloud: Cloud) -> int:
    with cloud.db.read() as session:
        found = hierarchy.find_project(session, PROJECT)
        assert found is not None
        return found.number


def test_cpus_count_instances_that_run_or_were_asked_to(cloud: Cloud) -> None:
    insert(cloud, "running", "e2-standard-4")
    insert(cloud, "micro", "e2-micro")  # shared-core: counts its 2 vCPUs
    insert(cloud, "stopped", "e2-standard-4")
    insert(cloud, "suspended", "e2-standard-4")
    insert(cloud, "starting", "e2-standard-2")
    insert(cloud, "stopping", "e2-standard-2")
    set_state(cloud, "running", st.RUNNING, st.WANT_RUNNING)
    set_state(cloud, "stopped", st.TERMINATED, st.WANT_TERMINATED)
    set_state(cloud, "suspended", st.SUSPENDED, st.WANT_SUSPENDED)
    set_state(cloud, "starting", st.TERMINATED, st.WANT_RUNNING)
    set_state(cloud, "stopping", st.STOPPING, st.WANT_TERMINATED)
    shown = region_quotas(cloud)
    assert shown["CPUS"] == (4 + 2 + 2 + 2, 24)
    assert shown["INSTANCES"] == (6, 240)
    # Six 10 GB pd-standard boot disks.
    assert shown["DISKS_TOTAL_GB"] == (60, 4096)
    assert shown["SSD_TOTAL_GB"] == (0, 500)
    assert region_quotas(cloud, "europe-west1")["CPUS"] == (0, 24)


def test_spot_cpus_move_to_their_own_quota_once_it_is_granted(cloud: Cloud) -> None:
    insert(cloud, "spot", "e2-standard-4", scheduling={"provisioningModel": "SPOT"})
    insert(cloud, "steady", "e2-standard-2")
    shown = region_quotas(cloud)
    assert shown["CPUS"] == (6, 24) and shown["PREEMPTIBLE_CPUS"] == (0, 0)
    prefer(cloud, "PREEMPTIBLE-CPUS-per-project-region", 16, "us-central1")
    shown = region_quotas(cloud)
    assert shown["CPUS"] == (2, 24) and shown["PREEMPTIBLE_CPUS"] == (4, 16)


def test_disk_types_and_deleting_disks(cloud: Cloud) -> None:
    for name, disk_type, size in (("std", "pd-standard", 300), ("ssd", "pd-ssd", 40),
                                  ("bal", "pd-balanced", 60), ("gone", "pd-ssd", 100)):  # fmt: skip
        body = {"name": name, "sizeGb": str(size), "type": f"zones/{ZONE}/diskTypes/{disk_type}"}
        cloud.disks.insert(owner(cloud), PROJECT, ZONE, body, LINK)
    with cloud.db.write() as session:
        session.scalars(select(Disk).where(Disk.name == "gone")).one().status = "DELETING"
    shown = region_quotas(cloud)
    assert shown["DISKS_TOTAL_GB"] == (300, 4096)
    assert shown["SSD_TOTAL_GB"] == (100, 500)


def test_which_limit_applies_where(cloud: Cloud) -> None:
    prefer(cloud, "CPUS-per-project-region", 8)  # every region without its own
    prefer(cloud, "CPUS-per-project-region", 96, "europe-west1")
    assert region_quotas(cloud)["CPUS"][1] == 8
    assert region_quotas(cloud, "europe-west1")["CPUS"][1] == 96
    # The instance quota follows the CPU quota unless set itself.
    assert region_quotas(cloud, "europe-west1")["INSTANCES"][1] == 960
    prefer(cloud, "INSTANCES-per-project-region", 3, "europe-west1")
    assert region_quotas(cloud, "europe-west1")["INSTANCES"][1] == 3
    # -1 is unlimited.
    prefer(cloud, "CPUS-per-project-region", -1, "asia-east1")
    with cloud.db.write() as session:
        quotas.enforce(session, number_of(cloud), "asia-east1", ["CPUS"], pending={"CPUS": 10**6})


def test_enforce_checks_only_what_a_write_grows(cloud: Cloud) -> None:
    insert(cloud, "a", "e2-standard-4")
    prefer(cloud, "CPUS-per-project-region", 2, "us-central1")
    number = number_of(cloud)
    with cloud.db.write() as session:
        # Below usage now: growth is refused, other quotas are not touched.
        quotas.enforce(session, number, "us-central1", ["INSTANCES"])
        with pytest.raises(NimbusError) as caught:
            quotas.enforce(session, number, "us-central1", ["CPUS"])
    assert caught.value.code == 403
    assert caught.value.message == "Quota 'CPUS' exceeded.  Limit: 2.0 in region us-central1."
    assert caught.value.to_body()["error"]["errors"] == [  # type: ignore[index]
        {"message": caught.value.message, "domain": "usageLimits", "reason": "quotaExceeded"}
    ]
    assert str(quotas.exceeded("NETWORKS", 5, None)) == (
        "Quota 'NETWORKS' exceeded.  Limit: 5.0 globally."
    )


def test_refused_insert_leaves_nothing(cloud: Cloud) -> None:
    prefer(cloud, "CPUS-per-project-region", 2, "us-central1")
    with pytest.raises(NimbusError):
        insert(cloud, "too-big", "e2-standard-4")
    with cloud.db.read() as session:
        assert session.scalars(select(Instance)).all() == []
        assert session.scalars(select(Disk)).all() == []


def test_safety_checks_on_a_decrease(cloud: Cloud) -> None:
    insert(cloud, "a", "e2-standard-8")
    fields = PreferenceFields(
        service="compute.googleapis.com",
        quota_id="CPUS-per-project-region",
        dimensions={"region": "us-central1"},
        preferred_value=22,
    )
    caller = owner(cloud)
    # 24 to 22 is a cut under 10 percent: allowed as is.
    cloud.quota_preferences.create(caller, PROJECT, "cpus", fields)

    def lower(value: int, *ignored: str) -> None:
        cloud.quota_preferences.update(
            caller,
            PROJECT,
            "cpus",
            PreferenceFields(preferred_value=value),
            mask=["quota_config.preferred_value"],
            safety=Safety(frozenset(ignored)),
        )

    with pytest.raises(FailedPrecondition, match=PERCENTAGE_TOO_HIGH):
        lower(10)
    with pytest.raises(FailedPrecondition, match=BELOW_USAGE):
        lower(6, PERCENTAGE_TOO_HIGH)
    lower(6, PERCENTAGE_TOO_HIGH, BELOW_USAGE)
    assert region_quotas(cloud)["CPUS"] == (8, 6)
    # Increases are never checked; bad masks and immutable fields are 400s.
    lower(100)
    with pytest.raises(InvalidArgument):
        cloud.quota_preferences.update(
            caller, PROJECT, "cpus", PreferenceFields(preferred_value=1), mask=["quotaId"]
        )
    with pytest.raises(InvalidArgument):
        cloud.quota_preferences.update(
            caller, PROJECT, "cpus", PreferenceFields(dimensions={"region": "us-east1"})
        )


def test_resume_and_start_count_against_the_quota(cloud: Cloud) -> None:
    insert(cloud, "sleeper", "e2-standard-4")
    insert(cloud, "stopped", "e2-standard-4")
    insert(cloud, "busy", "e2-standard-4")
    set_state(cloud, "sleeper", st.SUSPENDED, st.WANT_SUSPENDED)
    set_state(cloud, "stopped", st.TERMINATED, st.WANT_TERMINATED)
    central = prefer(cloud, "CPUS-per-project-region", 6, "us-central1")
    caller = owner(cloud)
    message = re.escape("Quota 'CPUS' exceeded.  Limit: 6.0 in region us-central1.")
    for verb, name in ((cloud.instances.resume, "sleeper"), (cloud.instances.start, "stopped")):
        with pytest.raises(NimbusError, match=message):
            verb(caller, InstanceRef(PROJECT, ZONE, name), LINK)
    with cloud.db.read() as session:
        wanted = {n: d for n, d in session.execute(select(Instance.name, Instance.desired_status))}
    assert wanted["sleeper"] == st.WANT_SUSPENDED and wanted["stopped"] == st.WANT_TERMINATED
    # Room for one more: the resume goes through and is counted.
    assert region_quotas(cloud)["CPUS"] == (4, 6)
    fields = PreferenceFields(preferred_value=8)
    cloud.quota_preferences.update(caller, PROJECT, central, fields, mask=["quotaConfig"])
    cloud.instances.resume(caller, InstanceRef(PROJECT, ZONE, "sleeper"), LINK)
    assert region_quotas(cloud)["CPUS"] == (8, 8)
