"""Resumable uploads on the wire: chunks, status queries, restarts, cancellation."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.oauth2 import service_account

from tests.conftest import CLOUD_PLATFORM, unique_id
from tests.integration.test_auth import Session, assert_google_error
from tests.servers import NimbusServer, running_server

CHUNK = 256 * 1024


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[NimbusServer]:
    """A server of the test's own, to restart."""
    with running_server(tmp_path / "data") as running:
        yield running


def _session(server: NimbusServer) -> Session:
    creds = service_account.Credentials.from_service_account_file(
        str(server.owner_key), scopes=[CLOUD_PLATFORM]
    )
    return Session(creds)


def _bucket(server: NimbusServer, owner: Session) -> str:
    name = unique_id("resume")
    created = owner.post(f"{server.url}/storage/v1/b?project=nimbus-system", json={"name": name})
    assert created.status_code == 200, created.text
    return name


def _start(server: NimbusServer, owner: Session, bucket: str, name: str, **headers: str) -> str:
    response = owner.post(
        f"{server.url}/upload/storage/v1/b/{bucket}/o",
        params={"uploadType": "resumable"},
        json={"name": name, "contentType": "application/x-test"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return str(response.headers["Location"])


def test_chunks_status_and_resume_after_restart(own_server: NimbusServer) -> None:
    data = os.urandom(3 * CHUNK + 1000)
    with _session(own_server) as owner:
        bucket = _bucket(own_server, owner)
        session_uri = _start(own_server, owner, bucket, "resumed.bin")
        first = owner.put(
            session_uri, data=data[:CHUNK], headers={"Content-Range": f"bytes 0-{CHUNK - 1}/*"}
        )
        assert first.status_code == 308 and first.headers["Range"] == f"bytes=0-{CHUNK - 1}"
        status = owner.put(session_uri, data=b"", headers={"Content-Range": "bytes */*"})
        assert status.status_code == 308 and status.headers["Range"] == f"bytes=0-{CHUNK - 1}"

    own_server.kill()
    own_server.start()

    with _session(own_server) as owner:
        status = owner.put(session_uri, data=b"", headers={"Content-Range": "bytes */*"})
        assert status.status_code == 308 and status.headers["Range"] == f"bytes=0-{CHUNK - 1}"
        # A chunk that overlaps what was received is accepted from its start.
        second = owner.put(
            session_uri,
            data=data[CHUNK - 10 : 2 * CHUNK],
            headers={"Content-Range": f"bytes {CHUNK - 10}-{2 * CHUNK - 1}/*"},
        )
        assert second.status_code == 308
        last = owner.put(
            session_uri,
            data=data[2 * CHUNK :],
            headers={"Content-Range": f"bytes {2 * CHUNK}-{len(data) - 1}/{len(data)}"},
        )
        assert last.status_code == 200, last.text
        assert last.json()["size"] == str(len(data))
        body = owner.get(
            f"{own_server.url}/download/storage/v1/b/{bucket}/o/resumed.bin",
            params={"alt": "media"},
        )
        assert body.content == data
        assert body.headers["Content-Type"] == "application/x-test"
        # A finished session answers any later request with what it made, as a client
        # whose last answer was lost expects; it makes nothing more.
        again = owner.put(session_uri, data=b"", headers={"Content-Range": "bytes */*"})
        assert again.status_code == 200, again.text
        assert again.json()["generation"] == last.json()["generation"]


def test_wrong_content_ranges_change_nothing(server: NimbusServer, owner: Session) -> None:
    bucket = _bucket(server, owner)
    session_uri = _start(server, owner, bucket, "ranges.bin")
    data = os.urandom(2 * CHUNK)
    ok = owner.put(
        session_uri, data=data[:CHUNK], headers={"Content-Range": f"bytes 0-{CHUNK - 1}/*"}
    )
    assert ok.status_code == 308
    beyond = owner.put(
        session_uri,
        data=data[:10],
        headers={"Content-Range": f"bytes {CHUNK + 5}-{CHUNK + 14}/*"},
    )
    assert_google_error(beyond, 400)
    for header in ("bytes 0-9", "bytes=0-9/*", "bytes 9-0/*", "items 0-9/*", "bytes 0-99/50"):
        assert_google_error(
            owner.put(session_uri, data=data[:10], headers={"Content-Range": header}), 400
        )
    short = owner.put(
        session_uri,
        data=data[CHUNK : CHUNK + 10],
        headers={"Content-Range": f"bytes {CHUNK}-{CHUNK + 99}/*"},
    )
    assert_google_error(short, 400)
    status = owner.put(session_uri, data=b"", headers={"Content-Range": "bytes */*"})
    assert status.headers["Range"] == f"bytes=0-{CHUNK - 1}"
    done = owner.put(
        session_uri,
        data=data[CHUNK:],
        headers={"Content-Range": f"bytes {CHUNK}-{2 * CHUNK - 1}/{2 * CHUNK}"},
    )
    assert done.status_code == 200
    listed = owner.get(f"{server.url}/storage/v1/b/{bucket}/o").json()["items"]
    assert [item["name"] for item in listed] == ["ranges.bin"]


def test_cancel(server: NimbusServer, owner: Session) -> None:
    bucket = _bucket(server, owner)
    session_uri = _start(server, owner, bucket, "cancelled.bin")
    owner.put(session_uri, data=b"x" * CHUNK, headers={"Content-Range": f"bytes 0-{CHUNK - 1}/*"})
    assert owner.delete(session_uri).status_code == 499
    assert (
        owner.put(session_uri, data=b"", headers={"Content-Range": "bytes */*"}).status_code == 410
    )
    assert "items" not in owner.get(f"{server.url}/storage/v1/b/{bucket}/o").json()


def test_session_checks_permission_at_start(server: NimbusServer, owner: Session) -> None:
    bucket = _bucket(server, owner)
    creds = service_account.Credentials.from_service_account_file(
        str(server.owner_key), scopes=["https://www.googleapis.com/auth/devstorage.read_only"]
    )
    with Session(creds) as reader:
        response = reader.post(
            f"{server.url}/upload/storage/v1/b/{bucket}/o",
            params={"uploadType": "resumable", "name": "nope"},
            json={},
        )
        assert_google_error(response, 403)
