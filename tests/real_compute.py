"""Nimbus servers that run real instances (runc, network namespaces), for tests.

Instances outlive their server by design, so a test server's instances are deleted
through the API before it stops, and whatever its runtime and fabric still hold is
removed after.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import google.auth.transport.requests
from google.oauth2 import service_account

from tests.servers import NimbusServer, fresh_database

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


def container_args(image_cache: Path) -> list[str]:
    return ["--runtime", "container", "--image-cache", str(image_cache)]


def owner_session(server: NimbusServer) -> google.auth.transport.requests.AuthorizedSession:
    credentials = service_account.Credentials.from_service_account_file(
        str(server.owner_key), scopes=[CLOUD_PLATFORM]
    )
    return google.auth.transport.requests.AuthorizedSession(credentials)


def remove_leftovers(data_dir: Path) -> None:
    """Whatever a (stopped or killed) server's runtime and fabric still hold."""
    from nimbus.net.fabric import Fabric
    from nimbus.runtime.container import ContainerDriver

    runtime = data_dir / "runtime"
    if (runtime / "container").exists():
        driver = ContainerDriver(runtime / "container")
        for instance_id in driver.instance_ids():
            driver.delete(instance_id)
    if (runtime / "net" / "fabric.json").exists():
        Fabric(runtime / "net").teardown()


@contextlib.contextmanager
def container_server(
    data_dir: Path, image_cache: Path, extra_args: Sequence[str] = ()
) -> Iterator[NimbusServer]:
    with fresh_database() as database_url:
        server = NimbusServer(data_dir, database_url, [*container_args(image_cache), *extra_args])
        try:
            server.start()
            yield server
        finally:
            if server.process is not None and server.process.poll() is None:
                server.stop()
            remove_leftovers(data_dir)


@dataclass
class Cli:
    """``nimbus`` as a user runs it, with a home and config of its own."""

    server: NimbusServer
    home: Path

    @property
    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "HOME": str(self.home),
            "NIMBUS_CONFIG_DIR": str(self.home / "config"),
            "NIMBUS_DATA_DIR": str(self.server.data_dir),
        }
        for name in ("NIMBUS_ENDPOINT", "NIMBUS_CREDENTIALS", "NIMBUS_PROJECT"):
            env.pop(name, None)
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "nimbus", *args]

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args), capture_output=True, text=True, env=self.env, timeout=timeout
        )
