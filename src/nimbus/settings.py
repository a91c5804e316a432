"""How one Nimbus server is configured: where it listens and where its state lives."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs


def default_data_dir() -> Path:
    """``$NIMBUS_DATA_DIR``, else the user's data home (``~/.local/share/nimbus``)."""
    configured = os.environ.get("NIMBUS_DATA_DIR")
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_data_dir("nimbus", appauthor=False))


@dataclass(frozen=True)
class ServerSettings:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str | None = None
    # None: unauthenticated calls are anonymous. Otherwise the principal they act as.
    anonymous_principal: str | None = None
    # JSON request bodies; object uploads stream through their own path.
    max_body_bytes: int = 16 * 1024 * 1024
    # Test-only controls (run a controller now...), apart from the Google surface.
    test_controls: bool = False
    # How instances run: "container" (an OCI runtime) or "fake" (in memory, for tests).
    runtime: str = "container"
    # Built images, shared by every data dir on the machine (None: under the data dir).
    image_cache: Path | None = None
    # Seconds an instance's init gets to shut down before it is killed.
    stop_timeout: float = 30.0
    # The scheduler's overcommit, as OpenStack's defaults: vCPUs per host CPU, instance
    # memory per byte of host memory.
    cpu_allocation_ratio: float = 16.0
    ram_allocation_ratio: float = 1.5
    # Spot and preemptible prices are on-demand times (1 - this); None: the price
    # catalog's default, Google's documented discount.
    spot_discount: float | None = None
    # Seconds between two utilization samples of the running instances (recommender).
    utilization_interval: float = 60.0

    @property
    def image_cache_dir(self) -> Path:
        return self.image_cache or self.data_dir / "image-cache"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'nimbus.db'}"

    @property
    def public_url(self) -> str:
        """The address clients on this machine use (a wildcard bind is reached by loopback)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def owner_key_path(self) -> Path:
        return self.data_dir / "owner-key.json"

    @property
    def server_info_path(self) -> Path:
        """Where a running server says where it is, for the CLI on the same machine."""
        return self.data_dir / "server.json"
