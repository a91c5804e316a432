"""Customer-supplied encryption keys through the official google-cloud-storage client
(and raw HTTP where it has no method): bytes encrypted at rest, Google's errors for a
missing, wrong or malformed key, rewrites that add, rotate or drop a key, compose,
signed URLs and XML multipart uploads."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any

import google_crc32c
import httpx
import pytest
from google.api_core import exceptions
from google.cloud import storage
from google.cloud.storage import transfer_manager

from tests.integration.test_auth import Session
from tests.integration.test_storage_signed_urls import Signer, _signer
from tests.servers import NimbusServer

BIG = 3 * 1024 * 1024 + 17  # past the inline limit and the client's one-shot upload
PART = 5 * 1024 * 1024


def _md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def _crc32c(data: bytes) -> str:
    return base64.b64encode(google_crc32c.Checksum(data).digest()).decode()


def _sha(key: bytes) -> str:
    return base64.b64encode(hashlib.sha256(key).digest()).decode()


def _headers(key: bytes, *, sha: str | None = None) -> dict[str, str]:
    return {
        "x-goog-encryption-algorithm": "AES256",
        "x-goog-encryption-key": base64.b64encode(key).decode(),
        "x-goog-encryption-key-sha256": sha if sha is not None else _sha(key),
    }


def _encryption(blob: storage.Blob) -> Any:
    """The resource's ``customerEncryption`` (the client has no property for it)."""
    return blob._properties.get("customerEncryption")


def _reason(error: exceptions.GoogleAPICallError) -> str:
    """The error's reason; media downloads keep only the body's text."""
    if error.errors:
        return str(error.errors[0]["reason"])
    return str(error)


@pytest.fixture
def key() -> bytes:
    return os.urandom(32)


@pytest.mark.parametrize("size", [32, BIG])
def test_an_encrypted_object_round_trips_with_its_key(
    bucket: storage.Bucket, key: bytes, size: int
) -> None:
    data = os.urandom(size)
    blob = bucket.blob("secret", encryption_key=key)
    blob.upload_from_string(data)

    assert _encryption(blob) == {"encryptionAlgorithm": "AES256", "keySha256": _sha(key)}
    # Checksums are the plaintext's, as on Cloud Storage.
    assert (blob.md5_hash, blob.crc32c) == (_md5(data), _crc32c(data))
    reader = bucket.blob("secret", encryption_key=key)
    assert reader.download_as_bytes() == data
    assert reader.download_as_bytes(start=size - 20, end=size - 3) == data[-20:-2]
    keyed = bucket.get_blob("secret", encryption_key=key)
    assert keyed is not None and keyed.md5_hash == _md5(data)


def test_reading_the_bytes_needs_the_right_key(bucket: storage.Bucket, key: bytes) -> None:
    bucket.blob("locked", encryption_key=key).upload_from_string(b"top secret")

    with pytest.raises(exceptions.BadRequest) as missing:
        bucket.blob("locked").download_as_bytes()
    with pytest.raises(exceptions.BadRequest) as wrong:
        bucket.blob("locked", encryption_key=os.urandom(32)).download_as_bytes()
    with pytest.raises(exceptions.BadRequest) as metadata:
        bucket.get_blob("locked", encryption_key=os.urandom(32))
    plain = bucket.blob("plain")
    plain.upload_from_string(b"open")
    with pytest.raises(exceptions.BadRequest) as unexpected:
        bucket.blob("plain", encryption_key=key).download_as_bytes()

    assert "encrypted by a customer-supplied encryption key" in missing.value.message
    assert "resourceIsEncryptedWithCustomerEncryptionKey" in _reason(missing.value)
    assert "customerEncryptionKeyIsIncorrect" in _reason(wrong.value)
    assert "customerEncryptionKeyIsIncorrect" in _reason(metadata.value)
    assert "resourceNotEncryptedWithCustomerEncryptionKey" in _reason(unexpected.value)


def test_metadata_without_the_key_hides_the_checksums(bucket: storage.Bucket, key: bytes) -> None:
    bucket.blob("hidden", encryption_key=key).upload_from_string(b"payload")

    keyless = bucket.get_blob("hidden")
    listed = next(iter(bucket.list_blobs(prefix="hidden")))

    for seen in (keyless, listed):
        assert seen is not None and seen.size == 7
        assert seen.md5_hash is None and seen.crc32c is None
        assert _encryption(seen) == {
            "encryptionAlgorithm": "AES256",
            "keySha256": _sha(key),
        }


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"x-goog-encryption-algorithm": "AES128"}, "customerEncryptionAlgorithmIsInvalid"),
        ({"x-goog-encryption-key": "c2hvcnQ="}, "customerEncryptionKeyFormatIsInvalid"),
        ({"x-goog-encryption-key-sha256": _sha(b"other")}, "customerEncryptionKeySha256IsInvalid"),
        ({"x-goog-encryption-key-sha256": "not base64!"}, "customerEncryptionKeySha256IsInvalid"),
    ],
)
def test_a_malformed_key_is_refused_and_writes_nothing(
    server: NimbusServer,
    owner: Session,
    bucket: storage.Bucket,
    key: bytes,
    headers: dict[str, str],
    reason: str,
) -> None:
    url = f"{server.url}/upload/storage/v1/b/{bucket.name}/o?uploadType=media&name=malformed"
    sent = _headers(key) | headers

    answer = owner.post(url, data=b"bytes", headers=sent)

    assert answer.status_code == 400
    assert answer.json()["error"]["errors"][0]["reason"] == reason
    assert bucket.get_blob("malformed") is None


def test_a_resumable_upload_carries_the_key_on_every_chunk(
    bucket: storage.Bucket, key: bytes, tmp_path: Path
) -> None:
    data = os.urandom(BIG)
    blob = bucket.blob("chunked", encryption_key=key, chunk_size=1024 * 1024)
    blob.upload_from_string(data)

    assert blob.md5_hash == _md5(data)
    assert bucket.blob("chunked", encryption_key=key).download_as_bytes() == data
    target = tmp_path / "out"
    with pytest.raises(exceptions.BadRequest):
        bucket.blob("chunked").download_to_filename(str(target))


def test_a_chunk_without_the_sessions_key_is_refused(
    server: NimbusServer, owner: Session, bucket: storage.Bucket, key: bytes
) -> None:
    start = owner.post(
        f"{server.url}/upload/storage/v1/b/{bucket.name}/o?uploadType=resumable&name=sess",
        json={},
        headers=_headers(key),
    )
    session = start.headers["Location"]

    whole = {"Content-Range": "bytes 0-2/3"}
    refused = owner.put(session, data=b"abc", headers=whole)
    done = owner.put(session, data=b"abc", headers=whole | _headers(key))

    assert refused.status_code == 400
    assert refused.json()["error"]["errors"][0]["reason"] == (
        "resourceIsEncryptedWithCustomerEncryptionKey"
    )
    assert done.status_code == 200 and done.json()["md5Hash"] == _md5(b"abc")
    assert bucket.blob("sess", encryption_key=key).download_as_bytes() == b"abc"


def test_the_bytes_at_rest_are_not_the_plaintext(
    server: NimbusServer, bucket: storage.Bucket, key: bytes
) -> None:
    marker = b"plaintext-marker-" + os.urandom(8).hex().encode()
    small, big = marker * 4, marker * (BIG // len(marker))
    bucket.blob("at-rest-small", encryption_key=key).upload_from_string(small)
    bucket.blob("at-rest-big", encryption_key=key).upload_from_string(big)

    # Everything under the data directory: blobs, and the embedded database's rows.
    for path in server.data_dir.rglob("*"):
        if path.is_file():
            assert marker not in path.read_bytes(), path
    assert bucket.blob("at-rest-big", encryption_key=key).download_as_bytes() == big


def test_rewrite_adds_rotates_and_drops_a_key(bucket: storage.Bucket, key: bytes) -> None:
    data = os.urandom(BIG)
    plain = bucket.blob("plain-source")
    plain.upload_from_string(data)

    added = bucket.blob("added", encryption_key=key)
    token, rewritten, total = added.rewrite(plain)
    assert (token, rewritten, total) == (None, BIG, BIG)
    assert _encryption(added)["keySha256"] == _sha(key)

    new_key = os.urandom(32)
    rotated = bucket.blob("added", encryption_key=new_key)
    rotated.rewrite(bucket.blob("added", encryption_key=key))
    assert _encryption(rotated)["keySha256"] == _sha(new_key)
    assert rotated.md5_hash == _md5(data)

    dropped = bucket.blob("dropped")
    dropped.rewrite(bucket.blob("added", encryption_key=new_key))
    assert _encryption(dropped) is None
    assert dropped.download_as_bytes() == data
    assert bucket.blob("added", encryption_key=new_key).download_as_bytes() == data
    with pytest.raises(exceptions.BadRequest) as wrong:
        bucket.blob("other").rewrite(bucket.blob("added", encryption_key=key))
    assert "customerEncryptionKeyIsIncorrect" in _reason(wrong.value)


def test_a_rewrite_under_the_same_key_keeps_it(bucket: storage.Bucket, key: bytes) -> None:
    source = bucket.blob("copy-source", encryption_key=key)
    source.upload_from_string(b"shared key")

    copied = bucket.blob("copy-dest", encryption_key=key)
    copied.rewrite(source)
    assert _encryption(copied)["keySha256"] == _sha(key)
    assert bucket.blob("copy-dest", encryption_key=key).download_as_bytes() == b"shared key"


def test_compose_needs_every_source_under_the_requests_key(
    server: NimbusServer, owner: Session, bucket: storage.Bucket, key: bytes
) -> None:
    # The client sends no key on compose: raw HTTP, as Google's reference describes it.
    bucket.blob("part-1", encryption_key=key).upload_from_string(b"first,")
    bucket.blob("part-2", encryption_key=key).upload_from_string(b"second")
    bucket.blob("part-other", encryption_key=os.urandom(32)).upload_from_string(b"other")
    url = f"{server.url}/storage/v1/b/{bucket.name}/o/{{}}/compose"

    def compose(name: str, sources: list[str], headers: dict[str, str]) -> Any:
        body = {"sourceObjects": [{"name": source} for source in sources]}
        return owner.post(url.format(name), json=body, headers=headers)

    made = compose("composite", ["part-1", "part-2"], _headers(key))
    mixed = compose("mixed", ["part-1", "part-other"], _headers(key))
    keyless = compose("keyless", ["part-1", "part-2"], {})

    assert made.status_code == 200, made.text
    assert made.json()["customerEncryption"]["keySha256"] == _sha(key)
    assert made.json()["crc32c"] == _crc32c(b"first,second")
    assert bucket.blob("composite", encryption_key=key).download_as_bytes() == b"first,second"
    assert mixed.status_code == 400
    assert mixed.json()["error"]["errors"][0]["reason"] == "customerEncryptionKeyIsIncorrect"
    assert keyless.status_code == 400
    assert bucket.get_blob("mixed") is None and bucket.get_blob("keyless") is None


@pytest.mark.parametrize("version", ["v2", "v4"])
def test_a_signed_url_reads_with_the_key_in_headers(
    server: NimbusServer,
    owner: Session,
    project: str,
    bucket: storage.Bucket,
    key: bytes,
    version: str,
) -> None:
    signer: Signer = _signer(server, owner, project)
    policy = bucket.get_iam_policy(requested_policy_version=3)
    policy.bindings.append(
        {"role": "roles/storage.objectViewer", "members": {f"serviceAccount:{signer.email}"}}
    )
    bucket.set_iam_policy(policy)
    blob = bucket.blob("signed", encryption_key=key)
    blob.upload_from_string(b"Test signed URL for blob w/ CSEK")
    kwargs: dict[str, Any] = {"api_access_endpoint": server.url}
    url = blob.generate_signed_url(
        version=version,
        expiration=dt.timedelta(minutes=15),
        credentials=signer.credentials,
        **kwargs,
    )

    keyed = httpx.get(url, headers=_headers(key))
    keyless = httpx.get(url)

    assert keyed.status_code == 200 and keyed.content == b"Test signed URL for blob w/ CSEK"
    assert keyed.headers["x-goog-encryption-key-sha256"] == _sha(key)
    # The client signs the key's headers along: without them the signature fails first.
    assert keyless.status_code == 403


def test_xml_put_and_head_take_the_key(
    server: NimbusServer, owner: Session, bucket: storage.Bucket, key: bytes
) -> None:
    url = f"{server.url}/{bucket.name}/xml-put"
    put = owner.put(url, data=b"via xml", headers=_headers(key))
    head = owner.head(url, headers=_headers(key))
    keyless = owner.head(url)
    wrong = owner.get(url, headers=_headers(os.urandom(32)))

    assert "<Code>CustomerEncryptionKeyIsIncorrect</Code>" in wrong.text
    assert wrong.status_code == 400
    assert put.status_code == 200
    assert head.status_code == 200 and head.headers["x-goog-stored-content-length"] == "7"
    assert keyless.status_code == 400
    assert bucket.blob("xml-put", encryption_key=key).download_as_bytes() == b"via xml"


def test_upload_chunks_concurrently_with_a_key(
    bucket: storage.Bucket, key: bytes, tmp_path: Path
) -> None:
    data = os.urandom(PART + 4321)
    path = tmp_path / "source"
    path.write_bytes(data)
    blob = bucket.blob("mpu-encrypted", encryption_key=key)

    transfer_manager.upload_chunks_concurrently(str(path), blob, chunk_size=PART, deadline=60)

    stored = bucket.get_blob("mpu-encrypted", encryption_key=key)
    assert stored is not None and _encryption(stored)["keySha256"] == _sha(key)
    assert stored.crc32c == _crc32c(data)
    assert stored.download_as_bytes() == data
    with pytest.raises(exceptions.BadRequest):
        bucket.get_blob("mpu-encrypted").download_to_filename(str(tmp_path / "out"))  # type: ignore[union-attr]
