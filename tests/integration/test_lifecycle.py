"""Starting, stopping and crashing: nothing acknowledged is lost."""

from __future__ import annotations

import json
from pathlib import Path

import google.auth.transport.requests
import httpx
from google.oauth2 import service_account

from tests.conftest import CLOUD_PLATFORM
from tests.servers import NimbusServer, fresh_database

Session = google.auth.transport.requests.AuthorizedSession


def _session(server: NimbusServer) -> Session:
    creds = service_account.Credentials.from_service_account_file(
        str(server.owner_key), scopes=[CLOUD_PLATFORM]
    )
    return Session(creds)


def test_sigterm_shuts_down_cleanly(tmp_path: Path) -> None:
    with fresh_database() as url:
        server = NimbusServer(tmp_path / "data", url).start()
        info = json.loads((server.data_dir / "server.json").read_text())
        assert info["endpoint"] == server.url
        assert server.stop() == 0
        assert not (server.data_dir / "server.json").exists()


def test_sigkill_loses_nothing_acknowledged(tmp_path: Path) -> None:
    with fresh_database() as url:
        server = NimbusServer(tmp_path / "data", url).start()
        key_before = server.owner_key.read_text()
        acknowledged: list[str] = []
        for round_ in range(3):
            with _session(server) as owner:
                for index in range(5):
                    project = f"crash-{round_}-{index}-x"
                    response = owner.post(f"{server.url}/v1/projects", json={"projectId": project})
                    assert response.status_code == 200, response.text
                    acknowledged.append(project)
                labels = {"round": str(round_)}
                body = {"projectId": acknowledged[0], "labels": labels}
                assert owner.put(f"{server.url}/v1/projects/{acknowledged[0]}", json=body).ok
            server.kill()
            server.start()
        try:
            # The owner key survives restarts unchanged and still works.
            assert server.owner_key.read_text() == key_before
            with _session(server) as owner:
                listed = owner.get(f"{server.url}/v1/projects").json()["projects"]
                ids = {p["projectId"] for p in listed}
                assert set(acknowledged) <= ids
                first = owner.get(f"{server.url}/v1/projects/{acknowledged[0]}").json()
                assert first["labels"] == {"round": "2"}
        finally:
            server.stop()


def test_lost_owner_key_is_replaced_on_start(tmp_path: Path) -> None:
    with fresh_database() as url:
        server = NimbusServer(tmp_path / "data", url).start()
        first = json.loads(server.owner_key.read_text())
        server.stop()
        server.owner_key.unlink()
        server.start()
        try:
            second = json.loads(server.owner_key.read_text())
            assert second["client_email"] == first["client_email"]
            assert second["private_key_id"] != first["private_key_id"]
            with _session(server) as owner:
                assert owner.get(f"{server.url}/v1/projects/nimbus-system").ok
            assert httpx.get(f"{server.url}/v1/projects").status_code == 401
        finally:
            server.stop()


def test_several_workers_serve_and_die_with_the_server(tmp_path: Path) -> None:
    with fresh_database() as url:
        server = NimbusServer(tmp_path / "data", url, ["--workers", "2"]).start()
        with _session(server) as owner:
            for index in range(6):
                project = f"workers-{index}-x"
                assert owner.post(f"{server.url}/v1/projects", json={"projectId": project}).ok
            assert len(owner.get(f"{server.url}/v1/projects").json()["projects"]) == 7
        server.kill()
        # No worker outlives the server: the port is free for the next start at once.
        server.start()
        try:
            with _session(server) as owner:
                assert owner.get(f"{server.url}/v1/projects/workers-5-x").ok
        finally:
            assert server.stop() == 0
