"""The IAM matrix: for each predefined role, what its holder may and may not do.

Each role is granted on a fresh project to a fresh service account, whose own token
then asks the API. Two views: ``testIamPermissions`` on the project for a fixed set of
permissions, and real calls that need one permission each.
"""

from __future__ import annotations

from collections.abc import Iterator

import google.auth.transport.requests
import pytest
from google.oauth2 import service_account

from tests.conftest import CLOUD_PLATFORM, unique_id
from tests.integration.test_auth import grant, make_account_key
from tests.servers import NimbusServer

Session = google.auth.transport.requests.AuthorizedSession

PROBES = [
    "resourcemanager.projects.get",
    "resourcemanager.projects.getIamPolicy",
    "resourcemanager.projects.setIamPolicy",
    "resourcemanager.projects.delete",
    "iam.serviceAccounts.list",
    "iam.serviceAccounts.create",
    "iam.serviceAccounts.actAs",
    "iam.serviceAccountKeys.create",
    "iam.roles.create",
    "compute.instances.create",
    "compute.instances.get",
    "compute.zones.list",
    "compute.disks.create",
    "storage.buckets.create",
    "storage.buckets.list",
    "storage.objects.create",
    "storage.objects.get",
    "storage.objects.delete",
    "billing.resourceCosts.get",
    "billing.accounts.get",
]

# One column per probe above, in order: X allowed, . denied.
MATRIX = {
    "roles/owner":                    "XXXXXXXXXXXXXXXXXXXX",
    "roles/editor":                   "XX..XXXX.XXXXXX...X.",
    "roles/viewer":                   "XX..X.....XX..X...X.",
    "roles/compute.admin":            "X........XXXX.......",
    "roles/compute.instanceAdmin.v1": "X........XXXX.......",
    "roles/compute.viewer":           "X.........XX........",
    "roles/storage.admin":            "X............XXXXX..",
    "roles/storage.objectAdmin":      "X..............XXX..",
    "roles/storage.objectCreator":    "X..............X....",
    "roles/storage.objectViewer":     "X...............X...",
    "roles/iam.serviceAccountUser":   "X...X.X.............",
    "roles/iam.serviceAccountAdmin":  "X...XX..............",
    "roles/billing.viewer":           "...................X",
}  # fmt: skip


@pytest.fixture(scope="module")
def holders(server: NimbusServer, owner: Session) -> Iterator[dict[str, tuple[str, Session]]]:
    """For each role: a project where a fresh account holds it, and that account's session."""
    sessions: dict[str, tuple[str, Session]] = {}
    for role in MATRIX:
        project = unique_id("matrix")
        created = owner.post(f"{server.url}/v1/projects", json={"projectId": project})
        assert created.status_code == 200, created.text
        info = make_account_key(server, owner, project)
        grant(server, owner, project, f"serviceAccount:{info['client_email']}", role)
        creds = service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM])
        sessions[role] = (project, Session(creds))
    yield sessions
    for _, session in sessions.values():
        session.close()


@pytest.mark.parametrize("role", list(MATRIX))
def test_permissions_of_role(
    server: NimbusServer, holders: dict[str, tuple[str, Session]], role: str
) -> None:
    project, session = holders[role]
    response = session.post(
        f"{server.url}/v1/projects/{project}:testIamPermissions", json={"permissions": PROBES}
    )
    assert response.status_code == 200, response.text
    held = set(response.json().get("permissions", []))
    expected = {p for p, mark in zip(PROBES, MATRIX[role], strict=True) if mark == "X"}
    assert sorted(held) == sorted(expected)


def _calls(server: NimbusServer, project: str) -> dict[str, tuple[str, str, dict[str, object]]]:
    base = f"{server.url}/v1/projects/{project}"
    return {
        "resourcemanager.projects.get": ("GET", base, {}),
        "resourcemanager.projects.getIamPolicy": ("POST", f"{base}:getIamPolicy", {}),
        "iam.serviceAccounts.list": ("GET", f"{base}/serviceAccounts", {}),
        "iam.serviceAccounts.create": (
            "POST",
            f"{base}/serviceAccounts",
            {"accountId": unique_id("made")},
        ),
        "iam.roles.create": (
            "POST",
            f"{base}/roles",
            {"roleId": unique_id("r").replace("-", "_"), "role": {"title": "t"}},
        ),
        "compute.zones.list": ("GET", f"{server.url}/compute/v1/projects/{project}/zones", {}),
    }


@pytest.mark.parametrize("role", list(MATRIX))
def test_calls_allowed_and_denied(
    server: NimbusServer, holders: dict[str, tuple[str, Session]], role: str
) -> None:
    project, session = holders[role]
    allowed = {p for p, mark in zip(PROBES, MATRIX[role], strict=True) if mark == "X"}
    for permission, (method, url, body) in _calls(server, project).items():
        response = session.request(method, url, json=body if method == "POST" else None)
        if permission in allowed:
            assert response.status_code == 200, (permission, response.text)
        else:
            assert response.status_code == 403, (permission, response.text)
            assert permission in response.json()["error"]["message"]


@pytest.mark.parametrize("role", list(MATRIX))
def test_set_iam_policy_needs_owner_or_admin(
    server: NimbusServer, holders: dict[str, tuple[str, Session]], owner: Session, role: str
) -> None:
    project, session = holders[role]
    url = f"{server.url}/v1/projects/{project}"
    policy = owner.post(f"{url}:getIamPolicy", json={}).json()
    response = session.post(f"{url}:setIamPolicy", json={"policy": policy})
    expected = 200 if role == "roles/owner" else 403
    assert response.status_code == expected, response.text


def test_custom_role_grants_exactly_its_permissions(
    server: NimbusServer, owner: Session, project: str
) -> None:
    created = owner.post(
        f"{server.url}/v1/projects/{project}/roles",
        json={
            "roleId": "zoneReader",
            "role": {"title": "Zone reader", "includedPermissions": ["compute.zones.list"]},
        },
    )
    assert created.status_code == 200, created.text
    role = created.json()["name"]
    assert role == f"projects/{project}/roles/zoneReader"
    info = make_account_key(server, owner, project)
    grant(server, owner, project, f"serviceAccount:{info['client_email']}", role)
    creds = service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM])
    with Session(creds) as session:
        assert session.get(f"{server.url}/compute/v1/projects/{project}/zones").ok
        assert session.get(f"{server.url}/v1/projects/{project}").status_code == 403
        # Deleting the role withdraws what it granted, at once.
        assert owner.delete(f"{server.url}/v1/{role}").status_code == 200
        zones = session.get(f"{server.url}/compute/v1/projects/{project}/zones")
        assert zones.status_code == 403
