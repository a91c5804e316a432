"""Public access prevention and IAM conditions on buckets, through google-cloud-storage:
what google-cloud-storage's system tests hold Cloud Storage to (test_bucket.py)."""

from __future__ import annotations

import httpx
import pytest
from google.api_core import exceptions
from google.cloud import storage
from google.cloud.storage import constants
from google.oauth2 import service_account

from tests.conftest import unique_id
from tests.servers import NimbusServer

PREVENTED = "allUsers and allAuthenticatedUsers are not allowed since public access prevention"
OBJECT_VIEWER = "roles/storage.objectViewer"


def _enforce(
    bucket: storage.Bucket, value: str = constants.PUBLIC_ACCESS_PREVENTION_ENFORCED
) -> None:
    bucket.iam_configuration.public_access_prevention = value
    bucket.patch()


def _anonymous_reads(server: NimbusServer, bucket: storage.Bucket, name: str) -> list[int]:
    """The JSON media link's and the XML public link's statuses, without credentials."""
    json_link = f"{server.url}/storage/v1/b/{bucket.name}/o/{name}?alt=media"
    return [
        httpx.get(json_link).status_code,
        httpx.get(f"{server.url}/{bucket.name}/{name}").status_code,
    ]


def test_enforced_prevention_refuses_every_public_grant(storage_client: storage.Client) -> None:
    bucket = storage_client.bucket(unique_id("pap"))
    bucket.iam_configuration.uniform_bucket_level_access_enabled = True
    bucket.create()
    assert bucket.iam_configuration.public_access_prevention == "inherited"
    _enforce(bucket)
    bucket.iam_configuration.uniform_bucket_level_access_enabled = False
    bucket.patch()
    assert bucket.iam_configuration.public_access_prevention == "enforced"
    with pytest.raises(exceptions.BadRequest):
        _enforce(bucket, "unexpected value")
    bucket.reload()

    with pytest.raises(exceptions.PreconditionFailed, match=PREVENTED):
        bucket.make_public()
    with pytest.raises(exceptions.PreconditionFailed, match=PREVENTED):
        bucket.default_object_acl.reload()
        bucket.default_object_acl.all_authenticated().grant_read()
        bucket.default_object_acl.save()
    blob = bucket.blob("my-blob.txt")
    blob.upload_from_string(b"DEADBEEF")
    with pytest.raises(exceptions.PreconditionFailed, match=PREVENTED):
        blob.make_public()
    with pytest.raises(exceptions.PreconditionFailed, match=PREVENTED):
        bucket.blob("public").upload_from_string(b"x", predefined_acl="publicRead")
    policy = bucket.get_iam_policy()
    policy[OBJECT_VIEWER] = {"allUsers"}
    with pytest.raises(exceptions.PreconditionFailed, match=PREVENTED):
        bucket.set_iam_policy(policy)

    # Nothing changed.
    assert bucket.get_blob("public") is None
    bucket.acl.reload()
    bucket.default_object_acl.reload()
    entities = {entry["entity"] for entry in [*bucket.acl, *bucket.default_object_acl]}
    assert not entities & {"allUsers", "allAuthenticatedUsers"}
    blob.acl.reload()
    assert "allUsers" not in {entry["entity"] for entry in blob.acl}
    assert "allUsers" not in bucket.get_iam_policy().get(OBJECT_VIEWER, set())


def test_enforced_prevention_stops_grants_made_before(
    server: NimbusServer, storage_client: storage.Client
) -> None:
    shared = storage_client.create_bucket(unique_id("shared"))
    by_acl = shared.blob("by-acl")
    by_acl.upload_from_string(b"acl")
    by_acl.make_public()
    uniform = storage_client.bucket(unique_id("uniform"))
    uniform.iam_configuration.uniform_bucket_level_access_enabled = True
    uniform.create()
    uniform.blob("by-iam").upload_from_string(b"iam")
    policy = uniform.get_iam_policy()
    policy[OBJECT_VIEWER] = {"allUsers"}
    uniform.set_iam_policy(policy)
    assert _anonymous_reads(server, shared, "by-acl") == [200, 200]
    assert _anonymous_reads(server, uniform, "by-iam") == [200, 200]

    _enforce(shared)
    _enforce(uniform)
    assert 200 not in _anonymous_reads(server, shared, "by-acl")
    assert 200 not in _anonymous_reads(server, uniform, "by-iam")
    assert uniform.blob("by-iam").download_as_bytes() == b"iam"  # the owner still reads

    _enforce(shared, constants.PUBLIC_ACCESS_PREVENTION_INHERITED)
    assert _anonymous_reads(server, shared, "by-acl") == [200, 200]


def test_conditions_need_uniform_access_and_version_3(
    storage_client: storage.Client, owner_credentials: service_account.Credentials
) -> None:
    bucket = storage_client.create_bucket(unique_id("iam-policy"))
    policy = bucket.get_iam_policy(requested_policy_version=3)
    conditional = {
        "role": OBJECT_VIEWER,
        "members": {f"serviceAccount:{owner_credentials.service_account_email}"},
        "condition": {"title": "always-true", "description": "always", "expression": "true"},
    }
    policy.bindings.append(conditional)
    with pytest.raises(exceptions.PreconditionFailed, match="enable uniform bucket-level access"):
        bucket.set_iam_policy(policy)
    assert bucket.get_iam_policy(requested_policy_version=3).version == 1

    bucket.iam_configuration.uniform_bucket_level_access_enabled = True
    bucket.patch()
    policy = bucket.get_iam_policy(requested_policy_version=3)
    policy.bindings.append(conditional)
    with pytest.raises(exceptions.BadRequest, match="at least 3"):
        bucket.set_iam_policy(policy)

    policy.version = 3
    returned = bucket.set_iam_policy(policy)
    assert returned.version == 3
    assert returned.bindings == policy.bindings
    assert bucket.get_iam_policy(requested_policy_version=3).bindings == policy.bindings
