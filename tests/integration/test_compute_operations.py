"""Compute Engine's project settings and global operations, through google-cloud-compute."""

from __future__ import annotations

import google.auth.transport.requests
import pytest
from google.api_core import exceptions
from google.cloud import compute_v1
from google.oauth2 import service_account

from tests.servers import NimbusServer

Session = google.auth.transport.requests.AuthorizedSession


@pytest.fixture
def options(server: NimbusServer) -> dict[str, str]:
    return {"api_endpoint": server.url}


def test_common_instance_metadata_with_fingerprint_and_operation(
    owner_credentials: service_account.Credentials, options: dict[str, str], project: str
) -> None:
    projects = compute_v1.ProjectsClient(
        credentials=owner_credentials, transport="rest", client_options=options
    )
    operations = compute_v1.GlobalOperationsClient(
        credentials=owner_credentials, transport="rest", client_options=options
    )
    before = projects.get(project=project)
    assert before.name == project
    assert before.default_service_account.endswith("-compute@developer.gserviceaccount.com")
    metadata = compute_v1.Metadata(
        fingerprint=before.common_instance_metadata.fingerprint,
        items=[compute_v1.Items(key="enable-oslogin", value="FALSE")],
    )
    operation = projects.set_common_instance_metadata_unary(
        project=project, metadata_resource=metadata
    )
    waited = operations.wait(project=project, operation=operation.name)
    assert waited.status == compute_v1.Operation.Status.DONE
    assert waited.operation_type == "compute.projects.setCommonInstanceMetadata"
    assert waited.target_link.endswith(f"/projects/{project}")
    after = projects.get(project=project)
    assert [(i.key, i.value) for i in after.common_instance_metadata.items] == [
        ("enable-oslogin", "FALSE")
    ]
    assert after.common_instance_metadata.fingerprint != before.common_instance_metadata.fingerprint
    # A write with the old fingerprint loses the race, and changes nothing.
    with pytest.raises(exceptions.PreconditionFailed):
        projects.set_common_instance_metadata_unary(project=project, metadata_resource=metadata)
    assert projects.get(project=project).common_instance_metadata == after.common_instance_metadata

    listed = operations.list(project=project)
    assert operation.name in [op.name for op in listed]
    every_scope = dict(operations.aggregated_list(project=project))
    assert operation.name in [op.name for op in every_scope["global"].operations]
    assert operations.get(project=project, operation=operation.name).id == operation.id
    operations.delete(project=project, operation=operation.name)
    with pytest.raises(exceptions.NotFound):
        operations.get(project=project, operation=operation.name)


def test_operations_paginate_and_filter(server: NimbusServer, owner: Session, project: str) -> None:
    base = f"{server.url}/compute/v1/projects/{project}"
    names = []
    for value in range(5):
        body = {"items": [{"key": "round", "value": str(value)}]}
        response = owner.post(f"{base}/setCommonInstanceMetadata", json=body)
        assert response.status_code == 200, response.text
        names.append(response.json()["name"])
    seen: list[str] = []
    token = None
    while True:
        params: dict[str, str | int] = {"maxResults": 2}
        if token:
            params["pageToken"] = token
        page = owner.get(f"{base}/global/operations", params=params).json()
        assert len(page["items"]) <= 2
        seen += [item["name"] for item in page["items"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert sorted(seen) == sorted(names)
    one = owner.get(f"{base}/global/operations", params={"filter": f"name = {names[3]}"}).json()
    assert [item["name"] for item in one["items"]] == [names[3]]
    others = owner.get(f"{base}/global/operations", params={"filter": f"name != {names[3]}"})
    assert names[3] not in [item["name"] for item in others.json()["items"]]


def test_zone_and_region_operation_scopes(
    server: NimbusServer, owner: Session, project: str
) -> None:
    base = f"{server.url}/compute/v1/projects/{project}"
    assert owner.get(f"{base}/zones/europe-west9-b/operations").json()["items"] == []
    assert owner.get(f"{base}/regions/us-east1/operations").json()["items"] == []
    missing = owner.get(f"{base}/zones/europe-west9-b/operations/operation-1-ab")
    assert missing.status_code == 404
    assert owner.get(f"{base}/zones/nowhere-1a/operations").status_code == 404
    assert (
        owner.post(f"{base}/zones/us-central1-a/operations/operation-1-ab/wait").status_code == 404
    )
