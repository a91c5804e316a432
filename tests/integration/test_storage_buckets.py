"""Buckets through the official google-cloud-storage client."""

from __future__ import annotations

import httpx
import pytest
from google.api_core import exceptions
from google.cloud import storage
from google.oauth2 import service_account

from tests.conftest import CLOUD_PLATFORM, unique_id
from tests.integration.test_auth import Session, assert_google_error, grant, make_account_key
from tests.servers import NimbusServer


@pytest.mark.parametrize(
    ("location", "location_type"),
    [
        ("EU", "multi-region"),
        ("us-central1", "region"),
        ("NAM4", "dual-region"),
        (None, "multi-region"),
    ],
)
def test_create_in_locations(
    storage_client: storage.Client, location: str | None, location_type: str
) -> None:
    created = storage_client.create_bucket(unique_id("loc"), location=location)
    assert created.location == (location or "US").upper()
    assert created.location_type == location_type
    assert created.storage_class == "STANDARD"
    assert created.metageneration == 1


def test_bucket_settings_round_trip(storage_client: storage.Client) -> None:
    bucket = storage_client.bucket(unique_id("settings"))
    bucket.storage_class = "NEARLINE"
    bucket.labels = {"team": "data"}
    bucket.versioning_enabled = True
    bucket.add_lifecycle_delete_rule(age=30)
    bucket.add_lifecycle_set_storage_class_rule(
        "COLDLINE", age=10, matches_storage_class=["NEARLINE"]
    )
    bucket.iam_configuration.uniform_bucket_level_access_enabled = True
    storage_client.create_bucket(bucket, location="europe-west9")

    fetched = storage_client.get_bucket(bucket.name)
    assert fetched.storage_class == "NEARLINE"
    assert fetched.labels == {"team": "data"}
    assert fetched.versioning_enabled is True
    rules = list(fetched.lifecycle_rules)
    assert rules[0]["action"] == {"type": "Delete"} and rules[0]["condition"] == {"age": 30}
    assert rules[1]["action"] == {"type": "SetStorageClass", "storageClass": "COLDLINE"}
    assert fetched.iam_configuration.uniform_bucket_level_access_enabled is True
    assert fetched.time_created is not None and fetched.etag

    fetched.labels = {"team": "ml", "tier": "gold"}
    fetched.patch()
    assert storage_client.get_bucket(bucket.name).labels == {"team": "ml", "tier": "gold"}
    assert fetched.metageneration == 2
    fetched.versioning_enabled = False
    fetched.update()
    again = storage_client.get_bucket(bucket.name)
    assert again.versioning_enabled is False and again.metageneration == 3


def test_list_buckets_by_project_and_prefix(storage_client: storage.Client) -> None:
    prefix = unique_id("lst")
    names = [f"{prefix}-{i}" for i in range(3)]
    for name in names:
        storage_client.create_bucket(name)
    listed = [b.name for b in storage_client.list_buckets(prefix=prefix)]
    assert listed == names
    paged = storage_client.list_buckets(prefix=prefix, page_size=2)
    assert [b.name for b in paged] == names


def test_names_are_global_and_validated(
    storage_client: storage.Client, server: NimbusServer, owner: Session, project: str
) -> None:
    name = unique_id("taken")
    storage_client.create_bucket(name)
    with pytest.raises(exceptions.Conflict):
        storage_client.create_bucket(name)
    bad_names = ("ab", "UPPER", "goog-x", "has-google-in", "-dash", "a" * 64, "192.168.1.1", "a..b")
    for bad in bad_names:
        response = owner.post(f"{server.url}/storage/v1/b?project={project}", json={"name": bad})
        assert_google_error(response, 400)
    assert not list(storage_client.list_buckets())[1:]
    with pytest.raises(exceptions.BadRequest):
        storage_client.create_bucket(unique_id("loc"), location="mars-north1")


def test_delete_refused_while_not_empty(
    storage_client: storage.Client, bucket: storage.Bucket
) -> None:
    bucket.blob("keep").upload_from_string(b"x")
    with pytest.raises(exceptions.Conflict):
        bucket.delete()
    assert storage_client.get_bucket(bucket.name).name == bucket.name
    bucket.blob("keep").delete()
    bucket.delete()
    with pytest.raises(exceptions.NotFound):
        storage_client.get_bucket(bucket.name)


def test_metageneration_preconditions(
    storage_client: storage.Client, bucket: storage.Bucket
) -> None:
    bucket.reload()
    bucket.labels = {"a": "b"}
    bucket.patch(if_metageneration_match=bucket.metageneration)
    bucket.labels = {"a": "c"}
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.patch(if_metageneration_match=1)
    assert storage_client.get_bucket(bucket.name).labels == {"a": "b"}


def test_bucket_iam_and_public_objects(
    storage_client: storage.Client, bucket: storage.Bucket, server: NimbusServer
) -> None:
    bucket.blob("public.txt").upload_from_string(b"for everyone")
    url = f"{server.url}/storage/v1/b/{bucket.name}/o/public.txt?alt=media"
    assert httpx.get(url).status_code == 401
    policy = bucket.get_iam_policy(requested_policy_version=3)
    roles = {b["role"] for b in policy.bindings}
    assert "roles/storage.legacyBucketOwner" in roles
    policy.bindings.append({"role": "roles/storage.objectViewer", "members": {"allUsers"}})
    bucket.set_iam_policy(policy)
    response = httpx.get(url)
    assert response.status_code == 200 and response.content == b"for everyone"
    listing = httpx.get(f"{server.url}/storage/v1/b/{bucket.name}/o")
    assert listing.status_code == 200
    assert httpx.delete(f"{server.url}/storage/v1/b/{bucket.name}/o/public.txt").status_code == 401
    held = bucket.test_iam_permissions(["storage.objects.get", "storage.buckets.delete"])
    assert held == ["storage.objects.get", "storage.buckets.delete"]


def test_reads_and_writes_need_permission(
    server: NimbusServer, owner: Session, project: str, bucket: storage.Bucket
) -> None:
    bucket.blob("secret.txt").upload_from_string(b"secret")
    outsider = make_account_key(server, owner, project)
    grant(
        server, owner, project, f"serviceAccount:{outsider['client_email']}", "roles/compute.viewer"
    )
    viewer = make_account_key(server, owner, project)
    grant(server, owner, project, f"serviceAccount:{viewer['client_email']}", "roles/viewer")
    base = f"{server.url}/storage/v1/b/{bucket.name}/o"
    upload = f"{server.url}/upload/storage/v1/b/{bucket.name}/o"
    for info, can_read in ((outsider, False), (viewer, True)):
        creds = service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM])
        with Session(creds) as session:
            read = session.get(f"{base}/secret.txt", params={"alt": "media"})
            listing = session.get(base)
            layout = session.get(f"{server.url}/storage/v1/b/{bucket.name}/storageLayout")
            if can_read:
                assert read.content == b"secret" and listing.status_code == 200
                assert layout.json() == {
                    "kind": "storage#storageLayout",
                    "bucket": bucket.name,
                    "location": bucket.location,
                    "locationType": bucket.location_type,
                    "hierarchicalNamespace": {"enabled": False},
                }
            else:
                error = assert_google_error(read, 403)
                assert "storage.objects.get" in error["message"]
                assert "storage.objects.list" in assert_google_error(listing, 403)["message"]
                assert "storage.objects.list" in assert_google_error(layout, 403)["message"]
            write = session.post(upload, params={"uploadType": "media", "name": "x"}, data=b"x")
            assert "storage.objects.create" in assert_google_error(write, 403)["message"]
            assert_google_error(session.delete(f"{base}/secret.txt"), 403)
    assert bucket.blob("secret.txt").download_as_bytes() == b"secret"
    assert [b.name for b in bucket.list_blobs()] == ["secret.txt"]


def test_project_service_agent(storage_client: storage.Client, project: str) -> None:
    email = storage_client.get_service_account_email()
    assert email.startswith("service-") and email.endswith(
        "@gs-project-accounts.iam.gserviceaccount.com"
    )
