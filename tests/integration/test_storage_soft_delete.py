"""Soft delete: bucket policies, soft-deleted objects, restore and hard delete, through the
official google-cloud-storage client as its system tests use them (raw HTTP where the
client has no method)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from google.api_core import exceptions
from google.cloud import storage
from sqlalchemy import create_engine, text

from tests.conftest import unique_id
from tests.integration.test_auth import Session
from tests.servers import NimbusServer

WEEK = 7 * 86400


def _advance(server: NimbusServer, owner: Session, seconds: float) -> None:
    control = f"{server.url}/_nimbus/test/v1/clock:advance"
    assert owner.post(control, json={"seconds": seconds}).status_code == 200


def _hard_delete(server: NimbusServer, owner: Session) -> None:
    response = owner.post(f"{server.url}/_nimbus/test/v1/storage/hardDeletes:run")
    assert response.status_code == 200


def _stored_bytes(server: NimbusServer, bucket: storage.Bucket) -> int:
    """The bytes billing counts as stored in ``bucket`` (its usage records)."""
    engine = create_engine(server.database_url or f"sqlite:///{server.data_dir / 'nimbus.db'}")
    try:
        with engine.connect() as connection:
            query = text("SELECT SUM(delta_bytes) FROM storage_byte_changes WHERE bucket = :b")
            return int(connection.execute(query, {"b": bucket.name}).scalar() or 0)
    finally:
        engine.dispose()


def _object_url(server: NimbusServer, bucket: storage.Bucket, name: str) -> str:
    return f"{server.url}/storage/v1/b/{bucket.name}/o/{quote(name, safe='')}"


def _deleted(bucket: storage.Bucket, name: str, payload: bytes = b"DEADBEEF") -> int:
    """Write ``name``, delete it, and return the generation now soft-deleted."""
    blob = bucket.blob(name)
    blob.upload_from_string(payload)
    generation = blob.generation
    assert generation is not None
    blob.delete()
    return generation


# -- the bucket's policy -------------------------------------------------------------------


def test_a_new_bucket_keeps_deleted_objects_a_week_unless_told_otherwise(
    storage_client: storage.Client, bucket: storage.Bucket
) -> None:
    policy = bucket.soft_delete_policy
    assert policy.retention_duration_seconds == WEEK
    first = policy.effective_time
    assert isinstance(first, dt.datetime)

    chosen = storage_client.bucket(unique_id("soft"))
    chosen.soft_delete_policy.retention_duration_seconds = 10 * 86400
    chosen = storage_client.create_bucket(chosen)
    assert chosen.soft_delete_policy.retention_duration_seconds == 10 * 86400

    off = storage_client.bucket(unique_id("soft"))
    off.soft_delete_policy.retention_duration_seconds = 0
    off = storage_client.create_bucket(off)
    assert off.soft_delete_policy.retention_duration_seconds == 0
    assert off.soft_delete_policy.effective_time is None


def test_the_policy_is_patched_and_its_effective_time_moves_when_it_grows(
    bucket: storage.Bucket,
) -> None:
    before = bucket.soft_delete_policy.effective_time
    bucket.soft_delete_policy.retention_duration_seconds = 90 * 86400
    bucket.patch()
    bucket.reload()
    assert bucket.soft_delete_policy.retention_duration_seconds == 90 * 86400
    grown = bucket.soft_delete_policy.effective_time
    assert grown is not None and before is not None and grown >= before

    bucket.soft_delete_policy.retention_duration_seconds = WEEK
    bucket.patch()
    assert bucket.soft_delete_policy.effective_time == grown  # a shorter one was in force

    bucket.labels = {"other": "change"}
    bucket.update()  # a full update without the policy keeps it
    assert bucket.soft_delete_policy.retention_duration_seconds == WEEK

    bucket.soft_delete_policy.retention_duration_seconds = 0
    bucket.patch()
    assert bucket.soft_delete_policy.retention_duration_seconds == 0
    assert bucket.soft_delete_policy.effective_time is None


@pytest.mark.parametrize("seconds", [1, WEEK - 1, 90 * 86400 + 1, -5])
def test_a_duration_out_of_range_is_refused_and_changes_nothing(
    storage_client: storage.Client, bucket: storage.Bucket, seconds: int
) -> None:
    bucket.soft_delete_policy.retention_duration_seconds = seconds
    with pytest.raises(exceptions.BadRequest, match="retentionDurationSeconds"):
        bucket.patch()
    bucket.reload()
    assert bucket.soft_delete_policy.retention_duration_seconds == WEEK

    refused = storage_client.bucket(unique_id("soft"))
    refused.soft_delete_policy.retention_duration_seconds = seconds
    with pytest.raises(exceptions.BadRequest):
        storage_client.create_bucket(refused)
    assert storage_client.lookup_bucket(refused.name) is None


# -- soft-deleted objects ------------------------------------------------------------------


def test_a_deleted_object_is_soft_deleted_then_read_and_restored(bucket: storage.Bucket) -> None:
    """Google's own system test (test_bucket.py::test_soft_delete_policy), and more."""
    generation = _deleted(bucket, "kept", b"DEADBEEF")

    assert list(bucket.list_blobs()) == []
    assert list(bucket.list_blobs(versions=True)) == []
    assert bucket.get_blob("kept") is None
    assert bucket.get_blob("kept", generation=generation) is None
    [listed] = bucket.list_blobs(soft_deleted=True)
    assert listed.generation == generation

    found = bucket.get_blob("kept", generation=generation, soft_deleted=True)
    assert found is not None
    assert found.soft_delete_time is not None and found.hard_delete_time is not None
    assert found.hard_delete_time - found.soft_delete_time == dt.timedelta(seconds=WEEK)

    restored = bucket.restore_blob("kept", generation=generation)
    assert restored.generation != generation and restored.metageneration == 1
    assert restored.soft_delete_time is None and restored.hard_delete_time is None
    assert restored.exists()
    assert bucket.blob("kept").download_as_bytes() == b"DEADBEEF"


def test_an_overwritten_object_and_a_deleted_version_are_soft_deleted(
    bucket: storage.Bucket,
) -> None:
    blob = bucket.blob("written")
    blob.upload_from_string(b"first")
    first = blob.generation
    blob.upload_from_string(b"second")
    assert [b.generation for b in bucket.list_blobs(soft_deleted=True)] == [first]

    bucket.versioning_enabled = True
    bucket.patch()
    blob.upload_from_string(b"third")
    second = [b for b in bucket.list_blobs(versions=True) if b.generation != blob.generation]
    assert [b.download_as_bytes() for b in second] == [b"second"]
    bucket.blob("written", generation=second[0].generation).delete()
    assert len(list(bucket.list_blobs(versions=True))) == 1
    assert len(list(bucket.list_blobs(soft_deleted=True))) == 2


def test_restore_honours_preconditions_and_replaces_the_live_object(
    bucket: storage.Bucket,
) -> None:
    generation = _deleted(bucket, "again", b"old")
    bucket.blob("again").upload_from_string(b"new")
    live = bucket.get_blob("again")
    assert live is not None

    with pytest.raises(exceptions.PreconditionFailed):
        bucket.restore_blob("again", generation=generation, if_generation_match=0)
    assert bucket.blob("again").download_as_bytes() == b"new"

    bucket.restore_blob("again", generation=generation, if_generation_match=live.generation)
    assert bucket.blob("again").download_as_bytes() == b"old"
    # The replaced live object is soft-deleted in turn.
    assert live.generation in {b.generation for b in bucket.list_blobs(soft_deleted=True)}


def test_only_a_soft_deleted_generation_is_restored(bucket: storage.Bucket) -> None:
    blob = bucket.blob("live")
    blob.upload_from_string(b"x")
    with pytest.raises(exceptions.NotFound):
        bucket.restore_blob("live", generation=blob.generation)
    with pytest.raises(exceptions.NotFound):
        bucket.restore_blob("never", generation=1)
    assert [b.name for b in bucket.list_blobs()] == ["live"]


def test_copy_source_acl_keeps_the_deleted_objects_acl(
    storage_client: storage.Client, bucket: storage.Bucket
) -> None:
    blob = bucket.blob("shared")
    blob.upload_from_string(b"x")
    blob.acl.all().grant_read()
    blob.acl.save()
    generation = blob.generation
    blob.delete()

    plain = bucket.restore_blob("shared", generation=generation)
    plain.acl.reload()
    assert "allUsers" not in {entry["entity"] for entry in plain.acl}
    bucket.blob("shared").delete()

    copied = bucket.restore_blob("shared", generation=generation, copy_source_acl=True)
    copied.acl.reload()
    assert "allUsers" in {entry["entity"] for entry in copied.acl}

    uniform = storage_client.bucket(unique_id("soft"))
    uniform.iam_configuration.uniform_bucket_level_access_enabled = True
    uniform = storage_client.create_bucket(uniform)
    gone = _deleted(uniform, "u")
    with pytest.raises(exceptions.BadRequest):
        uniform.restore_blob("u", generation=gone, copy_source_acl=True)
    assert list(uniform.list_blobs()) == []


def test_bad_requests_get_googles_400(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    generation = _deleted(bucket, "bad")
    url = _object_url(server, bucket, "bad")
    assert owner.post(url + "/restore").status_code == 400  # generation is required
    assert owner.get(url, params={"softDeleted": "true"}).status_code == 400
    media = {"softDeleted": "true", "generation": generation, "alt": "media"}
    assert owner.get(url, params=media).status_code == 400
    listing = f"{server.url}/storage/v1/b/{bucket.name}/o"
    both = {"softDeleted": "true", "versions": "true"}
    assert owner.get(listing, params=both).status_code == 400
    assert owner.get(listing, params={"softDeleted": "true"}).json()["items"][0]["name"] == "bad"


def test_without_a_policy_a_delete_is_for_good(storage_client: storage.Client) -> None:
    bucket = storage_client.bucket(unique_id("soft"))
    bucket.soft_delete_policy.retention_duration_seconds = 0
    bucket = storage_client.create_bucket(bucket)
    generation = _deleted(bucket, "gone")
    assert list(bucket.list_blobs(soft_deleted=True)) == []
    with pytest.raises(exceptions.NotFound):
        bucket.restore_blob("gone", generation=generation)


def test_soft_deleted_objects_go_for_good_at_their_hard_delete_time(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    generation = _deleted(bucket, "expiring", b"12345")
    _advance(server, owner, WEEK - 60)
    _hard_delete(server, owner)
    assert len(list(bucket.list_blobs(soft_deleted=True))) == 1
    assert _stored_bytes(server, bucket) == 5  # billed while soft-deleted, as on Google

    _advance(server, owner, 61)
    _hard_delete(server, owner)
    assert list(bucket.list_blobs(soft_deleted=True)) == []
    assert _stored_bytes(server, bucket) == 0
    with pytest.raises(exceptions.NotFound):
        bucket.restore_blob("expiring", generation=generation)


def test_soft_deleted_objects_do_not_keep_a_bucket_from_being_deleted(
    storage_client: storage.Client,
) -> None:
    bucket = storage_client.create_bucket(unique_id("soft"))
    _deleted(bucket, "a")
    bucket.blob("b").upload_from_string(b"live")
    with pytest.raises(exceptions.Conflict):
        bucket.delete()
    bucket.blob("b").delete()
    bucket.delete()
    assert storage_client.lookup_bucket(bucket.name) is None
