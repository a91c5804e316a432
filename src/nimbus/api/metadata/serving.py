"""Serving inside VPC networks: in each network's router namespace, the metadata server
on 169.254.169.254:80, a relay of the whole API on :8080, and internal DNS on :53.

The sockets are bound inside the namespaces (the fabric makes them); this process
serves them from one event loop of its own, next to the main server.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Iterator

import uvicorn
from starlette.types import ASGIApp

from nimbus.api.metadata.app import metadata_app
from nimbus.api.metadata.dns import DnsProtocol
from nimbus.net.errors import NetworkNotFound
from nimbus.services.compute.internal_dns import InternalDns
from nimbus.services.compute.metadata_server import (
    API_RELAY_PORT,
    METADATA_ADDRESS,
    MetadataService,
)

log = logging.getLogger("nimbus.metadata")
METADATA_PORT = 80
DNS_PORT = 53
Listen = Callable[..., socket.socket]


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signals to the main server."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class NetworkServices:
    def __init__(
        self, listen: Listen, metadata: MetadataService, dns: InternalDns, api: ASGIApp
    ) -> None:
        self.listen = listen
        self.metadata = metadata
        self.dns = dns
        self.api = api
        self._transports: list[asyncio.BaseTransport] = []
        self._served: set[str] = set()
        self._servers: list[_QuietServer] = []
        self._started: list[concurrent.futures.Future[None]] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="in-network", daemon=True
        )
        self._thread.start()

    def serve(self, network_id: str) -> None:
        """Serve one network (again after a restart); no-op if it is served already.
        Every socket is bound before any is served, so a failure leaves nothing half
        served and a later call can try again."""
        with self._lock:
            if network_id in self._served:
                return
            apps: list[tuple[int, ASGIApp]] = [
                (METADATA_PORT, metadata_app(self.metadata, int(network_id))),
                (API_RELAY_PORT, self.api),
            ]
            with contextlib.ExitStack() as bound:
                sockets = [
                    bound.enter_context(self.listen(network_id, METADATA_ADDRESS, port))
                    for port, _ in apps
                ]
                udp = bound.enter_context(
                    self.listen(network_id, METADATA_ADDRESS, DNS_PORT, socket.SOCK_DGRAM)
                )
                bound.pop_all()  # from here on the servers own them
            for (_, app), sock in zip(apps, sockets, strict=True):
                config = uvicorn.Config(
                    app, lifespan="off", log_level="warning", access_log=False,
                    server_header=False, timeout_keep_alive=75,
                )  # fmt: skip
                server = _QuietServer(config)
                self._servers.append(server)
                self._started.append(
                    asyncio.run_coroutine_threadsafe(server.serve(sockets=[sock]), self._loop)
                )
            protocol = DnsProtocol(self.dns, int(network_id))
            self._started.append(
                asyncio.run_coroutine_threadsafe(self._serve_dns(udp, protocol), self._loop)
            )
            self._served.add(network_id)

    def serve_existing(self, network_ids: list[str]) -> None:
        """At start-up: serve the networks already on this host. A router a crash left
        half-built (its namespace not yet mounted, or without its metadata address) is
        skipped, and served when the next instance attached to it completes it."""
        for network_id in network_ids:
            try:
                self.serve(network_id)
            except (OSError, NetworkNotFound) as error:
                log.warning("network %s is served once it is next set up: %s", network_id, error)

    async def _serve_dns(self, sock: socket.socket, protocol: DnsProtocol) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: protocol, sock=sock)
        self._transports.append(transport)

    def close(self) -> None:
        for server in self._servers:
            server.should_exit = True
        # The servers notice within a tick and finish; the loop stops after them.
        concurrent.futures.wait(self._started, timeout=5)
        for transport in self._transports:
            self._loop.call_soon_threadsafe(transport.close)
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
