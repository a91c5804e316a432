"""``fields``: partial responses, through the official client and plain HTTP."""

from __future__ import annotations

import google.auth.transport.requests
from google.cloud import storage

from tests.servers import NimbusServer

Session = google.auth.transport.requests.AuthorizedSession


def test_the_client_lists_only_the_fields_it_asks_for(
    storage_client: storage.Client, bucket: storage.Bucket
) -> None:
    for name in ("a", "b", "c"):
        bucket.blob(name).upload_from_string(name)
    pages = storage_client.list_blobs(
        bucket, page_size=2, fields="items(name,size),nextPageToken"
    ).pages
    seen = [(blob.name, blob.size, blob.generation) for page in pages for blob in page]
    assert seen == [("a", 1, None), ("b", 1, None), ("c", 1, None)]
    assert bucket.blob("a").exists() and not bucket.blob("nothing").exists()


def test_trimmed_answers_and_refused_selections(
    server: NimbusServer, owner: Session, bucket: storage.Bucket
) -> None:
    bucket.blob("x").upload_from_string("xyz")
    url = f"{server.url}/storage/v1/b/{bucket.name}/o/x"
    answer = owner.get(url, params={"fields": "name,size"})
    assert answer.status_code == 200
    assert answer.json() == {"name": "x", "size": "3"}
    assert int(answer.headers["Content-Length"]) == len(answer.content)
    project = owner.get(
        f"{server.url}/compute/v1/projects/{bucket.client.project}",
        params={"fields": "name,quotas(metric,limit)"},
    ).json()
    assert set(project) == {"name", "quotas"} and set(project["quotas"][0]) == {"metric", "limit"}
    refused = owner.patch(url, params={"fields": "name,"}, json={"metadata": {"k": "v"}})
    assert refused.status_code == 400
    assert refused.json()["error"]["errors"][0]["reason"] == "invalidParameter"
    assert bucket.get_blob("x").metadata is None  # the refused patch changed nothing
    # Errors are never trimmed.
    missing = owner.get(f"{url}-gone", params={"fields": "name"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == 404
