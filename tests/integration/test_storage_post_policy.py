"""V4 POST policy form uploads, made by ``Client.generate_signed_post_policy_v4`` and
posted as google-cloud-storage's system tests post them (test__signing.py)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
from typing import Any

import httpx
import pytest
from google.cloud import storage

from tests.integration.test_auth import Session
from tests.integration.test_storage_signed_urls import Signer, _grant, _signer
from tests.servers import NimbusServer

PAYLOAD = b"DEADBEEF"
NAME = "post_policy_obj.txt"


@pytest.fixture
def signer(server: NimbusServer, owner: Session, project: str, bucket: storage.Bucket) -> Signer:
    """A service account with a key, holding storage.objectAdmin on the bucket only."""
    made = _signer(server, owner, project)
    _grant(bucket, f"serviceAccount:{made.email}", "roles/storage.objectAdmin")
    return made


def _policy(
    client: storage.Client,
    bucket: storage.Bucket,
    signer: Signer,
    *,
    conditions: list[Any] | None = None,
    fields: dict[str, str] | None = None,
    expiration: dt.timedelta = dt.timedelta(hours=1),
) -> dict[str, Any]:
    policy: dict[str, Any] = client.generate_signed_post_policy_v4(
        bucket.name,
        NAME,
        conditions=[{"bucket": bucket.name}, ["starts-with", "$Content-Type", "text/pla"]]
        + (conditions or []),
        expiration=dt.datetime.now(dt.UTC).replace(tzinfo=None) + expiration,
        fields={"content-type": "text/plain", **(fields or {})},
        credentials=signer.credentials,
    )
    return policy


def _post(policy: dict[str, Any], **changed: str) -> httpx.Response:
    files = {"file": (NAME, PAYLOAD)}
    return httpx.post(policy["url"], data=policy["fields"] | changed, files=files)


def _refused(response: httpx.Response, status: int, code: str, bucket: storage.Bucket) -> None:
    assert response.status_code == status, response.text
    assert re.search(f"<Code>{code}</Code>", response.text), response.text
    assert list(bucket.list_blobs()) == []


def test_a_signed_form_uploads_the_file(
    storage_client: storage.Client, bucket: storage.Bucket, signer: Signer
) -> None:
    policy = _policy(storage_client, bucket, signer)
    assert policy["url"] == f"{storage_client.api_endpoint}/{bucket.name}/"

    response = _post(policy)

    assert response.status_code == 204, response.text
    blob = bucket.get_blob(NAME)
    assert blob is not None and blob.download_as_bytes() == PAYLOAD
    assert blob.content_type == "text/plain"
    assert response.headers["x-goog-generation"] == str(blob.generation)


def test_a_field_google_does_not_know_is_a_400(
    storage_client: storage.Client, bucket: storage.Bucket, signer: Signer
) -> None:
    policy = _policy(storage_client, bucket, signer, fields={"x-goog-random": "invalid_field"})
    _refused(_post(policy), 400, "InvalidArgument", bucket)


def test_forms_the_policy_does_not_allow_are_refused(
    storage_client: storage.Client, bucket: storage.Bucket, signer: Signer
) -> None:
    policy = _policy(storage_client, bucket, signer)
    _refused(_post(policy, **{"content-type": "image/png"}), 403, "AccessDenied", bucket)
    _refused(_post(policy, key="other.txt"), 403, "AccessDenied", bucket)
    _refused(_post(policy, **{"x-goog-meta-extra": "unsigned"}), 403, "AccessDenied", bucket)
    tampered = policy["fields"]["x-goog-signature"].translate(str.maketrans("0123", "1230"))
    _refused(_post(policy, **{"x-goog-signature": tampered}), 403, "SignatureDoesNotMatch", bucket)

    small = _policy(storage_client, bucket, signer, conditions=[["content-length-range", 0, 4]])
    _refused(_post(small), 403, "AccessDenied", bucket)
    expired = _policy(storage_client, bucket, signer, expiration=-dt.timedelta(minutes=1))
    _refused(_post(expired), 403, "AccessDenied", bucket)


def test_the_signer_needs_permission_on_the_bucket(
    server: NimbusServer,
    owner: Session,
    project: str,
    storage_client: storage.Client,
    bucket: storage.Bucket,
) -> None:
    outsider = _signer(server, owner, project)
    _refused(_post(_policy(storage_client, bucket, outsider)), 403, "AccessDenied", bucket)


def test_metadata_status_and_redirect(
    storage_client: storage.Client, bucket: storage.Bucket, signer: Signer
) -> None:
    meta = {"x-goog-meta-color": "blue", "success_action_status": "201"}
    created = _post(_policy(storage_client, bucket, signer, fields=meta))
    assert created.status_code == 201, created.text
    assert f"<Bucket>{bucket.name}</Bucket><Key>{NAME}</Key>" in created.text
    blob = bucket.get_blob(NAME)
    assert blob is not None and blob.metadata == {"color": "blue"}

    back = {"success_action_redirect": "https://example.test/done"}
    redirected = _post(_policy(storage_client, bucket, signer, fields=back))
    assert redirected.status_code == 303, redirected.text
    location = redirected.headers["Location"]
    assert location.startswith(f"https://example.test/done?bucket={bucket.name}&key={NAME}")


def _hmac_form(
    bucket: storage.Bucket, access_id: str, secret: str, key: str, **fields: str
) -> dict[str, str]:
    """A V4 POST policy signed with an HMAC key, as S3-era tools make them (the Python
    client signs forms with service-account keys only)."""
    now = dt.datetime.now(dt.UTC)
    date = now.strftime("%Y%m%d")
    signed = {
        "key": key,
        "x-goog-algorithm": "GOOG4-HMAC-SHA256",
        "x-goog-credential": f"{access_id}/{date}/auto/storage/goog4_request",
        "x-goog-date": now.strftime("%Y%m%dT%H%M%SZ"),
        **fields,
    }
    document = {
        "expiration": (now + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "conditions": [{"bucket": bucket.name}, *({k: v} for k, v in signed.items())],
    }
    policy = base64.b64encode(json.dumps(document).encode()).decode()
    signing_key = ("GOOG4" + secret).encode()
    for part in (date, "auto", "storage", "goog4_request"):
        signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(signing_key, policy.encode(), hashlib.sha256).hexdigest()
    return signed | {"policy": policy, "x-goog-signature": signature}


def test_a_form_signed_with_an_hmac_key_uploads_under_the_files_own_name(
    server: NimbusServer, storage_client: storage.Client, bucket: storage.Bucket, signer: Signer
) -> None:
    metadata, secret = storage_client.create_hmac_key(service_account_email=signer.email)
    form = _hmac_form(bucket, metadata.access_id, secret, "uploads/${filename}")
    url = f"{server.url}/{bucket.name}"

    response = httpx.post(url, data=form, files={"file": ("photo.png", PAYLOAD)})

    assert response.status_code == 204, response.text
    blob = bucket.get_blob("uploads/photo.png")
    assert blob is not None and blob.download_as_bytes() == PAYLOAD
    tampered = form | {"x-goog-signature": "00" * 32}
    refused = httpx.post(url, data=tampered, files={"file": ("other.png", PAYLOAD)})
    assert refused.status_code == 403 and "SignatureDoesNotMatch" in refused.text
    unknown = _hmac_form(bucket, "GOOG1ENOSUCHKEY", secret, "x")
    refused = httpx.post(url, data=unknown, files={"file": ("other.png", PAYLOAD)})
    assert refused.status_code == 403 and "SignatureDoesNotMatch" in refused.text
    assert [b.name for b in bucket.list_blobs()] == ["uploads/photo.png"]


def test_a_forms_canned_acl_is_the_objects(
    storage_client: storage.Client, bucket: storage.Bucket, signer: Signer
) -> None:
    public = _post(_policy(storage_client, bucket, signer, fields={"acl": "public-read"}))
    assert public.status_code == 204, public.text
    blob = bucket.blob(NAME)
    blob.acl.reload()
    assert "READER" in blob.acl.all().get_roles()

    generation = bucket.get_blob(NAME).generation
    wrong = _post(_policy(storage_client, bucket, signer, fields={"acl": "everyone-writes"}))
    assert wrong.status_code == 400 and "InvalidArgument" in wrong.text, wrong.text
    assert bucket.get_blob(NAME).generation == generation
