"""permissions.queryTestablePermissions, which gcloud asks before it writes a custom role."""

from __future__ import annotations

from tests.integration.test_auth import Session, assert_google_error
from tests.servers import NimbusServer


def test_testable_permissions_by_resource(server: NimbusServer, owner: Session) -> None:
    url = f"{server.url}/v1/permissions:queryTestablePermissions"
    project = {"fullResourceName": "//cloudresourcemanager.googleapis.com/projects/p"}
    first = owner.post(url, json={**project, "pageSize": 5}).json()
    assert len(first["permissions"]) == 5 and first["nextPageToken"]
    assert first["permissions"][0]["customRolesSupportLevel"] == "SUPPORTED"
    rest = owner.post(url, json={**project, "pageToken": first["nextPageToken"]}).json()
    names = [p["name"] for p in first["permissions"] + rest["permissions"]]
    assert names == sorted(set(names)) and "compute.instances.create" in names
    bucket = {"fullResourceName": "//storage.googleapis.com/projects/_/buckets/b"}
    listed = owner.post(url, json={**bucket, "pageSize": 1000}).json()["permissions"]
    assert listed and all(p["name"].startswith("storage.") for p in listed)
    assert_google_error(owner.post(url, json={}), 400)
    assert_google_error(owner.post(url, json={"fullResourceName": "projects/p"}), 400)
