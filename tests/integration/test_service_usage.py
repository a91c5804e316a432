"""Service Usage through google-api-python-client's bundled discovery document."""

from __future__ import annotations

from google.oauth2 import service_account
from googleapiclient import discovery

from tests.servers import NimbusServer


def test_enable_and_list_services(
    server: NimbusServer, owner_credentials: service_account.Credentials, project: str
) -> None:
    usage = discovery.build(
        "serviceusage",
        "v1",
        credentials=owner_credentials,
        client_options={"api_endpoint": server.url},
        static_discovery=True,
    )
    number = usage.services().list(parent=f"projects/{project}").execute()["services"][0]["parent"]
    operation = (
        usage.services().enable(name=f"{number}/services/compute.googleapis.com", body={}).execute()
    )
    assert operation["done"] is True
    assert operation["response"]["service"]["state"] == "ENABLED"
    enabled = usage.services().list(parent=f"projects/{project}", filter="state:ENABLED").execute()
    names = [service["config"]["name"] for service in enabled["services"]]
    assert "compute.googleapis.com" in names and "storage.googleapis.com" in names
    batch = (
        usage.services()
        .batchEnable(parent=f"projects/{project}", body={"serviceIds": ["iam.googleapis.com"]})
        .execute()
    )
    assert batch["response"]["services"][0]["state"] == "ENABLED"
    got = usage.services().get(name=f"projects/{project}/services/iam.googleapis.com").execute()
    assert got["state"] == "ENABLED"
    # gcloud enables the umbrella service in every project it creates.
    umbrella = f"projects/{project}/services/cloudapis.googleapis.com"
    assert usage.services().enable(name=umbrella, body={}).execute()["done"] is True
