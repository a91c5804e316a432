"""Bucket retention policies (Bucket Lock), object retention (Object Retention Lock) and
moveTo, through the official google-cloud-storage client, as its system tests use them."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from google.api_core import exceptions
from google.cloud import storage

from tests.conftest import unique_id
from tests.integration.test_auth import Session, assert_google_error
from tests.servers import NimbusServer


def _advance(server: NimbusServer, owner: Session, seconds: float) -> None:
    """Let world time pass: retention is measured on the world clock."""
    control = f"{server.url}/_nimbus/test/v1/clock:advance"
    assert owner.post(control, json={"seconds": seconds}).status_code == 200


def _world_now(server: NimbusServer) -> dt.datetime:
    """The server's world time (tests elsewhere may have moved it ahead of ours)."""
    now = httpx.get(f"{server.url}/_nimbus/test/v1/clock").json()["now"]
    return dt.datetime.fromisoformat(now.replace("Z", "+00:00"))


def _retained_bucket(client: storage.Client, period: int) -> storage.Bucket:
    bucket = client.bucket(unique_id("retained"))
    bucket.retention_period = period
    return client.create_bucket(bucket)


# -- bucket retention policy ---------------------------------------------------------------


def test_a_retention_period_is_set_read_back_and_removed(bucket: storage.Bucket) -> None:
    bucket.retention_period = 3
    bucket.default_event_based_hold = False
    bucket.patch()
    bucket.reload()
    assert bucket.retention_period == 3
    assert isinstance(bucket.retention_policy_effective_time, dt.datetime)
    assert not bucket.retention_policy_locked and not bucket.default_event_based_hold

    bucket.retention_period = None
    bucket.patch()
    bucket.reload()
    assert bucket.retention_period is None
    assert bucket.retention_policy_effective_time is None
    assert not bucket.retention_policy_locked


def test_a_retained_object_is_neither_deleted_nor_replaced_until_it_expires(
    storage_client: storage.Client, server: NimbusServer, owner: Session
) -> None:
    bucket = _retained_bucket(storage_client, 30)
    blob = bucket.blob("kept")
    blob.upload_from_string(b"DEADBEEF")
    blob.reload()
    assert blob.retention_expiration_time == blob.time_created + dt.timedelta(seconds=30)
    assert not blob.event_based_hold and not blob.temporary_hold

    with pytest.raises(exceptions.Forbidden, match="subject to bucket's retention policy"):
        blob.delete()
    with pytest.raises(exceptions.Forbidden):
        bucket.blob("kept").upload_from_string(b"other")
    other = bucket.blob("other")
    other.upload_from_string(b"x")
    with pytest.raises(exceptions.Forbidden):
        bucket.copy_blob(other, bucket, "kept")
    with pytest.raises(exceptions.Forbidden):
        bucket.blob("kept").compose([other])
    with pytest.raises(exceptions.Forbidden):
        bucket.blob("kept").rewrite(other)
    assert bucket.blob("kept").download_as_bytes() == b"DEADBEEF"

    _advance(server, owner, 31)
    blob.delete()
    assert bucket.get_blob("kept") is None


def test_a_locked_policy_only_grows(storage_client: storage.Client, bucket: storage.Bucket) -> None:
    bucket.retention_period = 10
    bucket.patch()
    bucket.lock_retention_policy()
    bucket.reload()
    assert bucket.retention_policy_locked and bucket.retention_period == 10

    for period in (None, 5):
        attempt = storage_client.get_bucket(bucket.name)
        attempt.retention_period = period
        with pytest.raises(exceptions.Forbidden):
            attempt.patch()
    fresh = storage_client.get_bucket(bucket.name)
    assert fresh.retention_period == 10 and fresh.retention_policy_locked

    fresh.retention_period = 20
    fresh.patch()
    assert fresh.retention_period == 20 and fresh.retention_policy_locked
    fresh.labels = {"still": "locked"}
    fresh.update()  # echoes the policy back: allowed, unchanged
    assert fresh.retention_period == 20 and fresh.retention_policy_locked


def test_locking_needs_a_policy_and_the_current_metageneration(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    url = f"{server.url}/storage/v1/b/{bucket.name}/lockRetentionPolicy"
    bucket.reload()
    metageneration = bucket.metageneration
    assert_google_error(owner.post(url), 400)  # ifMetagenerationMatch is required
    assert_google_error(owner.post(url, params={"ifMetagenerationMatch": metageneration}), 400)

    bucket.retention_period = 60
    bucket.patch()
    stale = {"ifMetagenerationMatch": metageneration}
    assert_google_error(owner.post(url, params=stale), 412)
    bucket.reload()
    assert not bucket.retention_policy_locked and bucket.metageneration == metageneration + 1


def test_a_bad_retention_period_is_refused(server: NimbusServer, owner: Session) -> None:
    bucket = owner.post(
        f"{server.url}/storage/v1/b",
        params={"project": _project(server, owner)},
        json={"name": unique_id("bad-period")},
    ).json()
    url = f"{server.url}/storage/v1/b/{bucket['name']}"
    for period in ("0", "-3", "soon", str(3_155_760_000)):
        body = {"retentionPolicy": {"retentionPeriod": period}}
        assert_google_error(owner.patch(url, json=body), 400)
    assert "retentionPolicy" not in owner.get(url).json()


def test_an_event_based_hold_delays_the_retention_period(
    storage_client: storage.Client, server: NimbusServer, owner: Session
) -> None:
    bucket = _retained_bucket(storage_client, 30)
    blob = bucket.blob("event")
    blob.upload_from_string(b"x")
    blob.event_based_hold = True
    blob.patch()
    assert blob.retention_expiration_time is None

    _advance(server, owner, 40)
    blob.event_based_hold = False
    blob.patch()
    assert blob.retention_expiration_time > blob.time_created + dt.timedelta(seconds=60)
    with pytest.raises(exceptions.Forbidden):
        blob.delete()


def test_lifecycle_does_not_delete_retained_objects(
    storage_client: storage.Client, server: NimbusServer, owner: Session
) -> None:
    bucket = _retained_bucket(storage_client, 3 * 86400)
    bucket.add_lifecycle_delete_rule(age=1)
    bucket.patch()
    bucket.blob("young").upload_from_string(b"x")

    run = f"{server.url}/_nimbus/test/v1/storage/lifecycle:run"
    _advance(server, owner, 2 * 86400)
    assert owner.post(run).status_code == 200
    assert bucket.get_blob("young") is not None

    _advance(server, owner, 2 * 86400)
    assert owner.post(run).status_code == 200
    assert bucket.get_blob("young") is None


# -- object retention ----------------------------------------------------------------------


def test_object_retention_lock(storage_client: storage.Client, server: NimbusServer) -> None:
    bucket = storage_client.create_bucket(unique_id("obj-ret"), enable_object_retention=True)
    assert bucket.object_retention_mode == "Enabled"

    until = _world_now(server) + dt.timedelta(hours=1)
    blob = bucket.blob("object-retention-lock")
    blob.retention.mode = "Unlocked"
    blob.retention.retain_until_time = until
    blob.upload_from_string(b"Hello World")
    blob.reload()
    assert blob.retention.mode == "Unlocked"
    assert blob.retention.retain_until_time == until
    assert blob.retention_expiration_time is None
    with pytest.raises(exceptions.Forbidden, match="object retention"):
        blob.delete()

    # Shortening an Unlocked retention takes the override; extending does not.
    blob.retention.retain_until_time = until - dt.timedelta(minutes=30)
    with pytest.raises(exceptions.Forbidden):
        blob.patch()
    blob.retention.retain_until_time = until + dt.timedelta(minutes=30)
    blob.patch()
    assert blob.retention.retain_until_time == until + dt.timedelta(minutes=30)

    blob.retention.mode = None
    blob.retention.retain_until_time = None
    blob.patch(override_unlocked_retention=True)
    assert blob.retention.mode is None
    blob.delete()


def test_a_locked_object_retention_can_only_be_extended(
    storage_client: storage.Client, server: NimbusServer
) -> None:
    bucket = storage_client.create_bucket(unique_id("obj-lock"), enable_object_retention=True)
    blob = bucket.blob("locked")
    blob.upload_from_string(b"x")
    until = _world_now(server) + dt.timedelta(hours=1)
    blob.retention.mode = "Locked"
    blob.retention.retain_until_time = until
    blob.patch()
    assert blob.retention.mode == "Locked"

    for mode, moment in (("Locked", until - dt.timedelta(minutes=1)), (None, None)):
        blob.retention.mode = mode
        blob.retention.retain_until_time = moment
        with pytest.raises(exceptions.Forbidden):
            blob.patch(override_unlocked_retention=True)
    blob.retention.mode = "Locked"
    blob.retention.retain_until_time = until + dt.timedelta(hours=1)
    blob.patch()
    assert blob.retention.retain_until_time == until + dt.timedelta(hours=1)
    with pytest.raises(exceptions.Forbidden):
        bucket.blob("locked").upload_from_string(b"replaced")


def test_object_retention_needs_a_bucket_that_enables_it(
    bucket: storage.Bucket, server: NimbusServer
) -> None:
    assert bucket.object_retention_mode is None
    until = _world_now(server) + dt.timedelta(hours=1)
    blob = bucket.blob("plain")
    blob.upload_from_string(b"x")
    blob.retention.mode = "Unlocked"
    blob.retention.retain_until_time = until
    with pytest.raises(exceptions.BadRequest, match="not enabled"):
        blob.patch()
    new = bucket.blob("new")
    new.retention.mode = "Unlocked"
    new.retention.retain_until_time = until
    with pytest.raises(exceptions.BadRequest, match="not enabled"):
        new.upload_from_string(b"x")
    blob.reload()
    assert blob.retention.mode is None
    assert bucket.get_blob("new") is None


def test_a_bad_object_retention_is_refused(
    storage_client: storage.Client, server: NimbusServer
) -> None:
    bucket = storage_client.create_bucket(unique_id("obj-bad"), enable_object_retention=True)
    blob = bucket.blob("bad")
    blob.upload_from_string(b"x")
    now = _world_now(server)
    for mode, moment in (
        ("Forever", now + dt.timedelta(hours=1)),
        ("Locked", now - dt.timedelta(hours=1)),
        ("Locked", now + dt.timedelta(days=366 * 101)),
    ):
        blob.retention.mode = mode
        blob.retention.retain_until_time = moment
        with pytest.raises(exceptions.BadRequest):
            blob.patch()
    blob.reload()
    assert blob.retention.mode is None


# -- moveTo --------------------------------------------------------------------------------


def test_move_blob_renames_atomically(bucket: storage.Bucket) -> None:
    source = bucket.blob("source")
    source.upload_from_string(b"move_blob_test", content_type="text/plain")
    source.metadata = {"k": "v"}
    source.patch()

    dest = bucket.move_blob(
        source,
        "dest/dest_file.txt",
        if_source_generation_match=source.generation,
        if_source_metageneration_match=source.metageneration,
    )
    assert dest.name == "dest/dest_file.txt" and dest.generation != source.generation
    assert dest.metageneration == 1 and dest.content_type == "text/plain"
    assert dest.metadata == {"k": "v"}
    assert dest.download_as_bytes() == b"move_blob_test"
    assert bucket.get_blob("source") is None
    assert [b.name for b in bucket.list_blobs(versions=True)] == ["dest/dest_file.txt"]


def test_move_blob_preconditions_and_bad_input_change_nothing(bucket: storage.Bucket) -> None:
    source = bucket.blob("a")
    source.upload_from_string(b"A")
    taken = bucket.blob("b")
    taken.upload_from_string(b"B")

    with pytest.raises(exceptions.PreconditionFailed):
        bucket.move_blob(source, "c", if_source_generation_match=source.generation + 1)
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.move_blob(source, "b", if_generation_match=0)
    with pytest.raises(exceptions.BadRequest):
        bucket.move_blob(source, "a")
    with pytest.raises(exceptions.NotFound):
        bucket.move_blob(bucket.blob("missing"), "d")
    assert sorted(b.name for b in bucket.list_blobs()) == ["a", "b"]

    moved = bucket.move_blob(source, "b", if_generation_match=taken.generation)
    assert moved.download_as_bytes() == b"A"
    assert [b.name for b in bucket.list_blobs()] == ["b"]


def test_a_held_or_retained_object_does_not_move(storage_client: storage.Client) -> None:
    bucket = _retained_bucket(storage_client, 3600)
    blob = bucket.blob("stay")
    blob.upload_from_string(b"x")
    with pytest.raises(exceptions.Forbidden):
        bucket.move_blob(blob, "gone")
    assert bucket.get_blob("stay") is not None and bucket.get_blob("gone") is None


def _project(server: NimbusServer, owner: Session) -> str:
    project_id = unique_id("test")
    response = owner.post(f"{server.url}/v1/projects", json={"projectId": project_id})
    assert response.status_code == 200, response.text
    return project_id
