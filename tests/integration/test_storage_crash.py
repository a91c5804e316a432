"""SIGKILL during uploads, again and again: nothing acknowledged is lost and nothing
partial becomes visible."""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from pathlib import Path

import requests
from google.oauth2 import service_account

from tests.conftest import CLOUD_PLATFORM
from tests.integration.test_auth import Session
from tests.servers import NimbusServer, fresh_database

ROUNDS = 6
CHUNK = 256 * 1024


class Uploader:
    """Uploads objects of every kind until the server dies, recording what it was told."""

    def __init__(self, server: NimbusServer, bucket: str, round_: int) -> None:
        self.server = server
        self.bucket = bucket
        self.round = round_
        self.attempted: dict[str, str] = {}
        self.acknowledged: dict[str, str] = {}

    def run(self) -> None:
        creds = service_account.Credentials.from_service_account_file(
            str(self.server.owner_key), scopes=[CLOUD_PLATFORM]
        )
        with Session(creds) as session:
            index = 0
            try:
                while True:
                    self._one(session, index)
                    index += 1
            except (requests.RequestException, OSError):
                return

    def _expect(self, name: str, data: bytes) -> None:
        self.attempted[name] = hashlib.sha256(data).hexdigest()

    def _ack(self, name: str, response: requests.Response) -> None:
        if response.status_code == 200:
            self.acknowledged[name] = self.attempted[name]

    def _one(self, session: Session, index: int) -> None:
        base = f"{self.server.url}/upload/storage/v1/b/{self.bucket}/o"
        kind = index % 4
        name = f"r{self.round}-{index}-k{kind}"
        data = os.urandom(random.choice([100, 40_000, 300_000]))
        if kind == 0:
            self._expect(name, data)
            self._ack(
                name, session.post(base, params={"uploadType": "media", "name": name}, data=data)
            )
        elif kind == 1:
            boundary = "crash-boundary"
            body = (
                (
                    f"--{boundary}\r\nContent-Type: application/json\r\n\r\n"
                    f'{{"name": "{name}"}}\r\n--{boundary}\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n"
                ).encode()
                + data
                + f"\r\n--{boundary}--\r\n".encode()
            )
            self._expect(name, data)
            headers = {"Content-Type": f"multipart/related; boundary={boundary}"}
            self._ack(
                name,
                session.post(base, params={"uploadType": "multipart"}, data=body, headers=headers),
            )
        elif kind == 2:
            data = os.urandom(2 * CHUNK + 7)
            self._expect(name, data)
            start = session.post(base, params={"uploadType": "resumable"}, json={"name": name})
            uri = start.headers["Location"]
            session.put(uri, data=data[:CHUNK], headers={"Content-Range": f"bytes 0-{CHUNK - 1}/*"})
            last = session.put(
                uri,
                data=data[CHUNK:],
                headers={"Content-Range": f"bytes {CHUNK}-{len(data) - 1}/{len(data)}"},
            )
            self._ack(name, last)
        else:
            sources = [n for n in self.acknowledged if not n.endswith("k3")][-2:]
            if len(sources) < 2:
                return
            url = f"{self.server.url}/storage/v1/b/{self.bucket}/o/{name}/compose"
            contents = [self._download(session, n) for n in sources]
            self._expect(name, b"".join(contents))
            body = {"sourceObjects": [{"name": n} for n in sources], "destination": {}}
            self._ack(name, session.post(url, json=body))

    def _download(self, session: Session, name: str) -> bytes:
        url = f"{self.server.url}/download/storage/v1/b/{self.bucket}/o/{name}"
        response = session.get(url, params={"alt": "media"})
        response.raise_for_status()
        return response.content


def test_sigkill_during_uploads_loses_nothing(tmp_path: Path) -> None:
    random.seed(7)
    attempted: dict[str, str] = {}
    acknowledged: dict[str, str] = {}
    with fresh_database() as url:
        server = NimbusServer(tmp_path / "data", url).start()
        creds = service_account.Credentials.from_service_account_file(
            str(server.owner_key), scopes=[CLOUD_PLATFORM]
        )
        bucket = "crash-test-bucket"
        with Session(creds) as owner:
            made = owner.post(
                f"{server.url}/storage/v1/b?project=nimbus-system", json={"name": bucket}
            )
            assert made.status_code == 200
        for round_ in range(ROUNDS):
            uploader = Uploader(server, bucket, round_)
            worker = threading.Thread(target=uploader.run)
            worker.start()
            time.sleep(random.uniform(0.3, 1.0))
            server.kill()
            worker.join(timeout=60)
            attempted |= uploader.attempted
            acknowledged |= uploader.acknowledged
            server.start()
        try:
            with Session(creds) as owner:
                listed: dict[str, str] = {}
                token = None
                while True:
                    params = {"pageToken": token} if token else {}
                    page = owner.get(f"{server.url}/storage/v1/b/{bucket}/o", params=params).json()
                    for item in page.get("items", []):
                        content = owner.get(
                            f"{server.url}/download/storage/v1/b/{bucket}/o/{item['name']}",
                            params={"alt": "media"},
                        ).content
                        listed[item["name"]] = hashlib.sha256(content).hexdigest()
                    token = page.get("nextPageToken")
                    if not token:
                        break
        finally:
            server.stop()
    lost = [name for name in acknowledged if listed.get(name) != acknowledged[name]]
    partial = [name for name, digest in listed.items() if attempted.get(name) != digest]
    assert len(acknowledged) > ROUNDS
    assert lost == []
    assert partial == []
    # Nothing half-written is left behind either.
    leftovers = list((tmp_path / "data" / "blobs" / "tmp").iterdir())
    assert leftovers == []
