"""An empty resumable upload never finished: its closing ``Content-Range: bytes */0``
was taken for "size unknown", answered 308, and the object never appeared. gcsfs makes
every ``touch`` and directory marker this way."""

from __future__ import annotations

import httpx
import pytest
from gcsfs.core import GCSFileSystem
from google.cloud import storage

from tests.servers import NimbusServer


def _session(server: NimbusServer, bucket: storage.Bucket, name: str) -> tuple[str, dict[str, str]]:
    headers = {"Authorization": f"Bearer {bucket.client._credentials.token}"}
    started = httpx.post(
        f"{server.url}/upload/storage/v1/b/{bucket.name}/o",
        params={"uploadType": "resumable", "name": name},
        headers=headers | {"X-Upload-Content-Type": "application/octet-stream"},
    )
    assert started.status_code == 200, started.text
    return started.headers["Location"], headers


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_bytes_star_slash_zero_finishes_an_empty_upload(
    server: NimbusServer, bucket: storage.Bucket, method: str
) -> None:
    name = f"empty-{method.lower()}"
    location, headers = _session(server, bucket, name)
    done = httpx.request(
        method, location, headers=headers | {"Content-Range": "bytes */0"}, content=b""
    )
    assert done.status_code == 200, done.text
    assert (done.json()["name"], done.json()["size"]) == (name, "0")
    assert bucket.blob(name).download_as_bytes() == b""
    # Asking again about the finished session answers with the object, made once.
    again = httpx.put(location, headers=headers | {"Content-Range": "bytes */0"})
    assert again.status_code == 200, again.text
    assert again.json()["generation"] == done.json()["generation"]


def test_gcsfs_touch_makes_an_empty_object(server: NimbusServer, bucket: storage.Bucket) -> None:
    fs = GCSFileSystem(
        endpoint_url=server.url, token=str(server.owner_key), project=bucket.client.project
    )
    fs.touch(f"{bucket.name}/dir/marker")
    assert fs.info(f"{bucket.name}/dir/marker")["size"] == 0
    assert bucket.get_blob("dir/marker").size == 0
