"""Managed folders through the official google-cloud-storage client: its raw resource
calls (it has no managed-folder methods), its listings, and a folder's IAM policy."""

from __future__ import annotations

from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import storage

from tests.conftest import unique_id


@pytest.fixture
def uniform(storage_client: storage.Client) -> storage.Bucket:
    """A fresh bucket with uniform bucket-level access, which managed folders need."""
    bucket = storage_client.bucket(unique_id("mf"))
    bucket.iam_configuration.uniform_bucket_level_access_enabled = True
    bucket.create()
    return bucket


def _folders(bucket: storage.Bucket) -> str:
    return f"/b/{bucket.name}/managedFolders"


def _create(client: storage.Client, bucket: storage.Bucket, name: str) -> dict[str, Any]:
    created: dict[str, Any] = client._post_resource(_folders(bucket), {"name": name})
    return created


def test_create_get_list_and_delete(
    storage_client: storage.Client, uniform: storage.Bucket
) -> None:
    created = _create(storage_client, uniform, "reports")
    # The name gets its trailing "/", as on Cloud Storage.
    assert created["kind"] == "storage#managedFolder"
    assert created["name"] == "reports/"
    assert created["bucket"] == uniform.name
    assert created["id"] == f"{uniform.name}/reports/"
    assert created["selfLink"].endswith(f"/storage/v1/b/{uniform.name}/managedFolders/reports%2F")
    assert created["metageneration"] == "1"
    assert created["createTime"] == created["updateTime"]

    got = storage_client._get_resource(f"{_folders(uniform)}/reports%2F")
    assert got == created
    assert storage_client._get_resource(f"{_folders(uniform)}/reports") == created

    _create(storage_client, uniform, "reports/2026/")
    _create(storage_client, uniform, "archive/")
    listed = storage_client._get_resource(_folders(uniform))
    assert listed["kind"] == "storage#managedFolders"
    assert [f["name"] for f in listed["items"]] == ["archive/", "reports/", "reports/2026/"]
    under = storage_client._get_resource(_folders(uniform), query_params={"prefix": "reports/"})
    assert [f["name"] for f in under["items"]] == ["reports/", "reports/2026/"]

    pages, token = [], None
    while True:
        params = {"pageSize": 2, **({"pageToken": token} if token else {})}
        page = storage_client._get_resource(_folders(uniform), query_params=params)
        pages.append([f["name"] for f in page["items"]])
        token = page.get("nextPageToken")
        if not token:
            break
    assert pages == [["archive/", "reports/"], ["reports/2026/"]]

    storage_client._delete_resource(f"{_folders(uniform)}/reports%2F2026%2F")
    storage_client._delete_resource(f"{_folders(uniform)}/archive")
    remaining = storage_client._get_resource(_folders(uniform))
    assert [f["name"] for f in remaining["items"]] == ["reports/"]


def test_refusals_change_nothing(
    storage_client: storage.Client, uniform: storage.Bucket, bucket: storage.Bucket
) -> None:
    _create(storage_client, uniform, "taken/")
    with pytest.raises(exceptions.Conflict, match="already exists"):
        _create(storage_client, uniform, "taken")
    with pytest.raises(exceptions.NotFound):
        storage_client._get_resource(f"{_folders(uniform)}/missing%2F")
    with pytest.raises(exceptions.NotFound):
        storage_client._delete_resource(f"{_folders(uniform)}/missing%2F")
    for bad in ("", "a\nb/", "../", ".well-known/acme-challenge/x/", "d/" * 16, "x" * 1025):
        with pytest.raises(exceptions.BadRequest):
            _create(storage_client, uniform, bad)
    # Fine-grained access: no managed folders at all (412, Cloud Storage's words).
    with pytest.raises(exceptions.PreconditionFailed, match="Uniform bucket-level access"):
        _create(storage_client, bucket, "f/")
    with pytest.raises(exceptions.PreconditionFailed):
        storage_client._get_resource(_folders(bucket))
    with pytest.raises(exceptions.NotFound):
        storage_client._post_resource(f"/b/{unique_id('absent')}/managedFolders", {"name": "f"})
    listed = storage_client._get_resource(_folders(uniform))
    assert [f["name"] for f in listed["items"]] == ["taken/"]


def test_delete_rules(storage_client: storage.Client, uniform: storage.Bucket) -> None:
    _create(storage_client, uniform, "full/")
    _create(storage_client, uniform, "parent/")
    _create(storage_client, uniform, "parent/child/")
    uniform.blob("full/data.txt").upload_from_string(b"x")
    full = f"{_folders(uniform)}/full%2F"

    with pytest.raises(exceptions.Conflict, match="not empty"):
        storage_client._delete_resource(full)
    with pytest.raises(exceptions.Conflict, match="not empty"):
        storage_client._delete_resource(f"{_folders(uniform)}/parent%2F")
    with pytest.raises(exceptions.PreconditionFailed):
        storage_client._delete_resource(
            full, query_params={"allowNonEmpty": True, "ifMetagenerationMatch": 2}
        )
    with pytest.raises(exceptions.PreconditionFailed):
        storage_client._delete_resource(
            full, query_params={"allowNonEmpty": True, "ifMetagenerationNotMatch": 1}
        )
    # A bucket with managed folders is not empty either: they go first.
    uniform.blob("full/data.txt").delete()
    with pytest.raises(exceptions.Conflict):
        uniform.delete()

    uniform.blob("full/data.txt").upload_from_string(b"x")
    storage_client._delete_resource(
        full, query_params={"allowNonEmpty": True, "ifMetagenerationMatch": 1}
    )
    # The objects stay, as a simulated folder.
    assert [b.name for b in uniform.list_blobs()] == ["full/data.txt"]
    uniform.blob("full/data.txt").delete()
    storage_client._delete_resource(f"{_folders(uniform)}/parent%2Fchild%2F")
    storage_client._delete_resource(f"{_folders(uniform)}/parent%2F")
    uniform.delete()
