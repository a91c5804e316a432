"""Fixtures shared by every test layer."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import google.auth.transport.requests
import pytest
from google.oauth2 import service_account

from tests.servers import NimbusServer, running_server

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
# Built images outlive a test run (scripts/test shares them between its two runs).
DEFAULT_IMAGE_CACHE = Path("/var/tmp/nimbus-test-images")


@pytest.fixture(scope="session")
def image_cache() -> Path:
    """Where the built-in image is built once and reused: $NIMBUS_TEST_IMAGE_CACHE."""
    assert os.geteuid() == 0, "instances and image builds need root"
    return Path(os.environ.get("NIMBUS_TEST_IMAGE_CACHE") or DEFAULT_IMAGE_CACHE)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NimbusServer]:
    """One Nimbus for the whole session (tests make their own projects in it)."""
    data = tmp_path_factory.mktemp("nimbus") / "data"
    with running_server(data, ["--enable-test-controls"]) as running:
        yield running


@pytest.fixture(scope="session")
def owner_credentials(server: NimbusServer) -> service_account.Credentials:
    return service_account.Credentials.from_service_account_file(
        str(server.owner_key), scopes=[CLOUD_PLATFORM]
    )


@pytest.fixture(scope="session")
def owner(
    owner_credentials: service_account.Credentials,
) -> Iterator[google.auth.transport.requests.AuthorizedSession]:
    """An HTTP session authenticated as the owner, through google-auth."""
    with google.auth.transport.requests.AuthorizedSession(owner_credentials) as session:
        yield session


def unique_id(prefix: str = "p") -> str:
    return f"{prefix}-{secrets.token_hex(5)}"


@pytest.fixture
def project(server: NimbusServer, owner: google.auth.transport.requests.AuthorizedSession) -> str:
    """A fresh project, owned by the owner."""
    project_id = unique_id("test")
    response = owner.post(f"{server.url}/v1/projects", json={"projectId": project_id})
    assert response.status_code == 200, response.text
    return project_id


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(server: NimbusServer, tmp_path: Path) -> Callable[..., CliResult]:
    """Run ``nimbus ARGS...`` as a user on the server's machine would, with its own config."""
    env = {
        **os.environ,
        "NIMBUS_CONFIG_DIR": str(tmp_path / "config"),
        "NIMBUS_DATA_DIR": str(server.data_dir),
    }
    env.pop("NIMBUS_ENDPOINT", None)
    env.pop("NIMBUS_CREDENTIALS", None)
    env.pop("NIMBUS_PROJECT", None)

    def run(
        *args: str, input: str | None = None, extra_env: dict[str, str] | None = None
    ) -> CliResult:
        completed = subprocess.run(
            [sys.executable, "-m", "nimbus", *args],
            capture_output=True,
            text=True,
            input=input,
            env={**env, **(extra_env or {})},
            timeout=120,
        )
        return CliResult(completed.returncode, completed.stdout, completed.stderr)

    return run


@pytest.fixture
def storage_client(
    server: NimbusServer, owner_credentials: service_account.Credentials, project: str
) -> Iterator[object]:
    """The official google-cloud-storage client, pointed at Nimbus, in a fresh project."""
    from google.api_core.client_options import ClientOptions
    from google.cloud import storage

    client = storage.Client(
        project=project,
        credentials=owner_credentials,
        client_options=ClientOptions(api_endpoint=server.url),
    )
    yield client
    client.close()  # type: ignore[no-untyped-call]


@pytest.fixture
def bucket(storage_client: object) -> object:
    """A fresh bucket in the test's project."""
    from google.cloud import storage

    assert isinstance(storage_client, storage.Client)
    return storage_client.create_bucket(unique_id("bucket"))
