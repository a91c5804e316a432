"""Listings through a server of two worker processes, each keeping the JSON of the
objects it rendered or wrote: after every kind of change, made through any worker,
each listed object is exactly the resource ``objects.get`` gives for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import google.auth.transport.requests
import httpx
import pytest
from google.api_core.client_options import ClientOptions
from google.cloud import storage
from google.oauth2 import service_account

from tests.servers import NimbusServer, fresh_database

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
BUCKET = "rendered-listings"
OBJECTS = f"/storage/v1/b/{BUCKET}/o"


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[NimbusServer]:
    with fresh_database() as url:
        server = NimbusServer(tmp_path / "data", url, ["--workers", "2"]).start()
        try:
            yield server
        finally:
            assert server.stop() == 0


def test_listed_objects_follow_every_change(two_workers: NimbusServer) -> None:
    creds = service_account.Credentials.from_service_account_file(
        str(two_workers.owner_key), scopes=SCOPES
    )
    client = storage.Client(
        project="nimbus-system",
        credentials=creds,
        client_options=ClientOptions(api_endpoint=two_workers.url),
    )
    creds.refresh(google.auth.transport.requests.Request())
    headers = {"Authorization": f"Bearer {creds.token}"}
    # Keep-alive connections, spread by the kernel over both workers.
    readers = [httpx.Client(base_url=two_workers.url, headers=headers) for _ in range(6)]

    def listed(reader: httpx.Client, **params: Any) -> list[dict[str, Any]]:
        answer = reader.get(OBJECTS, params=params)
        answer.raise_for_status()
        items: list[dict[str, Any]] = answer.json().get("items", [])
        return items

    def each_listing_matches_gets() -> list[dict[str, Any]]:
        """Every connection lists, twice (the second from what it kept); each item is
        what objects.get answers for that generation."""
        first = listed(readers[0])
        for reader in readers:
            for _ in range(2):
                assert listed(reader) == first
        for item in first:
            got = readers[0].get(f"{OBJECTS}/{item['name']}",
                                 params={"generation": item["generation"]})  # fmt: skip
            assert got.json() == item
        return first

    try:
        bucket = client.create_bucket(BUCKET)
        for name in ("a.txt", "b/c.txt", "d e.bin"):
            bucket.blob(name).upload_from_string(name.encode(), content_type="text/plain")
        assert [item["name"] for item in each_listing_matches_gets()] == [
            "a.txt",
            "b/c.txt",
            "d e.bin",
        ]

        blob = bucket.blob("a.txt")
        blob.metadata = {"colour": "blue"}
        blob.cache_control = "no-store"
        blob.patch()
        assert each_listing_matches_gets()[0]["metadata"] == {"colour": "blue"}

        bucket.blob("b/c.txt").upload_from_string(b"again")
        assert each_listing_matches_gets()[1]["size"] == "5"

        bucket.retention_period = 3600
        bucket.patch()
        expires = [item["retentionExpirationTime"] for item in each_listing_matches_gets()]
        assert all(dt.datetime.fromisoformat(moment) for moment in expires)

        on_hold = bucket.get_blob("d e.bin")
        assert on_hold is not None
        on_hold.temporary_hold = True
        on_hold.patch()
        assert each_listing_matches_gets()[2]["temporaryHold"] is True
        on_hold.temporary_hold = False
        on_hold.patch()
        assert "temporaryHold" not in each_listing_matches_gets()[2]
    finally:
        for reader in readers:
            reader.close()
        client.close()  # type: ignore[no-untyped-call]


def test_a_listing_names_the_server_as_it_was_asked(two_workers: NimbusServer) -> None:
    """The links in a listed object start with the URL the request named: the same
    object listed through two names of the server carries two sets of links."""
    creds = service_account.Credentials.from_service_account_file(
        str(two_workers.owner_key), scopes=SCOPES
    )
    creds.refresh(google.auth.transport.requests.Request())
    headers = {"Authorization": f"Bearer {creds.token}"}
    with httpx.Client(base_url=two_workers.url, headers=headers) as http:
        http.post("/storage/v1/b", params={"project": "nimbus-system"},
                  json={"name": BUCKET}).raise_for_status()  # fmt: skip
        http.post(f"/upload{OBJECTS}", params={"uploadType": "media", "name": "x"},
                  content=b"x").raise_for_status()  # fmt: skip
        for host in ("storage.example.test", "other.example.test", "storage.example.test"):
            item = http.get(OBJECTS, headers={"Host": host}).json()["items"][0]
            assert item["selfLink"] == f"http://{host}{OBJECTS}/x"
            assert item["mediaLink"].startswith(f"http://{host}/download{OBJECTS}/x?")
