"""Details of Cloud Storage's contract that google-cloud-storage's own system tests hold
servers to: etags, compose onto a stale copy, emptied ACLs, holds, globs."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from google.api_core import exceptions
from google.cloud import storage

from tests.integration.test_auth import Session
from tests.servers import NimbusServer


def test_a_download_carries_the_metadata_etag_and_etags_guard_reads(
    bucket: storage.Bucket,
) -> None:
    uploaded = bucket.blob("etagged")
    uploaded.upload_from_string(b"Hello World")

    fresh = bucket.blob("etagged")
    assert fresh.download_as_bytes() == b"Hello World"
    assert fresh.etag == uploaded.etag

    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("etagged").reload(if_etag_match="kittens")
    bucket.blob("etagged").reload(if_etag_match=uploaded.etag)
    with pytest.raises(exceptions.NotModified):
        bucket.blob("etagged").reload(if_etag_not_match=uploaded.etag)
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("etagged").download_as_bytes(if_etag_match="kittens")


def test_compose_onto_a_copy_with_old_checksums(bucket: storage.Bucket) -> None:
    original = bucket.blob("original")
    original.upload_from_string(b"AAA\n")
    appended = bucket.blob("appended")
    appended.upload_from_string(b"BBB\n")

    # ``original`` still holds the checksums of its first content, and sends them.
    original.compose([original, appended])

    assert original.download_as_bytes() == b"AAA\nBBB\n"


def test_an_empty_acl_takes_every_entry_away(bucket: storage.Bucket) -> None:
    bucket.acl.all().grant_read()
    bucket.acl.save()
    assert "allUsers" in {entry["entity"] for entry in bucket.acl}

    bucket.acl.clear()
    bucket.acl.save()

    bucket.acl.reload()
    assert "allUsers" not in {entry["entity"] for entry in bucket.acl}


def test_a_held_object_cannot_be_deleted_nor_replaced(bucket: storage.Bucket) -> None:
    blob = bucket.blob("held")
    blob.upload_from_string(b"keep")
    blob.temporary_hold = True
    blob.patch()

    with pytest.raises(exceptions.Forbidden, match="under active Temporary hold"):
        blob.delete()
    with pytest.raises(exceptions.Forbidden):
        bucket.blob("held").upload_from_string(b"other")

    blob.temporary_hold = False
    blob.patch()
    blob.delete()


def test_match_glob_levels_and_alternatives(bucket: storage.Bucket) -> None:
    for name in ("foo/bar", "foo/baz", "foo/foobar", "foobar"):
        bucket.blob(name).upload_from_string(b"")
    expected = {
        "foo*bar": ["foobar"],
        "foo**bar": ["foo/bar", "foo/foobar", "foobar"],
        "**/foobar": ["foo/foobar", "foobar"],
        "*/ba[rz]": ["foo/bar", "foo/baz"],
        "*/ba[!a-y]": ["foo/baz"],
        "**/{foobar,baz}": ["foo/baz", "foo/foobar", "foobar"],
        "foo/{foo*,*baz}": ["foo/baz", "foo/foobar"],
    }

    for glob, names in expected.items():
        assert [blob.name for blob in bucket.list_blobs(match_glob=glob)] == names, glob


def test_custom_time_reads_back_to_the_microsecond(bucket: storage.Bucket) -> None:
    moment = dt.datetime(2031, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)
    blob = bucket.blob("timed")
    blob.custom_time = moment
    blob.upload_from_string(b"")

    assert bucket.get_blob("timed").custom_time == moment


def test_acls_cannot_be_read_on_a_uniform_bucket(storage_client: storage.Client) -> None:
    uniform = storage_client.bucket(f"uniform-{secrets.token_hex(4)}")
    uniform.iam_configuration.uniform_bucket_level_access_enabled = True
    uniform.create()
    uniform.blob("o").upload_from_string(b"")

    with pytest.raises(exceptions.BadRequest, match="uniform bucket-level access"):
        uniform.acl.reload()
    with pytest.raises(exceptions.BadRequest, match="uniform bucket-level access"):
        uniform.blob("o").acl.reload()


def test_compose_can_delete_its_sources(bucket: storage.Bucket) -> None:
    first, second = bucket.blob("part-1"), bucket.blob("part-2")
    first.upload_from_string(b"one ")
    second.upload_from_string(b"two")
    # The destination is also a source: the new object survives its sources' deletion.
    first.compose([first, second], delete_source_objects=True)

    assert bucket.blob("part-1").download_as_bytes() == b"one two"
    assert [blob.name for blob in bucket.list_blobs()] == ["part-1"]


def test_a_composite_without_a_type_has_none_and_uploads_get_octet_stream(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    first, second = bucket.blob("source-1"), bucket.blob("source-2")
    first.upload_from_string(b"AAA\n")
    second.upload_from_string(b"BBB\n")

    destination = bucket.blob("destination")
    destination.compose([first, second])

    assert destination.content_type is None
    assert "contentType" not in destination._properties
    assert destination.download_as_bytes() == b"AAA\nBBB\n"
    served = owner.get(f"{server.url}/storage/v1/b/{bucket.name}/o/destination?alt=media")
    assert served.headers["Content-Type"] == "application/octet-stream"

    # A media upload that names no type is stored as application/octet-stream.
    untyped = owner.post(
        f"{server.url}/upload/storage/v1/b/{bucket.name}/o?uploadType=media&name=untyped",
        data=b"bytes",
    )
    assert "content-type" not in untyped.request.headers
    assert untyped.json()["contentType"] == "application/octet-stream"


def test_the_storage_service_agent_may_be_granted_a_role(
    storage_client: storage.Client, bucket: storage.Bucket
) -> None:
    agent = storage_client.get_service_account_email()
    policy = bucket.get_iam_policy(requested_policy_version=3)
    policy.bindings.append(
        {"role": "roles/storage.objectViewer", "members": {f"serviceAccount:{agent}"}}
    )
    bucket.set_iam_policy(policy)

    granted = bucket.get_iam_policy(requested_policy_version=3)
    viewers = [b for b in granted.bindings if b["role"] == "roles/storage.objectViewer"]
    assert f"serviceAccount:{agent}" in viewers[0]["members"]
