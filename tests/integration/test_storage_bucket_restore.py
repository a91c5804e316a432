"""Soft-deleted buckets: generations, delete, get and list with softDeleted, restore and
hard delete, through the official google-cloud-storage client (raw HTTP where it has
no method)."""

from __future__ import annotations

from typing import Any

import pytest
from google.api_core import exceptions
from google.api_core.client_options import ClientOptions
from google.cloud import storage
from google.oauth2 import service_account

from tests.conftest import CLOUD_PLATFORM, unique_id
from tests.integration.test_auth import Session, assert_google_error, grant, make_account_key
from tests.integration.test_storage_soft_delete import (
    WEEK,
    _advance,
    _deleted,
    _hard_delete,
    _stored_bytes,
)
from tests.servers import NimbusServer


def _soft_deleted_bucket(storage_client: storage.Client, *objects: str) -> tuple[str, int]:
    """A bucket that held ``objects`` (each soft-deleted), now deleted: its name and
    generation."""
    bucket = storage_client.create_bucket(unique_id("sdb"))
    for name in objects:
        _deleted(bucket, name)
    generation = bucket.generation
    assert generation is not None
    bucket.delete()
    return bucket.name, generation


def test_restore_bucket_as_googles_system_test(storage_client: storage.Client) -> None:
    """google-cloud-storage's tests/system/test_client.py::test_restore_bucket."""
    bucket = storage_client.bucket(unique_id("sdb"))
    bucket.soft_delete_policy.retention_duration_seconds = WEEK
    bucket = storage_client.create_bucket(bucket)
    name, generation = bucket.name, bucket.generation
    assert generation is not None
    bucket.delete()

    deleted = storage_client.get_bucket(name, generation=generation, soft_deleted=True)
    assert deleted.name == name and deleted.generation == generation
    assert deleted.soft_delete_time is not None and deleted.hard_delete_time is not None
    assert (deleted.hard_delete_time - deleted.soft_delete_time).total_seconds() == WEEK

    restored = storage_client.restore_bucket(name, generation=generation)
    assert restored.name == name and restored.generation == generation
    assert restored.soft_delete_time is None and restored.hard_delete_time is None
    assert storage_client.get_bucket(name).generation == generation


def test_a_soft_deleted_bucket_leaves_get_and_list_and_frees_its_name(
    storage_client: storage.Client,
) -> None:
    name, generation = _soft_deleted_bucket(storage_client)
    assert storage_client.lookup_bucket(name) is None
    assert name not in {b.name for b in storage_client.list_buckets()}

    again = storage_client.create_bucket(name)  # the name is free, as on Google
    assert again.generation is not None and again.generation > generation
    with pytest.raises(exceptions.Conflict):
        storage_client.restore_bucket(name, generation=generation)
    assert storage_client.get_bucket(name).generation == again.generation

    again.delete()
    listed = list(storage_client.list_buckets(soft_deleted=True))
    assert [(b.name, b.generation) for b in listed] == [
        (name, generation),
        (name, again.generation),
    ]
    assert all(b.soft_delete_time is not None for b in listed)
    assert storage_client.restore_bucket(name, generation=generation).generation == generation
    assert [b.generation for b in storage_client.list_buckets(soft_deleted=True)] == [
        again.generation
    ]


def test_a_restored_bucket_has_its_objects_back_soft_deleted(
    storage_client: storage.Client,
) -> None:
    name, generation = _soft_deleted_bucket(storage_client, "kept")
    restored = storage_client.restore_bucket(name, generation=generation)
    assert list(restored.list_blobs()) == []
    [kept] = restored.list_blobs(soft_deleted=True)
    assert kept.name == "kept"
    restored.restore_blob("kept", generation=kept.generation)
    assert restored.blob("kept").download_as_bytes() == b"DEADBEEF"


def test_a_new_bucket_of_the_name_does_not_see_the_old_ones_objects(
    storage_client: storage.Client,
) -> None:
    name, _ = _soft_deleted_bucket(storage_client, "old")
    again = storage_client.create_bucket(name)
    assert list(again.list_blobs(soft_deleted=True)) == []
    assert list(again.list_blobs()) == []


def test_a_bucket_without_soft_delete_is_deleted_for_good(
    storage_client: storage.Client,
) -> None:
    bucket = storage_client.bucket(unique_id("sdb"))
    bucket.soft_delete_policy.retention_duration_seconds = 0
    bucket = storage_client.create_bucket(bucket)
    generation = bucket.generation
    bucket.delete()
    assert list(storage_client.list_buckets(soft_deleted=True)) == []
    with pytest.raises(exceptions.NotFound):
        storage_client.get_bucket(bucket.name, generation=generation, soft_deleted=True)


def test_bad_requests_and_unknown_generations_change_nothing(
    server: NimbusServer, owner: Session, storage_client: storage.Client
) -> None:
    name, generation = _soft_deleted_bucket(storage_client)
    url = f"{server.url}/storage/v1/b/{name}"
    assert_google_error(owner.post(f"{url}/restore"), 400)  # generation is required
    assert_google_error(owner.get(url, params={"softDeleted": "true"}), 400)
    assert_google_error(owner.post(f"{url}/restore", params={"generation": generation + 1}), 404)
    unknown = {"softDeleted": "true", "generation": generation + 1}
    assert_google_error(owner.get(url, params=unknown), 404)
    assert_google_error(owner.get(url), 404)
    body = owner.get(url, params={"softDeleted": "true", "generation": generation}).json()
    assert body["generation"] == str(generation)
    assert body["softDeleteTime"] and body["hardDeleteTime"]
    assert storage_client.lookup_bucket(name) is None


def test_restore_needs_storage_buckets_restore_on_the_project(
    server: NimbusServer, owner: Session, project: str, storage_client: storage.Client
) -> None:
    info = make_account_key(server, owner, project)
    grant(server, owner, project, f"serviceAccount:{info['client_email']}", "roles/viewer")
    credentials = service_account.Credentials.from_service_account_info(
        info, scopes=[CLOUD_PLATFORM]
    )
    viewer = storage.Client(
        project=project,
        credentials=credentials,
        client_options=ClientOptions(api_endpoint=server.url),
    )
    name, generation = _soft_deleted_bucket(storage_client)
    # A viewer lists buckets; reading or restoring a soft-deleted one takes the
    # project-level storage.buckets.get / .restore (its own policy is deleted with it).
    assert [b.name for b in viewer.list_buckets(soft_deleted=True)] == [name]
    with pytest.raises(exceptions.Forbidden):
        viewer.get_bucket(name, generation=generation, soft_deleted=True)
    with pytest.raises(exceptions.Forbidden):
        viewer.restore_bucket(name, generation=generation)
    assert storage_client.lookup_bucket(name) is None

    grant(server, owner, project, f"serviceAccount:{info['client_email']}", "roles/storage.admin")
    seen = viewer.get_bucket(name, generation=generation, soft_deleted=True)
    assert seen.generation == generation
    assert viewer.restore_bucket(name, generation=generation).name == name
    viewer.close()  # type: ignore[no-untyped-call]


def test_a_soft_deleted_bucket_is_billed_then_goes_for_good(
    server: NimbusServer, owner: Session, storage_client: storage.Client
) -> None:
    bucket = storage_client.create_bucket(unique_id("sdb"))
    _deleted(bucket, "billed", b"12345")
    _advance(server, owner, 3600)
    generation = bucket.generation
    bucket.delete()
    deleted = storage_client.get_bucket(bucket.name, generation=generation, soft_deleted=True)
    # Its hard delete time is never before its objects' (deleted an hour earlier).
    assert deleted.hard_delete_time is not None and deleted.soft_delete_time is not None
    assert (deleted.hard_delete_time - deleted.soft_delete_time).total_seconds() == WEEK

    _advance(server, owner, WEEK - 3600 - 60)
    _hard_delete(server, owner)
    assert _stored_bytes(server, bucket) == 5  # still billed, as Google bills soft delete
    _advance(server, owner, 61)  # the object's time has come, not yet the bucket's
    _hard_delete(server, owner)
    assert _stored_bytes(server, bucket) == 0
    assert storage_client.get_bucket(bucket.name, generation=generation, soft_deleted=True)

    _advance(server, owner, 3600)
    _hard_delete(server, owner)
    with pytest.raises(exceptions.NotFound):
        storage_client.get_bucket(bucket.name, generation=generation, soft_deleted=True)
    with pytest.raises(exceptions.NotFound):
        storage_client.restore_bucket(bucket.name, generation=generation)


def test_a_restored_bucket_has_its_iam_policy_back(storage_client: storage.Client) -> None:
    bucket = storage_client.create_bucket(unique_id("sdb"))
    policy = bucket.get_iam_policy()
    policy["roles/storage.objectViewer"] = {"allAuthenticatedUsers"}
    bucket.set_iam_policy(policy)
    generation = bucket.generation
    bucket.delete()

    again = storage_client.create_bucket(bucket.name)  # starts with the default policy
    assert not again.get_iam_policy()["roles/storage.objectViewer"]
    again.delete()
    restored = storage_client.restore_bucket(bucket.name, generation=generation)
    viewers = restored.get_iam_policy()["roles/storage.objectViewer"]
    assert viewers == {"allAuthenticatedUsers"}


def test_the_cli_lists_and_restores_soft_deleted_buckets(
    cli: Any, project: str, storage_client: storage.Client
) -> None:
    name, generation = _soft_deleted_bucket(storage_client)
    listed = cli("storage", "buckets", "list", "--soft-deleted", "--project", project)
    assert listed.returncode == 0, listed.stderr
    assert name in listed.stdout and str(generation) in listed.stdout
    bad = cli("storage", "restore", f"gs://{name}", "--project", project)
    assert bad.returncode != 0 and storage_client.lookup_bucket(name) is None
    restored = cli("storage", "restore", f"gs://{name}#{generation}", "--project", project)
    assert restored.returncode == 0, restored.stderr
    assert storage_client.get_bucket(name).generation == generation
