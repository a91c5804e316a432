from __future__ import annotations

import httpx

from tests.servers import NimbusServer


def test_healthz_answers_once_ready(server: NimbusServer) -> None:
    response = httpx.get(f"{server.url}/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_owner_key_is_private_and_points_here(server: NimbusServer) -> None:
    assert server.owner_key.stat().st_mode & 0o777 == 0o600
    info = server.owner_key_info
    assert info["type"] == "service_account"
    assert info["token_uri"] == f"{server.url}/token"
    assert "BEGIN PRIVATE KEY" in info["private_key"]
