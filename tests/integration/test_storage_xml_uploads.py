"""The XML API's upload paths google-cloud-storage uses: multipart uploads (driven by
``transfer_manager.upload_chunks_concurrently``) and resumable sessions started with
``x-goog-resumable: start``, by token and through V2 and V4 signed URLs."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import re
from pathlib import Path
from typing import Any

import google_crc32c
import httpx
import pytest
from google.cloud import storage
from google.cloud.storage import transfer_manager
from google.oauth2 import service_account

from tests.integration.test_auth import Session
from tests.servers import NimbusServer

MIB = 1024 * 1024
PART = 5 * MIB  # the smallest part but the last, as on Cloud Storage
S3 = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def _data(size: int) -> bytes:
    return hashlib.shake_256(str(size).encode()).digest(size)


def _source(tmp_path: Path, size: int) -> tuple[Path, bytes]:
    data = _data(size)
    path = tmp_path / "source.bin"
    path.write_bytes(data)
    return path, data


def _crc32c(data: bytes) -> str:
    return base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()


def _xml_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    found = re.search(r"<Code>([^<]+)</Code>", response.text)
    assert found is not None and found.group(1) == code, response.text
    assert "<Details>" in response.text


def _blob_files(server: NimbusServer) -> int:
    return sum(1 for _ in (server.data_dir / "blobs" / "objects").glob("*/*/*"))


# -- multipart uploads through the client ----------------------------------------------------


@pytest.mark.parametrize("worker_type", [transfer_manager.THREAD, transfer_manager.PROCESS])
def test_upload_chunks_concurrently_assembles_the_object(
    bucket: storage.Bucket, tmp_path: Path, worker_type: str
) -> None:
    path, data = _source(tmp_path, 2 * PART + 12345)
    blob = bucket.blob("mpu/file one.bin")

    transfer_manager.upload_chunks_concurrently(
        str(path), blob, chunk_size=PART, worker_type=worker_type, deadline=60
    )

    stored = bucket.get_blob("mpu/file one.bin")
    assert stored is not None and stored.size == len(data)
    assert stored.crc32c == _crc32c(data)
    assert stored.md5_hash is None  # like a composite object's, as on Cloud Storage
    assert stored.download_as_bytes() == data


def test_upload_chunks_concurrently_keeps_the_metadata_given_at_initiation(
    bucket: storage.Bucket, tmp_path: Path
) -> None:
    path, data = _source(tmp_path, PART + 1)
    custom_time = dt.datetime(2026, 5, 4, 3, 2, 1, tzinfo=dt.UTC)
    blob = bucket.blob("mpu/with-metadata")
    blob.cache_control = "private"
    blob.content_disposition = "inline"
    blob.content_language = "en-US"
    blob.custom_time = custom_time
    blob.metadata = {"key_a": "value_a", "key_b": "value_b"}
    blob.storage_class = "NEARLINE"

    transfer_manager.upload_chunks_concurrently(
        str(path), blob, content_type="application/x-parts", chunk_size=PART, deadline=60
    )

    stored = bucket.get_blob("mpu/with-metadata")
    assert stored is not None
    assert stored.cache_control == "private"
    assert stored.content_disposition == "inline"
    assert stored.content_language == "en-US"
    assert stored.custom_time == custom_time
    assert stored.metadata == {"key_a": "value_a", "key_b": "value_b"}
    assert stored.storage_class == "NEARLINE"
    assert stored.content_type == "application/x-parts"
    assert stored.download_as_bytes() == data


def test_upload_chunks_concurrently_of_gzip_content_is_served_decompressed(
    bucket: storage.Bucket, tmp_path: Path
) -> None:
    data = _data(PART + 4096)
    path = tmp_path / "source.gz"
    # Level 0 keeps the gzip stream bigger than one part.
    path.write_bytes(gzip.compress(data, compresslevel=0))
    blob = bucket.blob("mpu/encoded")
    blob.content_encoding = "gzip"

    transfer_manager.upload_chunks_concurrently(str(path), blob, chunk_size=PART, deadline=60)

    stored = bucket.get_blob("mpu/encoded")
    assert stored is not None and stored.content_encoding == "gzip"
    assert stored.download_as_bytes() == data


# -- multipart uploads on the wire ------------------------------------------------------------


def _initiate(owner: Session, url: str, **headers: str) -> str:
    response = owner.post(f"{url}?uploads", headers=headers)
    assert response.status_code == 200, response.text
    root = _parse(response.text)
    assert root.tag == f"{S3}InitiateMultipartUploadResult"
    upload_id = root.findtext(f"{S3}UploadId")
    assert upload_id
    return upload_id


def _parse(text: str) -> Any:
    from xml.etree import ElementTree

    return ElementTree.fromstring(text)


def _put_part(owner: Session, url: str, upload_id: str, number: int, data: bytes) -> str:
    response = owner.put(url, params={"partNumber": number, "uploadId": upload_id}, data=data)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert f"crc32c={_crc32c(data)}" in response.headers["x-goog-hash"]
    return str(response.headers["ETag"])


def _completion(parts: list[tuple[int, str]]) -> bytes:
    body = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in parts)
    return f"<CompleteMultipartUpload>{body}</CompleteMultipartUpload>".encode()


def test_multipart_upload_parts_listing_and_completion(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    url = f"{server.url}/{bucket.name}/wire/assembled.bin"
    blobs_before = _blob_files(server)
    upload_id = _initiate(owner, url, **{"Content-Type": "text/x-wire", "x-goog-meta-by": "wire"})
    first, second, last = _data(PART), _data(PART + 1)[:PART], b"tail"
    etags = [
        _put_part(owner, url, upload_id, 1, b"replaced soon"),
        _put_part(owner, url, upload_id, 1, first),
        _put_part(owner, url, upload_id, 2, second),
        _put_part(owner, url, upload_id, 3, last),
        _put_part(owner, url, upload_id, 4, b"never named"),
    ]

    listed = owner.get(url, params={"uploadId": upload_id})
    assert listed.status_code == 200, listed.text
    parts = _parse(listed.text).findall(f"{S3}Part")
    assert [p.findtext(f"{S3}PartNumber") for p in parts] == ["1", "2", "3", "4"]
    assert [p.findtext(f"{S3}ETag") for p in parts] == etags[1:]
    assert parts[0].findtext(f"{S3}Size") == str(PART)
    uploads = owner.get(f"{server.url}/{bucket.name}", params={"uploads": ""})
    assert uploads.status_code == 200, uploads.text
    assert upload_id in uploads.text and "<Key>wire/assembled.bin</Key>" in uploads.text
    # Parts are not objects.
    assert not list(bucket.list_blobs())

    named = list(zip([1, 2, 3], etags[1:4], strict=True))
    done = owner.post(url, params={"uploadId": upload_id}, data=_completion(named))
    assert done.status_code == 200, done.text
    result = _parse(done.text)
    assert result.tag == f"{S3}CompleteMultipartUploadResult"
    assert result.findtext(f"{S3}Key") == "wire/assembled.bin"
    assert result.findtext(f"{S3}ETag") == done.headers["ETag"]
    stored = bucket.get_blob("wire/assembled.bin")
    assert stored is not None and stored.metadata == {"by": "wire"}
    assert stored.content_type == "text/x-wire"
    assert stored.download_as_bytes() == first + second + last
    # Every part's blob is gone, the unnamed one too; only the object's remains.
    assert _blob_files(server) == blobs_before + 1
    _xml_error(owner.get(url, params={"uploadId": upload_id}), 404, "NoSuchUpload")
    again = owner.post(url, params={"uploadId": upload_id}, data=_completion([(1, etags[1])]))
    _xml_error(again, 404, "NoSuchUpload")


def test_aborting_a_multipart_upload_deletes_its_parts(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    url = f"{server.url}/{bucket.name}/wire/aborted"
    blobs_before = _blob_files(server)
    upload_id = _initiate(owner, url)
    _put_part(owner, url, upload_id, 1, _data(1000))
    _put_part(owner, url, upload_id, 2, _data(2000))
    assert _blob_files(server) == blobs_before + 2

    aborted = owner.delete(url, params={"uploadId": upload_id})
    assert aborted.status_code == 204, aborted.text

    assert _blob_files(server) == blobs_before
    _xml_error(owner.delete(url, params={"uploadId": upload_id}), 404, "NoSuchUpload")
    gone = owner.put(url, params={"partNumber": 3, "uploadId": upload_id}, data=b"late")
    _xml_error(gone, 404, "NoSuchUpload")
    assert _blob_files(server) == blobs_before
    assert bucket.get_blob("wire/aborted") is None


def test_bad_multipart_requests_get_googles_errors_and_change_nothing(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    url = f"{server.url}/{bucket.name}/wire/bad"
    upload_id = _initiate(owner, url)
    small = _put_part(owner, url, upload_id, 1, b"small")
    tail = _put_part(owner, url, upload_id, 2, b"tail")

    for number in ("0", "10001", "one"):
        response = owner.put(url, params={"partNumber": number, "uploadId": upload_id}, data=b"x")
        _xml_error(response, 400, "InvalidArgument")
    wrong_hash = owner.put(
        url,
        params={"partNumber": 3, "uploadId": upload_id},
        data=b"payload",
        headers={"x-goog-hash": f"crc32c={_crc32c(b'other')}"},
    )
    _xml_error(wrong_hash, 400, "BadDigest")
    other_object = owner.put(
        f"{url}-other", params={"partNumber": 3, "uploadId": upload_id}, data=b"x"
    )
    _xml_error(other_object, 404, "NoSuchUpload")

    def complete(body: bytes) -> Any:
        return owner.post(url, params={"uploadId": upload_id}, data=body)

    _xml_error(complete(_completion([(1, '"0000"'), (2, tail)])), 400, "InvalidPart")
    _xml_error(complete(_completion([(1, small), (5, tail)])), 400, "InvalidPart")
    _xml_error(complete(_completion([(2, tail), (1, small)])), 400, "InvalidPartOrder")
    _xml_error(complete(_completion([(1, small), (2, tail)])), 400, "EntityTooSmall")
    _xml_error(complete(b"<CompleteMultipartUpload><Part>"), 400, "MalformedXML")
    _xml_error(complete(b"<Other/>"), 400, "MalformedXML")
    _xml_error(owner.post(url), 400, "InvalidArgument")

    assert bucket.get_blob("wire/bad") is None
    listed = _parse(owner.get(url, params={"uploadId": upload_id}).text)
    assert len(listed.findall(f"{S3}Part")) == 2
    # A single part may be any size: the upload is still whole and completes.
    done = complete(_completion([(2, tail)]))
    assert done.status_code == 200, done.text
    assert bucket.blob("wire/bad").download_as_bytes() == b"tail"


def test_parts_are_listed_a_page_at_a_time(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    url = f"{server.url}/{bucket.name}/wire/paged"
    upload_id = _initiate(owner, url)
    for number in (1, 2, 3):
        _put_part(owner, url, upload_id, number, _data(number))

    def page(**params: str) -> Any:
        response = owner.get(url, params={"uploadId": upload_id, **params})
        assert response.status_code == 200, response.text
        return _parse(response.text)

    first = page(**{"max-parts": "2"})
    assert [p.findtext(f"{S3}PartNumber") for p in first.findall(f"{S3}Part")] == ["1", "2"]
    assert first.findtext(f"{S3}IsTruncated") == "true"
    assert first.findtext(f"{S3}MaxParts") == "2"
    marker = first.findtext(f"{S3}NextPartNumberMarker")
    assert marker == "2"
    rest = page(**{"max-parts": "2", "part-number-marker": marker})
    assert [p.findtext(f"{S3}PartNumber") for p in rest.findall(f"{S3}Part")] == ["3"]
    assert rest.findtext(f"{S3}IsTruncated") == "false"
    assert page(**{"max-parts": "5000"}).findtext(f"{S3}MaxParts") == "1000"
    for bad in ({"max-parts": "two"}, {"max-parts": "0"}, {"part-number-marker": "-1"}):
        response = owner.get(url, params={"uploadId": upload_id, **bad})
        _xml_error(response, 400, "InvalidArgument")


def test_uploads_are_listed_by_name_with_prefixes_and_pages(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    base = f"{server.url}/{bucket.name}"
    names = ["dir/one", "dir/two", "logs%/x", "top", "top", "zed"]
    ids = [_initiate(owner, f"{base}/{name}") for name in names]
    top = sorted(ids[3:5])

    def listing(**params: str) -> Any:
        response = owner.get(base, params={"uploads": "", **params})
        assert response.status_code == 200, response.text
        return _parse(response.text)

    def keys(root: Any) -> list[str]:
        return [u.findtext(f"{S3}Key") for u in root.findall(f"{S3}Upload")]

    def prefixes(root: Any) -> list[str]:
        return [p.findtext(f"{S3}Prefix") for p in root.findall(f"{S3}CommonPrefixes")]

    everything = listing()
    assert keys(everything) == ["dir/one", "dir/two", "logs%/x", "top", "top", "zed"]
    assert [u.findtext(f"{S3}UploadId") for u in everything.findall(f"{S3}Upload")][3:5] == top
    grouped = listing(delimiter="/")
    assert keys(grouped) == ["top", "top", "zed"]
    assert prefixes(grouped) == ["dir/", "logs%/"]
    # A prefix is matched as it is: "%" is no wildcard.
    assert keys(listing(prefix="logs%")) == ["logs%/x"]
    assert keys(listing(prefix="l%")) == []

    # One entry a page, walked to the end with the markers each page names.
    walked: list[str] = []
    markers: dict[str, str] = {}
    while True:
        root = listing(delimiter="/", **{"max-uploads": "1"}, **markers)
        walked += keys(root) + prefixes(root)
        if root.findtext(f"{S3}IsTruncated") != "true":
            break
        markers = {
            "key-marker": root.findtext(f"{S3}NextKeyMarker"),
            "upload-id-marker": root.findtext(f"{S3}NextUploadIdMarker") or "",
        }
    assert walked == ["dir/", "logs%/", "top", "top", "zed"]
    after_first_top = listing(**{"key-marker": "top", "upload-id-marker": top[0]})
    assert keys(after_first_top) == ["top", "zed"]
    assert keys(listing(**{"key-marker": "top"})) == ["zed"]
    encoded = listing(**{"encoding-type": "url"})
    assert "logs%25/x" in keys(encoded)
    response = owner.get(base, params={"uploads": "", "max-uploads": "none"})
    _xml_error(response, 400, "InvalidArgument")


def test_multipart_uploads_need_permission(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    url = f"{server.url}/{bucket.name}/wire/private"
    upload_id = _initiate(owner, url)
    _xml_error(httpx.post(f"{url}?uploads"), 403, "AccessDenied")
    anonymous_part = httpx.put(url, params={"partNumber": 1, "uploadId": upload_id}, content=b"x")
    _xml_error(anonymous_part, 403, "AccessDenied")
    _xml_error(httpx.delete(url, params={"uploadId": upload_id}), 403, "AccessDenied")
    _xml_error(httpx.get(url, params={"uploadId": upload_id}), 403, "AccessDenied")
    listed = _parse(owner.get(url, params={"uploadId": upload_id}).text)
    assert listed.findall(f"{S3}Part") == []


# -- resumable sessions through the XML API ---------------------------------------------------


@pytest.mark.parametrize("version", ["v2", "v4"])
def test_signed_resumable_url_starts_a_session(
    server: NimbusServer,
    bucket: storage.Bucket,
    owner_credentials: service_account.Credentials,
    version: str,
) -> None:
    blob = bucket.blob("signed/cruddy.txt")
    signed = blob.generate_signed_url(
        version=version,
        method="RESUMABLE",
        expiration=dt.timedelta(minutes=15),
        api_access_endpoint=server.url,
        credentials=owner_credentials,
    )

    started = httpx.post(signed, headers={"x-goog-resumable": "start"})
    assert started.status_code == 201, started.text
    location = started.headers["Location"]
    assert location.startswith(f"{server.url}/{bucket.name}/signed/cruddy.txt?upload_id=")
    finished = httpx.put(location, content=b"DEADBEEF")
    assert finished.status_code == 200, finished.text
    assert finished.headers["ETag"] == f'"{hashlib.md5(b"DEADBEEF").hexdigest()}"'
    assert blob.download_as_bytes() == b"DEADBEEF"

    unsigned_start = httpx.post(signed)  # the signature covers x-goog-resumable
    assert unsigned_start.status_code == 403, unsigned_start.text


def test_resumable_session_by_token_in_chunks(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    url = f"{server.url}/{bucket.name}/chunked/data.bin"
    started = owner.post(
        url,
        headers={
            "x-goog-resumable": "start",
            "Content-Type": "application/x-chunks",
            "x-goog-meta-origin": "xml",
        },
    )
    assert started.status_code == 201, started.text
    location = started.headers["Location"]
    data = _data(3 * 256 * 1024 + 10)
    first = httpx.put(
        location,
        content=data[: 256 * 1024],
        headers={"Content-Range": f"bytes 0-{256 * 1024 - 1}/*"},
    )
    assert first.status_code == 308 and first.headers["Range"] == f"bytes=0-{256 * 1024 - 1}"
    status = httpx.put(location, headers={"Content-Range": "bytes */*"})
    assert status.status_code == 308 and status.headers["Range"] == f"bytes=0-{256 * 1024 - 1}"
    rest = httpx.put(
        location,
        content=data[256 * 1024 :],
        headers={"Content-Range": f"bytes {256 * 1024}-{len(data) - 1}/{len(data)}"},
    )
    assert rest.status_code == 200, rest.text
    stored = bucket.get_blob("chunked/data.bin")
    assert stored is not None and stored.metadata == {"origin": "xml"}
    assert stored.content_type == "application/x-chunks"
    assert rest.headers["x-goog-generation"] == str(stored.generation)
    assert stored.download_as_bytes() == data


def test_cancelled_xml_session_takes_no_more_bytes(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    url = f"{server.url}/{bucket.name}/chunked/cancelled"
    location = owner.post(url, headers={"x-goog-resumable": "start"}).headers["Location"]
    assert httpx.delete(location).status_code == 499
    late = httpx.put(location, content=b"late")
    assert late.status_code == 410, late.text
    assert bucket.get_blob("chunked/cancelled") is None
    _xml_error(httpx.post(url, headers={"x-goog-resumable": "start"}), 403, "AccessDenied")


def test_create_resumable_upload_session_then_put(bucket: storage.Bucket) -> None:
    blob = bucket.blob("session/from-client.txt")
    session_url = blob.create_resumable_upload_session(content_type="text/plain", size=5)
    response = httpx.put(session_url, content=b"hello")
    assert response.status_code == 200, response.text
    assert blob.download_as_bytes() == b"hello"


def test_a_canned_acl_header_sets_the_new_objects_acl(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    url = f"{server.url}/{bucket.name}/wire/canned"
    put = owner.put(url, data=b"shared", headers={"x-goog-acl": "public-read"})
    assert put.status_code == 200, put.text
    assert httpx.get(url).content == b"shared"  # anyone may read it now
    blob = bucket.blob("wire/canned")
    blob.acl.reload()
    assert "READER" in blob.acl.all().get_roles()

    _xml_error(owner.put(url, data=b"x", headers={"x-goog-acl": "open"}), 400, "InvalidArgument")
    upload = owner.post(f"{url}-multipart?uploads", headers={"x-goog-acl": "open"})
    _xml_error(upload, 400, "InvalidArgument")
    assert bucket.blob("wire/canned").download_as_bytes() == b"shared"
