"""Projects through Resource Manager v1, and the organization that holds them."""

from __future__ import annotations

import google.auth.transport.requests
from google.oauth2 import service_account

from tests.conftest import CLOUD_PLATFORM, unique_id
from tests.integration.test_auth import assert_google_error, make_account_key
from tests.servers import NimbusServer

Session = google.auth.transport.requests.AuthorizedSession


def test_project_lifecycle(server: NimbusServer, owner: Session) -> None:
    project_id = unique_id("life")
    created = owner.post(
        f"{server.url}/v1/projects",
        json={"projectId": project_id, "name": "Life cycle", "labels": {"env": "dev"}},
    ).json()
    assert created["done"] is True
    project = created["response"]
    assert project["projectId"] == project_id and project["lifecycleState"] == "ACTIVE"
    assert len(project["projectNumber"]) == 12 and project["parent"]["type"] == "organization"
    url = f"{server.url}/v1/projects/{project_id}"
    assert owner.get(f"{server.url}/v1/{created['name']}").json()["response"]["projectId"] == (
        project_id
    )
    by_number = owner.get(f"{server.url}/v1/projects/{project['projectNumber']}").json()
    assert by_number["projectId"] == project_id

    updated = owner.put(url, json={"name": "Renamed", "labels": {"env": "prod"}}).json()
    assert updated["name"] == "Renamed" and updated["labels"] == {"env": "prod"}

    assert owner.delete(url).status_code == 200
    assert owner.get(url).json()["lifecycleState"] == "DELETE_REQUESTED"
    assert_google_error(owner.delete(url), 400)
    # Other services no longer see a project marked for deletion.
    zones = owner.get(f"{server.url}/compute/v1/projects/{project_id}/zones")
    assert_google_error(zones, 404)
    assert owner.post(f"{url}:undelete", json={}).status_code == 200
    assert owner.get(url).json()["lifecycleState"] == "ACTIVE"


def test_list_filters_and_pages(server: NimbusServer, owner: Session) -> None:
    tag = unique_id("tag")
    made = []
    for index in range(5):
        project_id = unique_id("page")
        body = {"projectId": project_id, "labels": {"batch": tag, "index": str(index)}}
        assert owner.post(f"{server.url}/v1/projects", json=body).ok
        made.append(project_id)
    seen: list[str] = []
    token = None
    while True:
        params = {"filter": f"labels.batch:{tag}", "pageSize": 2}
        if token:
            params["pageToken"] = token
        page = owner.get(f"{server.url}/v1/projects", params=params).json()
        seen += [p["projectId"] for p in page["projects"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert sorted(seen) == sorted(made)
    one = owner.get(
        f"{server.url}/v1/projects", params={"filter": f"id:{made[2]} lifecycleState:ACTIVE"}
    ).json()
    assert [p["projectId"] for p in one["projects"]] == [made[2]]


def test_project_creator_at_the_organization_owns_what_it_creates(
    server: NimbusServer, owner: Session, project: str
) -> None:
    organizations = owner.post(f"{server.url}/v1/organizations:search", json={}).json()
    org = organizations["organizations"][0]["name"]
    info = make_account_key(server, owner, project)
    member = f"serviceAccount:{info['client_email']}"
    creds = service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM])
    with Session(creds) as creator:
        denied = creator.post(f"{server.url}/v1/projects", json={"projectId": unique_id("own")})
        assert "resourcemanager.projects.create" in assert_google_error(denied, 403)["message"]

        policy = owner.post(f"{server.url}/v1/{org}:getIamPolicy", json={}).json()
        policy["bindings"].append(
            {"role": "roles/resourcemanager.projectCreator", "members": [member]}
        )
        assert owner.post(f"{server.url}/v1/{org}:setIamPolicy", json={"policy": policy}).ok

        mine = unique_id("own")
        assert creator.post(f"{server.url}/v1/projects", json={"projectId": mine}).ok
        bindings = creator.post(f"{server.url}/v1/projects/{mine}:getIamPolicy", json={}).json()
        assert {"role": "roles/owner", "members": [member]} in bindings["bindings"]
        # It sees its own project, not the others.
        listed = creator.get(f"{server.url}/v1/projects").json()["projects"]
        assert [p["projectId"] for p in listed] == [mine]
        assert creator.get(f"{server.url}/v1/{org}").ok
        assert_google_error(creator.post(f"{server.url}/v1/{org}:getIamPolicy", json={}), 403)
