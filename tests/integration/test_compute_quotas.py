"""Compute Engine quotas through the official client: Google's 403 with nothing made,
limits raised and lowered through the Cloud Quotas API, usage and limits in
``regions.get`` and ``projects.get``, and concurrent inserts counted one by one."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import google.auth.transport.requests
import pytest
from google.api_core import exceptions
from google.cloud import compute_v1
from google.oauth2 import service_account

from tests.compute_ops import ok
from tests.conftest import CLOUD_PLATFORM, unique_id
from tests.integration.test_auth import grant, make_account_key
from tests.integration.test_compute_instances import DEBIAN_12, ZONE
from tests.servers import NimbusServer

Session = google.auth.transport.requests.AuthorizedSession
REGION = "us-central1"
IGNORE_ALL = {
    "ignoreSafetyChecks": ["QUOTA_DECREASE_BELOW_USAGE", "QUOTA_DECREASE_PERCENTAGE_TOO_HIGH"]
}


@pytest.fixture
def make(server: NimbusServer, owner_credentials: service_account.Credentials) -> Any:
    def client(kind: type) -> Any:
        return kind(
            credentials=owner_credentials,
            transport="rest",
            client_options={"api_endpoint": server.url},
        )

    return client


def vm(name: str, machine_type: str = "e2-standard-2") -> compute_v1.Instance:
    return compute_v1.Instance(
        name=name,
        machine_type=f"zones/{ZONE}/machineTypes/{machine_type}",
        disks=[
            compute_v1.AttachedDisk(
                boot=True,
                auto_delete=True,
                initialize_params=compute_v1.AttachedDiskInitializeParams(source_image=DEBIAN_12),
            )
        ],
    )


def set_limit(
    server: NimbusServer,
    owner: Session,
    project: str,
    quota_id: str,
    value: int,
    region: str | None = REGION,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Create or replace the project's preference for one quota (PATCH with allowMissing)."""
    preference = f"{quota_id.lower()}-{region or 'global'}"
    body = {
        "service": "compute.googleapis.com",
        "quotaId": quota_id,
        "quotaConfig": {"preferredValue": str(value)},
        "dimensions": {"region": region} if region else {},
    }
    response = owner.patch(
        f"{server.url}/v1/projects/{project}/locations/global/quotaPreferences/{preference}",
        params={"allowMissing": "true", **(params or {})},
        json=body,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def quotas_of(found: Any) -> dict[str, tuple[float, float]]:
    return {q.metric: (q.usage, q.limit) for q in found.quotas}


def refused(call: Callable[[], Any]) -> str:
    """The message of Google's quota 403."""
    with pytest.raises(exceptions.Forbidden) as caught:
        call()
    error = caught.value
    assert error.code == 403
    reasons = [e.get("reason") for e in error.errors]
    domains = [e.get("domain") for e in error.errors]
    assert reasons == ["quotaExceeded"] and domains == ["usageLimits"], error.errors
    return str(error.errors[0]["message"])


def test_cpus_past_the_limit_refused_then_raised(
    make: Any, server: NimbusServer, owner: Session, project: str
) -> None:
    instances = make(compute_v1.InstancesClient)
    disks = make(compute_v1.DisksClient)
    for name in ("big-1", "big-2", "big-3"):
        ok(
            make,
            project,
            instances.insert_unary(
                project=project, zone=ZONE, instance_resource=vm(name, "e2-standard-8")
            ),
        )

    # 24 of 24 vCPUs used: one more is Google's 403, and nothing of it is made.
    message = refused(
        lambda: instances.insert_unary(project=project, zone=ZONE, instance_resource=vm("one-more"))
    )
    assert message == "Quota 'CPUS' exceeded.  Limit: 24.0 in region us-central1."
    raw = owner.post(
        f"{server.url}/compute/v1/projects/{project}/zones/{ZONE}/instances",
        json={"name": "raw", "machineType": f"zones/{ZONE}/machineTypes/e2-micro",
              "disks": [{"boot": True, "initializeParams": {"sourceImage": DEBIAN_12}}]},
    )  # fmt: skip
    assert raw.status_code == 403
    assert raw.json()["error"]["errors"] == [
        {"message": message, "domain": "usageLimits", "reason": "quotaExceeded"}
    ]
    assert sorted(i.name for i in instances.list(project=project, zone=ZONE)) == [
        "big-1",
        "big-2",
        "big-3",
    ]
    assert sorted(d.name for d in disks.list(project=project, zone=ZONE)) == [
        "big-1",
        "big-2",
        "big-3",
    ]

    region = make(compute_v1.RegionsClient).get(project=project, region=REGION)
    shown = quotas_of(region)
    assert shown["CPUS"] == (24.0, 24.0)
    assert shown["INSTANCES"] == (3.0, 240.0)
    assert shown["PREEMPTIBLE_CPUS"] == (0.0, 0.0)
    assert shown["DISKS_TOTAL_GB"][1] == 4096.0 and shown["SSD_TOTAL_GB"] == (0.0, 500.0)
    other = make(compute_v1.RegionsClient).get(project=project, region="europe-west1")
    assert quotas_of(other)["CPUS"] == (0.0, 24.0)

    # An administrator raises the limit: granted at once, and the insert goes through.
    granted = set_limit(server, owner, project, "CPUS-per-project-region", 48)
    assert granted["quotaConfig"]["grantedValue"] == "48"
    assert granted["reconciling"] is False
    ok(
        make,
        project,
        instances.insert_unary(project=project, zone=ZONE, instance_resource=vm("one-more")),
    )
    region = make(compute_v1.RegionsClient).get(project=project, region=REGION)
    assert quotas_of(region)["CPUS"] == (26.0, 48.0)
    assert quotas_of(region)["INSTANCES"] == (4.0, 480.0)
    listed = {r.name: quotas_of(r) for r in make(compute_v1.RegionsClient).list(project=project)}
    assert listed[REGION]["CPUS"] == (26.0, 48.0)
    assert listed["europe-west1"]["CPUS"] == (0.0, 24.0)


def test_start_and_machine_type_changes_are_counted(
    make: Any, server: NimbusServer, owner: Session, project: str
) -> None:
    set_limit(server, owner, project, "CPUS-per-project-region", 4, params=IGNORE_ALL)
    instances = make(compute_v1.InstancesClient)

    def insert(name: str) -> None:
        op = instances.insert_unary(project=project, zone=ZONE, instance_resource=vm(name))
        ok(make, project, op)

    insert("a")
    insert("b")
    ok(make, project, instances.stop_unary(project=project, zone=ZONE, instance="b"))

    # A stopped instance holds no CPUs, but its new type must fit the quota to start.
    def machine_type(name: str) -> Any:
        return instances.set_machine_type_unary(
            project=project,
            zone=ZONE,
            instance="b",
            instances_set_machine_type_request_resource=compute_v1.InstancesSetMachineTypeRequest(
                machine_type=f"zones/{ZONE}/machineTypes/{name}"
            ),
        )

    assert refused(lambda: machine_type("e2-standard-4")) == (
        "Quota 'CPUS' exceeded.  Limit: 4.0 in region us-central1."
    )
    assert instances.get(project=project, zone=ZONE, instance="b").machine_type.endswith(
        "/e2-standard-2"
    )
    ok(make, project, machine_type("e2-highcpu-2"))

    insert("c")
    assert refused(lambda: instances.start_unary(project=project, zone=ZONE, instance="b")) == (
        "Quota 'CPUS' exceeded.  Limit: 4.0 in region us-central1."
    )
    assert instances.get(project=project, zone=ZONE, instance="b").status == "TERMINATED"
    ok(make, project, instances.delete_unary(project=project, zone=ZONE, instance="c"))
    ok(make, project, instances.start_unary(project=project, zone=ZONE, instance="b"))
    assert instances.get(project=project, zone=ZONE, instance="b").status == "RUNNING"


def test_ssd_quota_on_disk_insert_and_resize(
    make: Any, server: NimbusServer, owner: Session, project: str
) -> None:
    set_limit(server, owner, project, "SSD-TOTAL-GB-per-project-region", 100, params=IGNORE_ALL)
    disks = make(compute_v1.DisksClient)

    def insert(name: str, disk_type: str, size: int) -> Any:
        return disks.insert_unary(
            project=project,
            zone=ZONE,
            disk_resource=compute_v1.Disk(
                name=name, size_gb=size, type_=f"zones/{ZONE}/diskTypes/{disk_type}"
            ),
        )

    ok(make, project, insert("fast", "pd-ssd", 60))
    # pd-balanced counts against the SSD quota too.
    assert refused(lambda: insert("balanced", "pd-balanced", 50)) == (
        "Quota 'SSD_TOTAL_GB' exceeded.  Limit: 100.0 in region us-central1."
    )
    ok(make, project, insert("slow", "pd-standard", 200))
    assert sorted(d.name for d in disks.list(project=project, zone=ZONE)) == ["fast", "slow"]

    def resize(size: int) -> Any:
        return disks.resize_unary(
            project=project,
            zone=ZONE,
            disk="fast",
            disks_resize_request_resource=compute_v1.DisksResizeRequest(size_gb=size),
        )

    ok(make, project, resize(100))
    assert refused(lambda: resize(101)).startswith("Quota 'SSD_TOTAL_GB' exceeded.")
    assert disks.get(project=project, zone=ZONE, disk="fast").size_gb == 100
    shown = quotas_of(make(compute_v1.RegionsClient).get(project=project, region=REGION))
    assert shown["SSD_TOTAL_GB"] == (100.0, 100.0)
    assert shown["DISKS_TOTAL_GB"] == (200.0, 4096.0)


def test_global_quotas_networks_firewalls_snapshots(
    make: Any, server: NimbusServer, owner: Session, project: str
) -> None:
    networks = make(compute_v1.NetworksClient)

    def network(name: str) -> Any:
        return networks.insert_unary(
            project=project,
            network_resource=compute_v1.Network(name=name, auto_create_subnetworks=False),
        )

    # The default network is one of Google's five.
    for index in range(4):
        ok(make, project, network(f"net-{index}"))
    assert refused(lambda: network("net-4")) == "Quota 'NETWORKS' exceeded.  Limit: 5.0 globally."
    assert len(list(networks.list(project=project))) == 5

    set_limit(server, owner, project, "FIREWALLS-per-project", 6, region=None, params=IGNORE_ALL)
    firewalls = make(compute_v1.FirewallsClient)

    def rule(name: str) -> Any:
        return firewalls.insert_unary(
            project=project,
            firewall_resource=compute_v1.Firewall(
                name=name,
                network="global/networks/net-0",
                source_ranges=["10.0.0.0/8"],
                allowed=[compute_v1.Allowed(I_p_protocol="tcp", ports=["80"])],
            ),
        )

    ok(make, project, rule("web-1"))
    ok(make, project, rule("web-2"))
    assert refused(lambda: rule("web-3")) == "Quota 'FIREWALLS' exceeded.  Limit: 6.0 globally."

    set_limit(server, owner, project, "SNAPSHOTS-per-project", 1, region=None, params=IGNORE_ALL)
    disks = make(compute_v1.DisksClient)
    ok(
        make,
        project,
        disks.insert_unary(
            project=project, zone=ZONE, disk_resource=compute_v1.Disk(name="data", size_gb=10)
        ),
    )

    def snapshot(name: str) -> Any:
        return disks.create_snapshot_unary(
            project=project,
            zone=ZONE,
            disk="data",
            snapshot_resource=compute_v1.Snapshot(name=name),
        )

    ok(make, project, snapshot("snap-1"))
    assert (
        refused(lambda: snapshot("snap-2")) == "Quota 'SNAPSHOTS' exceeded.  Limit: 1.0 globally."
    )
    snapshots = make(compute_v1.SnapshotsClient)
    assert [s.name for s in snapshots.list(project=project)] == ["snap-1"]

    shown = quotas_of(make(compute_v1.ProjectsClient).get(project=project))
    assert shown == {
        "SNAPSHOTS": (1.0, 1.0),
        "NETWORKS": (5.0, 5.0),
        "FIREWALLS": (6.0, 6.0),
    }


def test_concurrent_inserts_cannot_both_pass(
    make: Any, server: NimbusServer, owner: Session, project: str
) -> None:
    set_limit(server, owner, project, "CPUS-per-project-region", 2, params=IGNORE_ALL)
    instances = make(compute_v1.InstancesClient)

    def insert(name: str) -> str:
        try:
            op = instances.insert_unary(project=project, zone=ZONE, instance_resource=vm(name))
        except exceptions.Forbidden:
            return "refused"
        ok(make, project, op)
        return "made"

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(insert, [f"race-{i}" for i in range(4)]))
    assert sorted(outcomes) == ["made", "refused", "refused", "refused"]
    assert len(list(instances.list(project=project, zone=ZONE))) == 1


def test_quota_preferences_api(server: NimbusServer, owner: Session, project: str) -> None:
    base = f"{server.url}/v1/projects/{project}/locations/global/quotaPreferences"
    body = {
        "service": "compute.googleapis.com",
        "quotaId": "CPUS-per-project-region",
        "quotaConfig": {"preferredValue": "48"},
        "dimensions": {"region": REGION},
        "justification": "course lab",
    }
    created = owner.post(base, params={"quotaPreferenceId": "cpus-central"}, json=body)
    assert created.status_code == 200, created.text
    preference = created.json()
    number = owner.get(f"{server.url}/v1/projects/{project}").json()["projectNumber"]
    assert preference["name"] == f"projects/{number}/locations/global/quotaPreferences/cpus-central"
    assert preference["quotaConfig"]["preferredValue"] == "48"
    assert preference["quotaConfig"]["grantedValue"] == "48"
    assert preference["quotaConfig"]["traceId"]
    assert preference["dimensions"] == {"region": REGION}
    assert preference["justification"] == "course lab"
    assert owner.get(f"{base}/cpus-central").json() == preference

    # The same id again, or a second preference for the same quota and region: 409.
    assert (
        owner.post(base, params={"quotaPreferenceId": "cpus-central"}, json=body).status_code == 409
    )
    assert owner.post(base, params={"quotaPreferenceId": "twin"}, json=body).status_code == 409

    # Bad input is a 400 and changes nothing.
    for bad in (
        {**body, "quotaId": "CPUS-per-galaxy"},
        {**body, "quotaConfig": {"preferredValue": "-2"}},
        {**body, "quotaConfig": {"preferredValue": "many"}},
        {**body, "dimensions": {"region": "mars-north1"}},
        {**body, "quotaId": "NETWORKS-per-project"},
        {**body, "service": "storage.googleapis.com"},
    ):
        response = owner.post(base, params={"quotaPreferenceId": "bad"}, json=bad)
        assert response.status_code == 400, (bad, response.text)
    assert owner.get(f"{base}/bad").status_code == 404
    assert [p["name"].rsplit("/", 1)[-1] for p in owner.get(base).json()["quotaPreferences"]] == [
        "cpus-central"
    ]

    # Update through an update mask; a cut of more than 10 percent needs the safety
    # check ignored, as on Google.
    patch = {"quotaConfig": {"preferredValue": "8"}}
    params = {"updateMask": "quotaConfig.preferredValue"}
    cut = owner.patch(f"{base}/cpus-central", params=params, json=patch)
    assert cut.status_code == 400 and "QUOTA_DECREASE_PERCENTAGE_TOO_HIGH" in cut.text
    ignoring = {**params, "ignoreSafetyChecks": "QUOTA_DECREASE_PERCENTAGE_TOO_HIGH"}
    validated = owner.patch(
        f"{base}/cpus-central", params={**ignoring, "validateOnly": "true"}, json=patch
    )
    assert validated.status_code == 200 and validated.json()["quotaConfig"]["grantedValue"] == "8"
    assert owner.get(f"{base}/cpus-central").json()["quotaConfig"]["grantedValue"] == "48"
    lowered = owner.patch(f"{base}/cpus-central", params=ignoring, json=patch)
    assert lowered.status_code == 200, lowered.text
    assert lowered.json()["quotaConfig"]["grantedValue"] == "8"
    assert "traceId" not in lowered.json()["quotaConfig"]
    assert lowered.json()["justification"] == "course lab"
    immutable = owner.patch(
        f"{base}/cpus-central", json={**body, "dimensions": {"region": "us-east1"}}
    )
    assert immutable.status_code == 400

    # allowMissing creates; quotaInfos show the effective limits.
    made = owner.patch(
        f"{base}/networks",
        params={"allowMissing": "true"},
        json={"service": "compute.googleapis.com", "quotaId": "NETWORKS-per-project",
              "quotaConfig": {"preferredValue": 15}},
    )  # fmt: skip
    assert made.status_code == 200, made.text
    service = "services/compute.googleapis.com"
    infos = f"{server.url}/v1/projects/{project}/locations/global/{service}/quotaInfos"
    cpus = owner.get(f"{infos}/CPUS-per-project-region").json()
    values = {d["applicableLocations"][0]: d["details"]["value"] for d in cpus["dimensionsInfos"]}
    assert values[REGION] == "8" and values["europe-west1"] == "24"
    assert cpus["metric"] == "compute.googleapis.com/cpus" and cpus["dimensions"] == ["region"]
    listed = {i["quotaId"]: i for i in owner.get(infos).json()["quotaInfos"]}
    assert listed["NETWORKS-per-project"]["dimensionsInfos"][0]["details"]["value"] == "15"
    assert len(listed) == 8


def test_preferences_need_quota_permissions(
    server: NimbusServer, owner: Session, project: str
) -> None:
    info = make_account_key(server, owner, project)
    grant(server, owner, project, f"serviceAccount:{info['client_email']}", "roles/viewer")
    creds = service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM])
    base = f"{server.url}/v1/projects/{project}/locations/global/quotaPreferences"
    with Session(creds) as viewer:
        assert viewer.get(base).status_code == 200
        refused = viewer.post(
            base,
            params={"quotaPreferenceId": unique_id("cpus")},
            json={"service": "compute.googleapis.com", "quotaId": "CPUS-per-project-region",
                  "quotaConfig": {"preferredValue": "96"}},
        )  # fmt: skip
        assert refused.status_code == 403
        assert "serviceusage.quotas.update" in refused.text
    assert owner.get(base).json().get("quotaPreferences", []) == []
