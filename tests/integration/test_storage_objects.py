"""Objects through the official google-cloud-storage client (and raw HTTP where the
client hides the wire)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import os

import google_crc32c
import httpx
import pytest
from google.api_core import exceptions
from google.cloud import storage

from tests.conftest import unique_id
from tests.integration.test_auth import Session, assert_google_error
from tests.servers import NimbusServer

MiB = 1024 * 1024


def test_small_and_large_uploads_read_back(bucket: storage.Bucket) -> None:
    small = bucket.blob("dir/small.txt")
    small.upload_from_string(b"hello", content_type="text/plain")
    assert small.size == 5 and small.content_type == "text/plain"
    assert small.crc32c and small.md5_hash and small.generation and small.metageneration == 1
    assert bucket.blob("dir/small.txt").download_as_bytes() == b"hello"

    payload = os.urandom(9 * MiB + 17)
    large = bucket.blob("large.bin", chunk_size=2 * MiB)
    large.upload_from_file(io.BytesIO(payload), checksum="crc32c")
    assert bucket.blob("large.bin").download_as_bytes(checksum="crc32c") == payload
    fetched = bucket.get_blob("large.bin")
    assert fetched is not None and fetched.size == len(payload)
    expected = base64.b64encode(google_crc32c.Checksum(payload).digest()).decode()
    assert fetched.crc32c == expected


def test_ranged_downloads(bucket: storage.Bucket) -> None:
    data = bytes(range(256)) * 1000
    bucket.blob("r").upload_from_string(data)
    blob = bucket.blob("r")
    assert blob.download_as_bytes(start=10, end=99) == data[10:100]
    assert blob.download_as_bytes(start=len(data) - 5) == data[-5:]


def test_metadata_fields(bucket: storage.Bucket) -> None:
    blob = bucket.blob("meta.json")
    blob.content_type = "application/json"
    blob.cache_control = "no-cache"
    blob.content_disposition = "attachment; filename=meta.json"
    blob.content_language = "en"
    blob.metadata = {"owner": "alice"}
    blob.custom_time = dt.datetime(2030, 1, 2, tzinfo=dt.UTC)
    blob.upload_from_string(b"{}")
    got = bucket.get_blob("meta.json")
    assert got is not None
    assert (got.content_type, got.cache_control, got.content_language) == (
        "application/json",
        "no-cache",
        "en",
    )
    assert got.content_disposition == "attachment; filename=meta.json"
    assert got.metadata == {"owner": "alice"}
    assert got.custom_time == dt.datetime(2030, 1, 2, tzinfo=dt.UTC)
    got.metadata = {"owner": None, "team": "x"}
    got.patch()
    assert bucket.get_blob("meta.json").metadata == {"team": "x"}  # type: ignore[union-attr]
    assert got.metageneration == 2
    got.custom_time = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(exceptions.BadRequest):
        got.patch()


def test_generation_preconditions(bucket: storage.Bucket) -> None:
    blob = bucket.blob("once")
    blob.upload_from_string(b"first", if_generation_match=0)
    with pytest.raises(exceptions.PreconditionFailed):
        bucket.blob("once").upload_from_string(b"second", if_generation_match=0)
    assert bucket.blob("once").download_as_bytes() == b"first"
    bucket.blob("once").upload_from_string(b"third", if_generation_match=blob.generation)
    assert bucket.blob("once").download_as_bytes() == b"third"
    current = bucket.get_blob("once")
    assert current is not None
    with pytest.raises(exceptions.PreconditionFailed):
        current.delete(if_generation_match=blob.generation)
    current.metadata = {"k": "v"}
    with pytest.raises(exceptions.PreconditionFailed):
        current.patch(if_metageneration_match=7)
    current.delete(if_generation_match=current.generation)
    assert bucket.get_blob("once") is None


def test_checksums_are_checked(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    wrong = base64.b64encode(b"\x00\x00\x00\x01").decode()
    boundary = "nimbus-boundary"
    body = (
        (
            f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
            f'{{"name": "bad.bin", "crc32c": "{wrong}"}}\r\n'
            f"--{boundary}\r\nContent-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"payload"
        + f"\r\n--{boundary}--\r\n".encode()
    )
    url = f"{server.url}/upload/storage/v1/b/{bucket.name}/o?uploadType=multipart"
    headers = {"Content-Type": f"multipart/related; boundary={boundary}"}
    error = assert_google_error(owner.post(url, data=body, headers=headers), 400)
    assert "CRC32C" in error["message"]
    wrong_md5 = base64.b64encode(b"0" * 16).decode()
    media = f"{server.url}/upload/storage/v1/b/{bucket.name}/o?uploadType=media&name=bad.bin"
    response = owner.post(media, data=b"payload", headers={"x-goog-hash": f"md5={wrong_md5}"})
    assert_google_error(response, 400)
    assert bucket.get_blob("bad.bin") is None
    right = base64.b64encode(google_crc32c.Checksum(b"payload").digest()).decode()
    ok = owner.post(media, data=b"payload", headers={"x-goog-hash": f"crc32c={right}"})
    assert ok.status_code == 200 and ok.json()["crc32c"] == right


def test_multipart_upload_as_gcloud_sends_it(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    """gcloud's uploads quote the boundary in single quotes and end lines in a bare LF,
    with MIME headers in each part; Cloud Storage takes them, and so must Nimbus."""
    boundary = "===============6567542746439717685=="
    body = (
        f"--{boundary}\nContent-Type: application/json\nMIME-Version: 1.0\n\n"
        f'{{"bucket": "{bucket.name}", "contentType": "text/plain", "name": "g.txt"}}\n'
        f"--{boundary}\nContent-Type: text/plain\nMIME-Version: 1.0\n"
        "Content-Transfer-Encoding: binary\n\nhello\n\n"
        f"--{boundary}--\n"
    ).encode()
    response = owner.post(
        f"{server.url}/upload/storage/v1/b/{bucket.name}/o",
        params={"alt": "json", "uploadType": "multipart"},
        data=body,
        headers={"Content-Type": f"multipart/related; boundary='{boundary}'"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["contentType"] == "text/plain"
    assert bucket.blob("g.txt").download_as_bytes() == b"hello\n"


def test_versioning(storage_client: storage.Client, bucket: storage.Bucket) -> None:
    bucket.versioning_enabled = True
    bucket.patch()
    first = bucket.blob("v")
    first.upload_from_string(b"one")
    second = bucket.blob("v")
    second.upload_from_string(b"two")
    versions = list(storage_client.list_blobs(bucket, versions=True))
    assert [b.generation for b in versions] == [first.generation, second.generation]
    assert versions[0].time_deleted is not None
    old = bucket.blob("v", generation=first.generation)
    assert old.download_as_bytes() == b"one"
    bucket.blob("v").delete()  # the live one becomes noncurrent
    assert bucket.get_blob("v") is None
    assert len(list(storage_client.list_blobs(bucket, versions=True))) == 2
    bucket.blob("v", generation=first.generation).delete()
    remaining = list(storage_client.list_blobs(bucket, versions=True))
    assert [b.generation for b in remaining] == [second.generation]


def test_listing(storage_client: storage.Client, bucket: storage.Bucket) -> None:
    names = ["a/1.txt", "a/2.txt", "a/b/3.txt", "a/", "c.csv", "d/4.txt", "e.txt"]
    for name in names:
        bucket.blob(name).upload_from_string(name.encode())
    everything = [b.name for b in storage_client.list_blobs(bucket)]
    assert everything == sorted(names)
    top = storage_client.list_blobs(bucket, delimiter="/")
    assert [b.name for b in top] == ["c.csv", "e.txt"]
    assert top.prefixes == {"a/", "d/"}
    inside = storage_client.list_blobs(bucket, prefix="a/", delimiter="/")
    assert [b.name for b in inside] == ["a/", "a/1.txt", "a/2.txt"]
    assert inside.prefixes == {"a/b/"}
    trailing = storage_client.list_blobs(bucket, delimiter="/", include_trailing_delimiter=True)
    assert [b.name for b in trailing] == ["a/", "c.csv", "e.txt"]
    window = storage_client.list_blobs(bucket, start_offset="a/2", end_offset="d/")
    assert [b.name for b in window] == ["a/2.txt", "a/b/3.txt", "c.csv"]
    # "**/" is zero or more levels: the top level's e.txt too.
    globbed = storage_client.list_blobs(bucket, match_glob="**/*.txt")
    assert [b.name for b in globbed] == ["a/1.txt", "a/2.txt", "a/b/3.txt", "d/4.txt", "e.txt"]
    shallow = storage_client.list_blobs(bucket, match_glob="*.{txt,csv}")
    assert [b.name for b in shallow] == ["c.csv", "e.txt"]
    pages = storage_client.list_blobs(bucket, max_results=None, page_size=2).pages
    assert [len(list(page)) for page in pages] == [2, 2, 2, 1]


def test_copy_rewrite_compose(
    storage_client: storage.Client,
    bucket: storage.Bucket,
    server: NimbusServer,
    owner: Session,
) -> None:
    other = storage_client.create_bucket(bucket.name + "-dst", location="EU")
    data = os.urandom(3 * MiB + 3)
    source = bucket.blob("src.bin")
    source.metadata = {"origin": "src"}
    source.upload_from_string(data, content_type="application/x-test")
    copied = bucket.copy_blob(source, other, "copied.bin")
    assert copied.download_as_bytes() == data and copied.metadata == {"origin": "src"}

    target = other.blob("cold.bin")
    target.storage_class = "COLDLINE"
    token, written, total = target.rewrite(source)
    assert token is None and written == total == len(data)
    assert other.get_blob("cold.bin").storage_class == "COLDLINE"  # type: ignore[union-attr]

    # maxBytesRewrittenPerCall: the client loops on the rewrite token (raw, to set it).
    url = f"{server.url}/storage/v1/b/{bucket.name}/o/src.bin/rewriteTo/b/{other.name}/o/step"
    params: dict[str, str | int] = {"maxBytesRewrittenPerCall": MiB}
    calls = 0
    while True:
        calls += 1
        answer = owner.post(url, params=params, json={}).json()
        if answer["done"]:
            break
        assert int(answer["totalBytesRewritten"]) == calls * MiB
        params["rewriteToken"] = answer["rewriteToken"]
    assert calls == 4 and answer["resource"]["size"] == str(len(data))
    assert other.blob("step").download_as_bytes() == data

    parts = []
    for index in range(3):
        part = bucket.blob(f"part-{index}")
        part.upload_from_string(f"<{index}>".encode())
        parts.append(part)
    composed = bucket.blob("composed")
    composed.content_type = "text/plain"
    composed.compose(parts)
    assert composed.download_as_bytes() == b"<0><1><2>"
    assert composed.component_count == 3
    big = bucket.blob("big-composed")
    big.compose([source, parts[0]])
    assert big.download_as_bytes() == data + b"<0>"
    with pytest.raises(exceptions.BadRequest):
        bucket.blob("too-many").compose(parts * 11)


@pytest.mark.parametrize(
    "name",
    [
        "with space.txt",
        "ünïcødé/日本語.txt",
        "q?uery#frag%25.txt",
        "trailing/",
        "x" * 1024,
        "a+b=c&d",
    ],
)
def test_object_names(bucket: storage.Bucket, name: str) -> None:
    bucket.blob(name).upload_from_string(name.encode())
    assert bucket.blob(name).download_as_bytes() == name.encode()
    assert bucket.get_blob(name).name == name  # type: ignore[union-attr]


def test_bad_object_names(server: NimbusServer, owner: Session, bucket: storage.Bucket) -> None:
    url = f"{server.url}/upload/storage/v1/b/{bucket.name}/o"
    for name in ("..", ".", "x" * 1025, "a\x00b", "line\nbreak"):
        response = owner.post(url, params={"uploadType": "media", "name": name}, data=b"x")
        assert_google_error(response, 400)
    assert not list(bucket.list_blobs())


def test_missing_things_are_404(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    assert_google_error(owner.get(f"{server.url}/storage/v1/b/{bucket.name}/o/nothing"), 404)
    assert_google_error(owner.get(f"{server.url}/storage/v1/b/no-such-bucket-xyz/o"), 404)
    assert bucket.get_blob("nothing") is None


def test_if_none_match_and_head_headers(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    bucket.blob("etagged").upload_from_string(b"body")
    url = f"{server.url}/download/storage/v1/b/{bucket.name}/o/etagged?alt=media"
    first = owner.get(url)
    assert first.status_code == 200 and first.content == b"body"
    assert "crc32c=" in first.headers["x-goog-hash"] and "md5=" in first.headers["x-goog-hash"]
    assert first.headers["x-goog-generation"]
    second = owner.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 304
    ranged = owner.get(url, headers={"Range": "bytes=1-2"})
    assert ranged.status_code == 206 and ranged.content == b"od"
    assert ranged.headers["Content-Range"] == "bytes 1-2/4"
    assert owner.get(url, headers={"Range": "bytes=9-"}).status_code == 416


def test_batch_requests(
    storage_client: storage.Client, bucket: storage.Bucket, server: NimbusServer, owner: Session
) -> None:
    for index in range(5):
        bucket.blob(f"batch/{index}").upload_from_string(b"x")
    with storage_client.batch():
        for index in range(3):
            bucket.blob(f"batch/{index}").delete()
    assert [b.name for b in bucket.list_blobs(prefix="batch/")] == ["batch/3", "batch/4"]
    with storage_client.batch(raise_exception=False) as batch:
        bucket.blob("batch/3").delete()
        bucket.blob("batch/missing").delete()
    statuses = [response.status_code for response in batch._responses]
    assert statuses == [204, 404]
    assert [b.name for b in bucket.list_blobs(prefix="batch/")] == ["batch/4"]


def test_acls_share_one_object(
    storage_client: storage.Client, bucket: storage.Bucket, server: NimbusServer
) -> None:
    shared = bucket.blob("shared.txt")
    shared.upload_from_string(b"for all")
    private = bucket.blob("private.txt")
    private.upload_from_string(b"mine")
    url = f"{server.url}/download/storage/v1/b/{bucket.name}/o/{{}}?alt=media"
    assert httpx.get(url.format("shared.txt")).status_code == 401
    shared.make_public()
    assert shared.acl.all().get_roles() == {"READER"}
    assert httpx.get(url.format("shared.txt")).content == b"for all"
    assert httpx.get(url.format("private.txt")).status_code == 401
    reloaded = bucket.blob("shared.txt")
    reloaded.acl.reload()
    assert "allUsers" in [entry["entity"] for entry in reloaded.acl]
    bucket.blob("born-public.txt").upload_from_string(b"hi", predefined_acl="publicRead")
    assert httpx.get(url.format("born-public.txt")).content == b"hi"
    shared.make_private()
    assert httpx.get(url.format("shared.txt")).status_code == 401


def test_uniform_buckets_refuse_acls(storage_client: storage.Client) -> None:
    uniform = storage_client.bucket(unique_id("uniform"))
    uniform.iam_configuration.uniform_bucket_level_access_enabled = True
    storage_client.create_bucket(uniform)
    blob = uniform.blob("x")
    blob.upload_from_string(b"x")
    with pytest.raises(exceptions.BadRequest):
        blob.make_public()


def test_download_paths_agree(server: NimbusServer, owner: Session, bucket: storage.Bucket) -> None:
    blob = bucket.blob("same.txt")
    blob.upload_from_string(b"same bytes")
    base = f"{server.url}/storage/v1/b/{bucket.name}/o/same.txt"
    short = owner.get(base, params={"alt": "media", "generation": blob.generation})
    routed = owner.get(base, params={"alt": "media", "someOtherParam": "1"})
    assert short.content == routed.content == b"same bytes"
    assert short.headers["x-goog-hash"] == routed.headers["x-goog-hash"]
    assert_google_error(owner.get(base, params={"alt": "media", "generation": "x"}), 400)
    assert_google_error(owner.get(base, params={"alt": "media", "generation": "1"}), 404)
    not_modified = owner.get(base, params={"alt": "media", "ifGenerationNotMatch": blob.generation})
    assert not_modified.status_code == 304


def test_resumable_upload_on_gcloud_path(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    """gcloud starts resumable uploads at ``/resumable/upload/storage/v1/...``."""
    start = owner.post(
        f"{server.url}/resumable/upload/storage/v1/b/{bucket.name}/o",
        params={"uploadType": "resumable", "alt": "json"},
        json={"name": "r.bin"},
    )
    assert start.status_code == 200, start.text
    done = owner.put(start.headers["Location"], data=b"resumed")
    assert done.status_code == 200 and done.json()["name"] == "r.bin"
    assert bucket.blob("r.bin").download_as_bytes() == b"resumed"
