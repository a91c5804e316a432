"""Bad input: each gets the right 4xx in Google's error format and changes nothing."""

from __future__ import annotations

import google.auth.transport.requests
import httpx
import pytest

from tests.integration.test_auth import assert_google_error
from tests.servers import NimbusServer

Session = google.auth.transport.requests.AuthorizedSession


def _project_ids(server: NimbusServer, owner: Session) -> set[str]:
    return {p["projectId"] for p in owner.get(f"{server.url}/v1/projects").json()["projects"]}


@pytest.mark.parametrize(
    "project_id",
    [
        "short",  # under 6 characters
        "a" * 31,  # over 30
        "1starts-with-digit",
        "ends-with-hyphen-",
        "Has-Uppercase",
        "has_underscore",
        "has.dot-inside",
        "my-google-project",  # restricted word
        "null-project-x",
        "",
    ],
)
def test_invalid_project_ids_are_refused(
    server: NimbusServer, owner: Session, project_id: str
) -> None:
    before = _project_ids(server, owner)
    response = owner.post(f"{server.url}/v1/projects", json={"projectId": project_id})
    error = assert_google_error(response, 400)
    assert error["status"] == "INVALID_ARGUMENT"
    assert _project_ids(server, owner) == before


def test_duplicate_project_is_409(server: NimbusServer, owner: Session, project: str) -> None:
    response = owner.post(f"{server.url}/v1/projects", json={"projectId": project})
    assert_google_error(response, 409)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'"a string"', b'{"projectId": "good-id-1", "projectId2": 1}'],
)
def test_malformed_json_is_400(server: NimbusServer, owner: Session, body: bytes) -> None:
    before = _project_ids(server, owner)
    response = owner.post(
        f"{server.url}/v1/projects", data=body, headers={"Content-Type": "application/json"}
    )
    error = assert_google_error(response, 400)
    assert "Invalid JSON payload" in error["message"]
    assert _project_ids(server, owner) == before


def test_invalid_labels_are_400(server: NimbusServer, owner: Session, project: str) -> None:
    url = f"{server.url}/v1/projects/{project}"
    for labels in ({"Upper": "x"}, {"ok": "Bad Value"}, {"1digit": "x"}, {"k": 3}):
        body = {"projectId": project, "labels": labels}
        assert_google_error(owner.put(url, json=body), 400)
    assert "labels" not in owner.get(url).json()


def test_oversized_body_is_413(server: NimbusServer, owner: Session) -> None:
    before = _project_ids(server, owner)
    huge = b'{"projectId": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    response = owner.post(
        f"{server.url}/v1/projects", data=huge, headers={"Content-Type": "application/json"}
    )
    assert_google_error(response, 413)
    assert _project_ids(server, owner) == before


def test_stale_etag_policy_write_is_409_and_changes_nothing(
    server: NimbusServer, owner: Session, project: str
) -> None:
    url = f"{server.url}/v1/projects/{project}"
    first = owner.post(f"{url}:getIamPolicy", json={}).json()
    second = dict(
        first,
        bindings=[
            *first["bindings"],
            {"role": "roles/viewer", "members": ["user:carol@example.com"]},
        ],
    )
    assert owner.post(f"{url}:setIamPolicy", json={"policy": second}).status_code == 200
    stale = dict(
        first,
        bindings=[
            *first["bindings"],
            {"role": "roles/editor", "members": ["user:dave@example.com"]},
        ],
    )
    error = assert_google_error(owner.post(f"{url}:setIamPolicy", json={"policy": stale}), 409)
    assert error["status"] == "ABORTED"
    current = owner.post(f"{url}:getIamPolicy", json={}).json()
    members = {m for b in current["bindings"] for m in b["members"]}
    assert "user:carol@example.com" in members and "user:dave@example.com" not in members
    # The current etag in the URL-safe alphabet, as gcloud sends it back, is current.
    urlsafe = current["etag"].replace("+", "-").replace("/", "_")
    same = dict(current, etag=urlsafe)
    assert owner.post(f"{url}:setIamPolicy", json={"policy": same}).status_code == 200


@pytest.mark.parametrize(
    "binding",
    [
        {"role": "roles/does.not.exist", "members": ["user:a@example.com"]},
        {"role": "roles/viewer", "members": ["not-a-member"]},
        {"role": "roles/viewer", "members": ["user:not-an-email"]},
        {
            "role": "roles/viewer",
            "members": ["serviceAccount:ghost@nowhere.iam.gserviceaccount.com"],
        },
    ],
)
def test_invalid_policy_bindings_are_400(
    server: NimbusServer, owner: Session, project: str, binding: dict[str, object]
) -> None:
    url = f"{server.url}/v1/projects/{project}"
    before = owner.post(f"{url}:getIamPolicy", json={}).json()
    policy = dict(before, bindings=[*before["bindings"], binding])
    assert_google_error(owner.post(f"{url}:setIamPolicy", json={"policy": policy}), 400)
    assert owner.post(f"{url}:getIamPolicy", json={}).json() == before


def test_conditions_need_policy_version_3(
    server: NimbusServer, owner: Session, project: str
) -> None:
    url = f"{server.url}/v1/projects/{project}"
    policy = owner.post(f"{url}:getIamPolicy", json={}).json()
    conditional = {
        "role": "roles/viewer",
        "members": ["user:erin@example.com"],
        "condition": {
            "title": "until 2099",
            "expression": 'request.time < timestamp("2099-01-01T00:00:00Z")',
        },
    }
    policy["bindings"].append(conditional)
    assert_google_error(owner.post(f"{url}:setIamPolicy", json={"policy": policy}), 400)
    policy["version"] = 3
    response = owner.post(f"{url}:setIamPolicy", json={"policy": policy})
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 3


def test_unknown_resources_are_404_for_the_owner(server: NimbusServer, owner: Session) -> None:
    assert_google_error(owner.get(f"{server.url}/v1/projects/no-such-project"), 404)
    project = owner.get(f"{server.url}/v1/projects").json()["projects"][0]["projectId"]
    assert_google_error(owner.get(f"{server.url}/compute/v1/projects/{project}/zones/mars-1a"), 404)
    assert_google_error(owner.get(f"{server.url}/v1/nothing/here"), 404)


def test_bad_service_account_ids(server: NimbusServer, owner: Session, project: str) -> None:
    url = f"{server.url}/v1/projects/{project}/serviceAccounts"
    for account_id in ("ab", "UPPER-case", "x" * 31, "ends-", "has_underscore"):
        assert_google_error(owner.post(url, json={"accountId": account_id}), 400)
    assert "accounts" not in owner.get(url).json()


def test_bad_page_tokens_and_filters(server: NimbusServer, owner: Session, project: str) -> None:
    zones = f"{server.url}/compute/v1/projects/{project}/zones"
    assert_google_error(owner.get(zones, params={"pageToken": "%%%"}), 400)
    assert_google_error(owner.get(zones, params={"filter": "name = (unbalanced"}), 400)
    assert_google_error(owner.get(zones, params={"maxResults": "-1"}), 400)
    assert_google_error(owner.get(zones, params={"maxResults": "many"}), 400)
    assert httpx.get(zones).status_code == 401


def test_wrong_method_is_405_in_googles_shape(server: NimbusServer, owner: Session) -> None:
    error = assert_google_error(owner.patch(f"{server.url}/v1/roles"), 405)
    assert error["errors"][0]["reason"] == "httpMethodNotAllowed"
