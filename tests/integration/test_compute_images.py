"""Images through the official client: the public debian-12 family, and images imported
from a root filesystem tarball in Cloud Storage (``rawDisk.source``)."""

from __future__ import annotations

import io
import tarfile

import google.auth.transport.requests
import pytest
from google.api_core import exceptions
from google.cloud import compute_v1, storage
from google.oauth2 import service_account

from tests.conftest import unique_id
from tests.servers import NimbusServer


def _rootfs_tarball() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in (("sbin/init", b"#!/bin/sh\n"), ("etc/os-release", b"ID=tiny\n")):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def images(
    server: NimbusServer, owner_credentials: service_account.Credentials
) -> compute_v1.ImagesClient:
    return compute_v1.ImagesClient(
        credentials=owner_credentials,
        transport="rest",
        client_options={"api_endpoint": server.url},
    )


@pytest.fixture
def operations(
    server: NimbusServer, owner_credentials: service_account.Credentials
) -> compute_v1.GlobalOperationsClient:
    return compute_v1.GlobalOperationsClient(
        credentials=owner_credentials,
        transport="rest",
        client_options={"api_endpoint": server.url},
    )


def _wait(
    operations: compute_v1.GlobalOperationsClient, project: str, name: str
) -> compute_v1.Operation:
    done = operations.wait(project=project, operation=name)
    while done.status != compute_v1.Operation.Status.DONE:
        done = operations.wait(project=project, operation=name)
    return done


def test_import_deprecate_and_delete(
    images: compute_v1.ImagesClient,
    operations: compute_v1.GlobalOperationsClient,
    storage_client: storage.Client,
    project: str,
) -> None:
    bucket = storage_client.create_bucket(unique_id("images"))
    bucket.blob("tiny.tar.gz").upload_from_string(_rootfs_tarball())
    bucket.blob("broken.tar.gz").upload_from_string(b"not a tarball at all")

    image = compute_v1.Image(
        name="tiny-v1",
        family="tiny",
        raw_disk=compute_v1.RawDisk(source=f"gs://{bucket.name}/tiny.tar.gz"),
    )
    done = _wait(
        operations, project, images.insert_unary(project=project, image_resource=image).name
    )
    assert not done.error.errors
    found = images.get_from_family(project=project, family="tiny")
    assert found.name == "tiny-v1" and found.status == "READY"
    assert int(found.archive_size_bytes) > 0

    broken = compute_v1.Image(
        name="broken",
        raw_disk=compute_v1.RawDisk(
            source=f"https://storage.googleapis.com/{bucket.name}/broken.tar.gz"
        ),
    )
    failed = _wait(
        operations, project, images.insert_unary(project=project, image_resource=broken).name
    )
    assert failed.error.errors and failed.http_error_status_code == 400
    assert images.get(project=project, image="broken").status == "FAILED"

    with pytest.raises(exceptions.NotFound):
        images.insert_unary(
            project=project,
            image_resource=compute_v1.Image(
                name="nothing", raw_disk=compute_v1.RawDisk(source=f"gs://{bucket.name}/missing")
            ),
        )
    with pytest.raises(exceptions.Conflict):
        images.insert_unary(project=project, image_resource=image)

    status = compute_v1.DeprecationStatus(state="DEPRECATED")
    images.deprecate_unary(project=project, image="tiny-v1", deprecation_status_resource=status)
    with pytest.raises(exceptions.NotFound, match="tiny"):
        images.get_from_family(project=project, family="tiny")
    images.delete_unary(project=project, image="tiny-v1")
    assert [i.name for i in images.list(project=project)] == ["broken"]


def test_public_family_and_unknown_family(images: compute_v1.ImagesClient, project: str) -> None:
    debian = images.get_from_family(project="debian-cloud", family="debian-12")
    assert debian.self_link.endswith(f"/projects/debian-cloud/global/images/{debian.name}")
    with pytest.raises(exceptions.NotFound, match="debian-12"):
        images.get_from_family(project="debian-cloud", family="centos-7")
    with pytest.raises(exceptions.Forbidden):
        images.delete_unary(project="debian-cloud", image=debian.name)
    # Google's other public image projects are there, with no image built here.
    assert list(images.list(project="ubuntu-os-cloud")) == []


def test_image_listings_in_one_batch(
    server: NimbusServer, owner: google.auth.transport.requests.AuthorizedSession
) -> None:
    """gcloud lists the public images in one batch request to ``/batch/compute/v1``."""
    boundary = "===============7330845974216740156=="
    parts = [
        f"--{boundary}\nContent-Type: application/http\nMIME-Version: 1.0\n"
        f"Content-Transfer-Encoding: binary\nContent-ID: <{index}>\n\n"
        f"GET {server.url}/compute/v1/projects/{project}/global/images?alt=json HTTP/1.1\n\n"
        for index, project in enumerate(("debian-cloud", "ubuntu-os-cloud"))
    ]
    response = owner.post(
        f"{server.url}/batch/compute/v1",
        data="".join(parts) + f"--{boundary}--\n",
        headers={"Content-Type": f"multipart/mixed; boundary='{boundary}'"},
    )
    assert response.status_code == 200, response.text
    answers = response.text.split("Content-ID: <response-")[1:]
    assert len(answers) == 2 and all("HTTP/1.1 200 OK" in answer for answer in answers)
    assert "debian-12" in answers[0] and "debian-12" not in answers[1]


def test_a_family_seen_from_a_zone(
    server: NimbusServer, owner_credentials: service_account.Credentials
) -> None:
    views = compute_v1.ImageFamilyViewsClient(
        credentials=owner_credentials,
        transport="rest",
        client_options={"api_endpoint": server.url},
    )
    view = views.get(project="debian-cloud", zone="us-central1-a", family="debian-12")
    assert view.image.family == "debian-12" and view.image.status == "READY"
