"""Managed folders through the official google-cloud-storage client: its raw resource
calls (it has no managed-folder methods), its listings, and a folder's IAM policy."""

from __future__ import annotations

from typing import Any

import google.auth.transport.requests
import httpx
import pytest
from google.api_core import exceptions
from google.cloud import storage
from google.oauth2 import service_account

from tests.conftest import CLOUD_PLATFORM, unique_id
from tests.integration.test_auth import Session, make_account_key
from tests.servers import NimbusServer


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


def _outsider(
    server: NimbusServer, owner: Session, project: str
) -> tuple[storage.Client, service_account.Credentials, str]:
    """A client acting as a new service account that holds no role yet, its
    credentials, and its member name."""
    info = make_account_key(server, owner, project)
    creds = service_account.Credentials.from_service_account_info(info, scopes=[CLOUD_PLATFORM])
    client = storage.Client(
        project=project, credentials=creds, client_options={"api_endpoint": server.url}
    )
    return client, creds, f"serviceAccount:{info['client_email']}"


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


def test_listing_includes_folders_as_prefixes_only_when_asked(
    storage_client: storage.Client, uniform: storage.Bucket
) -> None:
    # google-cloud-storage's own system test, test_bucket_list_blobs_include_managed_folders.
    for name in ("file01.txt", "parent/file11.txt", "parent/child/file21.txt"):
        uniform.blob(name).upload_from_string(b"helloworld")
    _create(storage_client, uniform, "managedfolder1")
    _create(storage_client, uniform, "nested/inner/")

    plain = uniform.list_blobs(delimiter="/")
    assert [b.name for b in plain] == ["file01.txt"]
    assert plain.prefixes == {"parent/"}
    with_folders = uniform.list_blobs(delimiter="/", include_folders_as_prefixes=True)
    assert [b.name for b in with_folders] == ["file01.txt"]
    assert with_folders.prefixes == {"parent/", "managedfolder1/", "nested/"}
    inside = uniform.list_blobs(prefix="nested/", delimiter="/", include_folders_as_prefixes=True)
    list(inside)
    assert inside.prefixes == {"nested/inner/"}

    # One entry a page: folders and objects interleave in name order across pages.
    paged = uniform.list_blobs(delimiter="/", include_folders_as_prefixes=True, page_size=1)
    entries = [[*page.prefixes, *(b.name for b in page)] for page in paged.pages]
    assert entries == [["file01.txt"], ["managedfolder1/"], ["nested/"], ["parent/"]]

    storage_client._delete_resource(f"{_folders(uniform)}/managedfolder1")


def test_a_folder_policy_grants_access_under_it_only(
    server: NimbusServer,
    owner: Session,
    project: str,
    storage_client: storage.Client,
    uniform: storage.Bucket,
) -> None:
    for name in ("a/x", "a/deep/y", "b/y"):
        uniform.blob(name).upload_from_string(name.encode())
    _create(storage_client, uniform, "a/")
    _create(storage_client, uniform, "a/deep/")
    reader, _, member = _outsider(server, owner, project)
    theirs = reader.bucket(uniform.name)
    with pytest.raises(exceptions.Forbidden):
        theirs.blob("a/x").download_as_bytes()

    policy_path = f"{_folders(uniform)}/a%2F/iam"
    fresh = storage_client._get_resource(policy_path)
    assert fresh["kind"] == "storage#policy" and not fresh.get("bindings")
    assert fresh["resourceId"] == f"projects/_/buckets/{uniform.name}/managedFolders/a/"
    bindings = [{"role": "roles/storage.objectViewer", "members": [member]}]
    written = storage_client._put_resource(
        policy_path, {"bindings": bindings, "etag": fresh["etag"]}
    )
    assert written["bindings"] == bindings
    with pytest.raises(exceptions.Conflict):  # a stale etag
        storage_client._put_resource(policy_path, {"bindings": [], "etag": fresh["etag"]})
    with pytest.raises(exceptions.BadRequest):
        storage_client._put_resource(
            policy_path, {"bindings": [{"role": "roles/pubsub.viewer", "members": [member]}]}
        )
    folder = storage_client._get_resource(f"{_folders(uniform)}/a%2F")
    assert folder["updateTime"] >= folder["createTime"]

    # Under "a/": readable and listable; elsewhere: refused, as before.
    assert theirs.blob("a/x").download_as_bytes() == b"a/x"
    assert theirs.blob("a/deep/y").download_as_bytes() == b"a/deep/y"
    assert [b.name for b in theirs.list_blobs(prefix="a/")] == ["a/deep/y", "a/x"]
    with pytest.raises(exceptions.Forbidden):
        theirs.blob("b/y").download_as_bytes()
    with pytest.raises(exceptions.Forbidden):
        list(theirs.list_blobs())
    with pytest.raises(exceptions.Forbidden):
        theirs.blob("a/new").upload_from_string(b"no")

    # Nested folders add up: objectCreator on "a/deep/" lets it write there only.
    deep = f"{_folders(uniform)}/a%2Fdeep%2F/iam"
    creator = [{"role": "roles/storage.objectCreator", "members": [member]}]
    storage_client._put_resource(deep, {"bindings": creator})
    theirs.blob("a/deep/new").upload_from_string(b"yes")
    with pytest.raises(exceptions.Forbidden):
        theirs.blob("a/new").upload_from_string(b"no")
    tested = reader._get_resource(
        f"{_folders(uniform)}/a%2Fdeep%2F/iam/testPermissions",
        query_params={"permissions": ["storage.objects.get", "storage.objects.create"]},
    )
    assert tested["permissions"] == ["storage.objects.get", "storage.objects.create"]
    tested = reader._get_resource(
        f"{policy_path}/testPermissions",
        query_params={"permissions": ["storage.objects.get", "storage.objects.create"]},
    )
    assert tested["permissions"] == ["storage.objects.get"]
    with pytest.raises(exceptions.BadRequest):
        reader._get_resource(
            f"{policy_path}/testPermissions", query_params={"permissions": ["storage.buckets.get"]}
        )

    # Deleting the folder takes its policy away.
    storage_client._delete_resource(f"{_folders(uniform)}/a%2Fdeep%2F", {"allowNonEmpty": True})
    storage_client._delete_resource(f"{_folders(uniform)}/a%2F", {"allowNonEmpty": True})
    with pytest.raises(exceptions.Forbidden):
        theirs.blob("a/x").download_as_bytes()
    reader.close()  # type: ignore[no-untyped-call]


def test_a_folder_grant_covers_copies_moves_restores_and_xml_uploads_under_it(
    server: NimbusServer,
    owner: Session,
    project: str,
    storage_client: storage.Client,
    uniform: storage.Bucket,
) -> None:
    for name in ("work/a", "work/c", "other/x"):
        uniform.blob(name).upload_from_string(name.encode())
    _create(storage_client, uniform, "work/")
    worker, creds, member = _outsider(server, owner, project)
    admin = [{"role": "roles/storage.objectAdmin", "members": [member]}]
    storage_client._put_resource(f"{_folders(uniform)}/work%2F/iam", {"bindings": admin})
    theirs = worker.bucket(uniform.name)
    objects = f"/b/{uniform.name}/o"

    theirs.copy_blob(theirs.blob("work/a"), theirs, "work/copy")
    with pytest.raises(exceptions.Forbidden):
        theirs.copy_blob(theirs.blob("work/a"), theirs, "other/copy")
    worker._post_resource(f"{objects}/work%2Fa/moveTo/o/work%2Fmoved", None)
    with pytest.raises(exceptions.Forbidden):
        worker._post_resource(f"{objects}/work%2Fmoved/moveTo/o/other%2Fmoved", None)
    with pytest.raises(exceptions.Forbidden):
        worker._post_resource(f"{objects}/other%2Fx/moveTo/o/work%2Fx", None)

    generation = uniform.get_blob("work/c").generation
    theirs.blob("work/c").delete()
    restored = worker._post_resource(
        f"{objects}/work%2Fc/restore", None, query_params={"generation": generation}
    )
    assert restored["name"] == "work/c"

    creds.refresh(google.auth.transport.requests.Request())
    bearer = {"Authorization": f"Bearer {creds.token}"}
    started = httpx.post(f"{server.url}/{uniform.name}/work/big?uploads", headers=bearer)
    assert started.status_code == 200, started.text
    refused = httpx.post(f"{server.url}/{uniform.name}/other/big?uploads", headers=bearer)
    assert refused.status_code == 403, refused.text

    names = sorted(b.name for b in uniform.list_blobs())
    assert names == ["other/x", "work/c", "work/copy", "work/moved"]
    worker.close()  # type: ignore[no-untyped-call]
