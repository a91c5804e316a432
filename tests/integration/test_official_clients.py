"""Google's own Python clients, unchanged, against a real Nimbus: the judge of compatibility."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.cloud import compute_v1, resourcemanager_v3
from google.iam.v1 import iam_policy_pb2, policy_pb2
from google.oauth2 import service_account
from google.protobuf import field_mask_pb2
from googleapiclient import discovery

from tests.conftest import unique_id
from tests.servers import NimbusServer

pytestmark = pytest.mark.integration

EXPECTED_ZONES = {
    *(f"us-central1-{z}" for z in "abcf"),
    *(f"us-east1-{z}" for z in "bcd"),
    *(f"europe-west1-{z}" for z in "bcd"),
    *(f"europe-west9-{z}" for z in "abc"),
    *(f"asia-east1-{z}" for z in "abc"),
}
Project = resourcemanager_v3.Project


# -- google-cloud-resource-manager (v3, REST) -----------------------------------------


@pytest.fixture
def projects_client(
    server: NimbusServer, owner_credentials: service_account.Credentials
) -> Iterator[resourcemanager_v3.ProjectsClient]:
    client = resourcemanager_v3.ProjectsClient(
        credentials=owner_credentials,
        transport="rest",
        client_options={"api_endpoint": server.url},
    )
    with client:
        yield client


def test_resource_manager_v3_project_lifecycle(
    projects_client: resourcemanager_v3.ProjectsClient,
) -> None:
    project_id = unique_id("v3")
    operation = projects_client.create_project(
        project=Project(project_id=project_id, display_name="Official v3", labels={"env": "test"})
    )
    created = operation.result(timeout=30)
    assert created.project_id == project_id
    assert created.name.startswith("projects/") and created.name[9:].isdigit()
    assert created.state == Project.State.ACTIVE
    assert created.parent.startswith("organizations/")
    assert dict(created.labels) == {"env": "test"}
    assert operation.metadata.ready

    # The operation can be read back, as a polling client would.
    polled = projects_client.get_operation({"name": operation.operation.name})
    assert polled.done

    assert projects_client.get_project(name=created.name).project_id == project_id
    by_id = projects_client.get_project(name=f"projects/{project_id}")
    assert by_id.name == created.name
    assert by_id.display_name == "Official v3"


def test_resource_manager_v3_search_and_list(
    projects_client: resourcemanager_v3.ProjectsClient,
) -> None:
    project_id = unique_id("v3s")
    created = projects_client.create_project(
        project=Project(project_id=project_id, labels={"team": "blue"})
    ).result(timeout=30)

    def search(query: str) -> set[str]:
        return {p.project_id for p in projects_client.search_projects(query=query)}

    assert search(f"id:{project_id}") == {project_id}
    assert project_id in search("labels.team:blue")
    assert project_id in search("labels.team")
    assert project_id in search(f"labels.team:red id:{project_id}")  # terms are OR'd
    assert project_id not in search("labels.team:red")
    assert project_id in search(f"state:ACTIVE parent:{created.parent}")
    assert project_id in search(f"displayName:{project_id.upper()}")
    assert project_id in search("")

    listed = {p.project_id for p in projects_client.list_projects(parent=created.parent)}
    assert project_id in listed

    # Paging walks every project, one at a time.
    pager = projects_client.list_projects(
        request=resourcemanager_v3.ListProjectsRequest(parent=created.parent, page_size=1)
    )
    pages = list(pager.pages)
    assert all(len(page.projects) <= 1 for page in pages)
    assert {p.project_id for page in pages for p in page.projects} == listed


def test_resource_manager_v3_update_labels(
    projects_client: resourcemanager_v3.ProjectsClient,
) -> None:
    project = projects_client.create_project(
        project=Project(project_id=unique_id("v3u"), labels={"env": "test"})
    ).result(timeout=30)
    project.labels["tier"] = "gold"
    project.display_name = "Renamed v3"
    updated = projects_client.update_project(
        project=project, update_mask=field_mask_pb2.FieldMask(paths=["labels"])
    ).result(timeout=30)
    assert dict(updated.labels) == {"env": "test", "tier": "gold"}
    assert updated.display_name == project.project_id  # not in the mask: unchanged

    renamed = projects_client.update_project(
        project=Project(name=project.name, display_name="Renamed v3"),
        update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
    ).result(timeout=30)
    assert renamed.display_name == "Renamed v3"
    assert dict(projects_client.get_project(name=project.name).labels)["tier"] == "gold"


def test_resource_manager_v3_iam_policy(
    projects_client: resourcemanager_v3.ProjectsClient,
    owner_credentials: service_account.Credentials,
) -> None:
    project = projects_client.create_project(project=Project(project_id=unique_id("v3i"))).result(
        timeout=30
    )
    owner = f"serviceAccount:{owner_credentials.service_account_email}"
    policy = projects_client.get_iam_policy(resource=project.name)
    assert any(b.role == "roles/owner" and owner in b.members for b in policy.bindings)

    policy.bindings.append(policy_pb2.Binding(role="roles/viewer", members=[owner]))
    stored = projects_client.set_iam_policy(
        request=iam_policy_pb2.SetIamPolicyRequest(resource=project.name, policy=policy)
    )
    assert stored.etag and stored.etag != policy.etag
    again = projects_client.get_iam_policy(resource=project.name)
    assert any(b.role == "roles/viewer" and list(b.members) == [owner] for b in again.bindings)

    allowed = projects_client.test_iam_permissions(
        resource=project.name,
        permissions=["resourcemanager.projects.get", "resourcemanager.projects.delete"],
    )
    assert set(allowed.permissions) == {
        "resourcemanager.projects.get",
        "resourcemanager.projects.delete",
    }


def test_resource_manager_v3_delete_and_undelete(
    projects_client: resourcemanager_v3.ProjectsClient,
) -> None:
    project = projects_client.create_project(project=Project(project_id=unique_id("v3d"))).result(
        timeout=30
    )

    deleted = projects_client.delete_project(name=project.name).result(timeout=30)
    assert deleted.state == Project.State.DELETE_REQUESTED
    assert deleted.delete_time
    state = Project.State
    assert projects_client.get_project(name=project.name).state == state.DELETE_REQUESTED
    active = {p.project_id for p in projects_client.list_projects(parent=project.parent)}
    assert project.project_id not in active
    everything = projects_client.list_projects(
        request=resourcemanager_v3.ListProjectsRequest(parent=project.parent, show_deleted=True)
    )
    assert project.project_id in {p.project_id for p in everything}

    restored = projects_client.undelete_project(name=project.name).result(timeout=30)
    assert restored.state == state.ACTIVE
    assert projects_client.get_project(name=project.name).state == state.ACTIVE


# -- google-api-python-client, with its bundled discovery documents -------------------


def build(name: str, version: str, credentials: service_account.Credentials, endpoint: str) -> Any:
    return discovery.build(
        name,
        version,
        credentials=credentials,
        client_options={"api_endpoint": endpoint},
        static_discovery=True,
        cache_discovery=False,
    )


def test_discovery_iam_service_accounts_and_keys(
    server: NimbusServer, owner_credentials: service_account.Credentials, project: str
) -> None:
    with build("iam", "v1", owner_credentials, server.url) as iam:
        accounts = iam.projects().serviceAccounts()
        created = accounts.create(
            name=f"projects/{project}",
            body={"accountId": "robot-1", "serviceAccount": {"displayName": "Robot"}},
        ).execute()
        email = f"robot-1@{project}.iam.gserviceaccount.com"
        assert created["email"] == email
        name = created["name"]
        assert name == f"projects/{project}/serviceAccounts/{email}"

        listed = accounts.list(name=f"projects/{project}").execute()
        assert email in {a["email"] for a in listed["accounts"]}
        assert accounts.get(name=name).execute()["displayName"] == "Robot"

        key = accounts.keys().create(name=name, body={}).execute()
        assert key["privateKeyData"]
        keys = accounts.keys().list(name=name).execute()["keys"]
        assert key["name"] in {k["name"] for k in keys}

        accounts.disable(name=name, body={}).execute()
        assert accounts.get(name=name).execute()["disabled"] is True
        accounts.enable(name=name, body={}).execute()
        assert not accounts.get(name=name).execute().get("disabled")

        accounts.keys().delete(name=key["name"]).execute()
        remaining = accounts.keys().list(name=name).execute().get("keys", [])
        assert key["name"] not in {k["name"] for k in remaining}

        accounts.delete(name=name).execute()
        after = accounts.list(name=f"projects/{project}").execute().get("accounts", [])
        assert email not in {a["email"] for a in after}


def test_discovery_resource_manager_v1(
    server: NimbusServer, owner_credentials: service_account.Credentials, project: str
) -> None:
    with build("cloudresourcemanager", "v1", owner_credentials, server.url) as crm:
        found = crm.projects().get(projectId=project).execute()
        assert found["projectId"] == project
        assert found["lifecycleState"] == "ACTIVE"
        policy = crm.projects().getIamPolicy(resource=project, body={}).execute()
        owner = f"serviceAccount:{owner_credentials.service_account_email}"
        assert {"role": "roles/owner", "members": [owner]} in policy["bindings"]


def test_discovery_compute_regions_and_zones(
    server: NimbusServer, owner_credentials: service_account.Credentials, project: str
) -> None:
    # The endpoint replaces rootUrl + servicePath ("compute/v1/"), so it names both.
    with build("compute", "v1", owner_credentials, f"{server.url}/compute/v1/") as compute:
        regions = compute.regions().list(project=project).execute()
        assert {"us-central1", "europe-west1"} <= {r["name"] for r in regions["items"]}
        zones = compute.zones().list(project=project).execute()
        assert {z["name"] for z in zones["items"]} >= EXPECTED_ZONES
        zone = compute.zones().get(project=project, zone="europe-west1-b").execute()
        assert zone["status"] == "UP"
        assert zone["region"].endswith("/regions/europe-west1")


# -- google-cloud-compute (REST) ------------------------------------------------------


def test_compute_zones_and_regions(
    server: NimbusServer, owner_credentials: service_account.Credentials, project: str
) -> None:
    options = {"api_endpoint": server.url}
    with compute_v1.ZonesClient(
        credentials=owner_credentials, transport="rest", client_options=options
    ) as zones_client:
        zones = list(zones_client.list(project=project))
    assert {z.name for z in zones} >= EXPECTED_ZONES
    assert all(z.status == "UP" for z in zones if z.name in EXPECTED_ZONES)

    with compute_v1.RegionsClient(
        credentials=owner_credentials, transport="rest", client_options=options
    ) as regions_client:
        regions = {r.name: r for r in regions_client.list(project=project)}
        assert {"us-central1", "us-east1", "europe-west1", "europe-west9", "asia-east1"} <= set(
            regions
        )
        region = regions_client.get(project=project, region="europe-west9")
    assert region.status == "UP"
    assert {z.rsplit("/", 1)[-1] for z in region.zones} == {
        "europe-west9-a",
        "europe-west9-b",
        "europe-west9-c",
    }
