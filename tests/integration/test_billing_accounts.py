"""Billing accounts and project billing (Cloud Billing v1): the official client, the
default account every project starts on, and what an unlinked project may not do."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import google.auth.transport.requests
import pytest
from google.api_core import exceptions
from google.cloud import billing_v1
from google.oauth2 import service_account

from tests.conftest import CLOUD_PLATFORM, unique_id
from tests.integration.test_auth import assert_google_error, grant, make_account_key
from tests.servers import NimbusServer

pytestmark = pytest.mark.integration
Session = google.auth.transport.requests.AuthorizedSession
ZONE = "us-central1-a"
DEBIAN_12 = "projects/debian-cloud/global/images/family/debian-12"


@pytest.fixture
def billing(
    server: NimbusServer, owner_credentials: service_account.Credentials
) -> Iterator[billing_v1.CloudBillingClient]:
    client = billing_v1.CloudBillingClient(
        credentials=owner_credentials,
        transport="rest",
        client_options={"api_endpoint": server.url},
    )
    with client:
        yield client


def default_account(server: NimbusServer, owner: Session) -> str:
    listed = owner.get(f"{server.url}/v1/billingAccounts")
    assert listed.status_code == 200, listed.text
    names = [
        a["name"]
        for a in listed.json()["billingAccounts"]
        if a["displayName"] == "Nimbus billing account"
    ]
    assert len(names) == 1
    return str(names[0])


def set_billing(server: NimbusServer, owner: Session, project: str, account: str) -> Any:
    response = owner.put(
        f"{server.url}/v1/projects/{project}/billingInfo", json={"billingAccountName": account}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_official_client_reads_and_changes_project_billing(
    billing: billing_v1.CloudBillingClient, server: NimbusServer, owner: Session, project: str
) -> None:
    accounts = list(billing.list_billing_accounts())
    default = next(a for a in accounts if a.display_name == "Nimbus billing account")
    assert default.open_ and default.currency_code == "USD"
    assert default.name.startswith("billingAccounts/")
    assert len(default.name.split("/")[1]) == 20 and default.name.split("/")[1].count("-") == 2
    assert billing.get_billing_account(name=default.name).name == default.name

    # A new project starts on the default account.
    info = billing.get_project_billing_info(name=f"projects/{project}")
    assert info.name == f"projects/{project}/billingInfo"
    assert info.project_id == project
    assert info.billing_account_name == default.name and info.billing_enabled

    unlinked = billing.update_project_billing_info(
        name=f"projects/{project}", project_billing_info=billing_v1.ProjectBillingInfo()
    )
    assert unlinked.billing_account_name == "" and not unlinked.billing_enabled
    assert not billing.get_project_billing_info(name=f"projects/{project}").billing_enabled

    linked = billing.update_project_billing_info(
        name=f"projects/{project}",
        project_billing_info=billing_v1.ProjectBillingInfo(billing_account_name=default.name),
    )
    assert linked.billing_enabled and linked.billing_account_name == default.name
    projects = billing.list_project_billing_info(name=default.name)
    assert project in {p.project_id for p in projects}


def test_unlinked_project_creates_nothing_billable_until_relinked(
    server: NimbusServer, owner: Session, project: str
) -> None:
    account = default_account(server, owner)
    set_billing(server, owner, project, "")
    compute = f"{server.url}/compute/v1/projects/{project}"

    refused = owner.post(f"{compute}/zones/{ZONE}/instances", json=_instance("vm-1"))
    error = assert_google_error(refused, 403)
    assert error["errors"][0]["reason"] == "inactiveBillingState"
    assert error["message"] == (
        f"Project {project} cannot accept requests to insert while in an inactive billing "
        "state.  Billing state may take several minutes to update."
    )
    disk = owner.post(f"{compute}/zones/{ZONE}/disks", json={"name": "d-1", "sizeGb": "10"})
    assert assert_google_error(disk, 403)["errors"][0]["reason"] == "inactiveBillingState"
    bucket_name = unique_id("unbilled")
    bucket = owner.post(
        f"{server.url}/storage/v1/b", params={"project": project}, json={"name": bucket_name}
    )
    error = assert_google_error(bucket, 403)
    assert error["errors"][0]["reason"] == "accountDisabled"
    assert (
        error["message"] == "The billing account for the owning project is disabled in state absent"
    )

    # Nothing was made.
    assert owner.get(f"{compute}/zones/{ZONE}/instances").json().get("items", []) == []
    assert owner.get(f"{compute}/zones/{ZONE}/disks").json().get("items", []) == []
    assert owner.get(f"{server.url}/storage/v1/b/{bucket_name}").status_code == 404

    set_billing(server, owner, project, account)
    created = owner.post(f"{compute}/zones/{ZONE}/instances", json=_instance("vm-1"))
    assert created.status_code == 200, created.text
    made = owner.post(
        f"{server.url}/storage/v1/b", params={"project": project}, json={"name": bucket_name}
    )
    assert made.status_code == 200, made.text
    assert owner.delete(f"{server.url}/storage/v1/b/{bucket_name}").status_code == 204
    deleted = owner.delete(f"{compute}/zones/{ZONE}/instances/vm-1")
    assert deleted.status_code == 200, deleted.text


def test_accounts_subaccounts_and_their_projects(
    server: NimbusServer, owner: Session, project: str
) -> None:
    base = f"{server.url}/v1/billingAccounts"
    top = owner.post(base, json={"displayName": "Teaching"})
    assert top.status_code == 200, top.text
    top_name = top.json()["name"]
    assert top.json() == {
        "name": top_name,
        "open": True,
        "displayName": "Teaching",
        "currencyCode": "USD",
    }
    sub = owner.post(base, json={"displayName": "Course A", "masterBillingAccount": top_name})
    assert sub.status_code == 200, sub.text
    assert sub.json()["masterBillingAccount"] == top_name
    nested = owner.post(base, json={"displayName": "x", "masterBillingAccount": sub.json()["name"]})
    assert_google_error(nested, 400)

    filtered = owner.get(base, params={"filter": f"master_billing_account={top_name}"})
    assert [a["name"] for a in filtered.json()["billingAccounts"]] == [sub.json()["name"]]

    renamed = owner.patch(
        f"{server.url}/v1/{top_name}",
        params={"updateMask": "displayName"},
        json={"displayName": "Teaching 2026"},
    )
    assert renamed.status_code == 200 and renamed.json()["displayName"] == "Teaching 2026"
    assert_google_error(
        owner.patch(f"{server.url}/v1/{top_name}", params={"updateMask": "open"}, json={}), 400
    )

    info = set_billing(server, owner, project, sub.json()["name"])
    assert info == {
        "name": f"projects/{project}/billingInfo",
        "projectId": project,
        "billingAccountName": sub.json()["name"],
        "billingEnabled": True,
    }
    listed = owner.get(f"{server.url}/v1/{sub.json()['name']}/projects").json()
    assert [p["projectId"] for p in listed["projectBillingInfo"]] == [project]
    default = default_account(server, owner)
    on_default = owner.get(f"{server.url}/v1/{default}/projects").json()["projectBillingInfo"]
    assert project not in {p["projectId"] for p in on_default}


def test_bad_names_and_missing_accounts(server: NimbusServer, owner: Session) -> None:
    assert_google_error(owner.get(f"{server.url}/v1/billingAccounts/not-an-id"), 400)
    missing = owner.get(f"{server.url}/v1/billingAccounts/000000-000000-000000")
    assert assert_google_error(missing, 404)["status"] == "NOT_FOUND"
    assert_google_error(owner.post(f"{server.url}/v1/billingAccounts", json={}), 400)
    assert_google_error(
        owner.put(f"{server.url}/v1/projects/no-such-project-x/billingInfo", json={}), 404
    )


def test_billing_permissions_are_googles(
    server: NimbusServer, owner: Session, project: str
) -> None:
    account = default_account(server, owner)
    info = make_account_key(server, owner, project)
    member = f"serviceAccount:{info['client_email']}"
    grant(server, owner, project, member, "roles/viewer")
    credentials = service_account.Credentials.from_service_account_info(
        info, scopes=[CLOUD_PLATFORM]
    )
    with Session(credentials) as viewer:
        # Project viewers read billing info, but see no account and change no link.
        assert viewer.get(f"{server.url}/v1/projects/{project}/billingInfo").status_code == 200
        assert viewer.get(f"{server.url}/v1/billingAccounts").json().get("billingAccounts") is None
        assert_google_error(viewer.get(f"{server.url}/v1/{account}"), 403)
        unlink = viewer.put(f"{server.url}/v1/projects/{project}/billingInfo", json={})
        assert "deleteBillingAssignment" in assert_google_error(unlink, 403)["message"]

        # A project owner may link, but only to an account they may use.
        grant(server, owner, project, member, "roles/owner")
        link = viewer.put(
            f"{server.url}/v1/projects/{project}/billingInfo",
            json={"billingAccountName": account},
        )
        assert "billing.resourceAssociations.create" in assert_google_error(link, 403)["message"]
        policy = owner.get(f"{server.url}/v1/{account}:getIamPolicy").json()
        policy.setdefault("bindings", []).append(
            {"role": "roles/billing.user", "members": [member]}
        )
        stored = owner.post(f"{server.url}/v1/{account}:setIamPolicy", json={"policy": policy})
        assert stored.status_code == 200, stored.text
        relinked = viewer.put(
            f"{server.url}/v1/projects/{project}/billingInfo",
            json={"billingAccountName": account},
        )
        assert relinked.status_code == 200, relinked.text
        seen = viewer.get(f"{server.url}/v1/billingAccounts").json()["billingAccounts"]
        assert [a["name"] for a in seen] == [account]


def test_official_client_errors(billing: billing_v1.CloudBillingClient) -> None:
    with pytest.raises(exceptions.NotFound):
        billing.get_billing_account(name="billingAccounts/000000-000000-000000")


def _instance(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "machineType": f"zones/{ZONE}/machineTypes/e2-small",
        "disks": [
            {"boot": True, "autoDelete": True, "initializeParams": {"sourceImage": DEBIAN_12}}
        ],
        "networkInterfaces": [{"network": "global/networks/default"}],
    }
