"""Real Nimbus servers for tests: a ``nimbus up`` subprocess on a free loopback port.

The store is SQLite in the server's data dir, or, when ``NIMBUS_TEST_DATABASE_URL``
names a PostgreSQL server, a fresh database created on it for each server.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get("NIMBUS_TEST_DATABASE_URL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def fresh_database() -> Iterator[str | None]:
    """A new empty PostgreSQL database for one server, or None for SQLite."""
    if not PG_ADMIN_URL:
        yield None
        return
    name = f"nimbus_test_{secrets.token_hex(6)}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class NimbusServer:
    data_dir: Path
    database_url: str | None = None
    extra_args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def owner_key(self) -> Path:
        return self.data_dir / "owner-key.json"

    @property
    def owner_key_info(self) -> dict[str, str]:
        info: dict[str, str] = json.loads(self.owner_key.read_text())
        return info

    def start(self, timeout: float = 60) -> NimbusServer:
        command = [
            sys.executable, "-m", "nimbus", "up",
            "--port", str(self.port),
            "--data-dir", str(self.data_dir),
            *self.extra_args,
        ]  # fmt: skip
        if not any(arg.startswith("--runtime") for arg in self.extra_args):
            # Instances run in memory unless a test asks for the real runtime; they
            # cost nothing, so a session's worth of them never fills the host.
            command += ["--runtime", "fake"]
            if not any(arg.startswith("--cpu-allocation-ratio") for arg in self.extra_args):
                command += ["--cpu-allocation-ratio", "1000", "--ram-allocation-ratio", "1000"]
        if self.database_url:
            command += ["--database-url", self.database_url]
        with (self.data_dir.parent / f"{self.data_dir.name}.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nimbus up exited with {self.process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.05)
        raise RuntimeError("nimbus up did not become healthy")

    def stop(self) -> int:
        """SIGTERM and wait: a clean shutdown."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def kill(self) -> None:
        """SIGKILL: what a crash looks like."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)


@contextlib.contextmanager
def running_server(data_dir: Path, extra_args: list[str] | None = None) -> Iterator[NimbusServer]:
    with fresh_database() as database_url:
        server = NimbusServer(data_dir, database_url, extra_args or [])
        server.start()
        try:
            yield server
        finally:
            if server.process is not None and server.process.poll() is None:
                server.stop()
