"""A hot object read again and again through a server of two worker processes: every
connection sees each overwrite and the delete from the next request on, whichever
worker kept the earlier answer and whichever made the change."""

from __future__ import annotations

from pathlib import Path

import google.auth.transport.requests
import httpx
from google.api_core.client_options import ClientOptions
from google.cloud import storage
from google.oauth2 import service_account

from tests.servers import NimbusServer, fresh_database

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


def test_every_worker_sees_each_change_of_a_hot_object(tmp_path: Path) -> None:
    with fresh_database() as url:
        server = NimbusServer(tmp_path / "data", url, ["--workers", "2"]).start()
        try:
            creds = service_account.Credentials.from_service_account_file(
                str(server.owner_key), scopes=SCOPES
            )
            client = storage.Client(
                project="nimbus-system",
                credentials=creds,
                client_options=ClientOptions(api_endpoint=server.url),
            )
            blob = client.create_bucket("kept-reads-workers").blob("hot")
            creds.refresh(google.auth.transport.requests.Request())
            headers = {"Authorization": f"Bearer {creds.token}"}
            # Eight keep-alive connections, spread by the kernel over both workers.
            readers = [httpx.Client(base_url=server.url, headers=headers) for _ in range(8)]
            path = "/storage/v1/b/kept-reads-workers/o/hot"

            def everyone_reads() -> set[tuple[int, bytes]]:
                seen = set()
                for reader in readers:
                    for _ in range(3):  # enough for an answer to be kept and replayed
                        answer = reader.get(path, params={"alt": "media"})
                        seen.add((answer.status_code, answer.content))
                return seen

            try:
                for version in (b"first", b"second", b"third"):
                    blob.upload_from_string(version)
                    assert everyone_reads() == {(200, version)}
                blob.delete()
                assert {status for status, _ in everyone_reads()} == {404}
            finally:
                for reader in readers:
                    reader.close()
                client.close()  # type: ignore[no-untyped-call]
        finally:
            assert server.stop() == 0
