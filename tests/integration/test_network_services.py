"""In-network serving after a crash: a router left half-built (its namespace a bare
file, or made without its addresses) is skipped without binding anything, and served
once it is set up."""

from __future__ import annotations

import os
import shutil
import subprocess
from ipaddress import IPv4Address, IPv4Network
from typing import Any

import pytest
from starlette.applications import Starlette

from nimbus.api.metadata.serving import NetworkServices
from nimbus.net import Fabric, Subnet, namespaces
from nimbus.net.names import Names

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("nft") is None, reason="needs root and nft"
)

US = Subnet("us-central1", IPv4Network("10.128.0.0/20"), IPv4Address("10.128.0.1"))
NETWORK = "5300000000000000003"


def _listening(netns: str) -> set[str]:
    done = subprocess.run(
        ["ip", "netns", "exec", netns, "ss", "-Hlntu"], capture_output=True, text=True
    )
    return {line.split()[4] for line in done.stdout.splitlines()}


def test_a_half_built_router_is_served_once_it_is_set_up(fabric: Fabric) -> None:
    router_ns = Names(fabric.tag).router_ns(NETWORK)
    unused: Any = None  # the apps are made but never called here
    # A kill -9 between making the namespace's file and mounting it.
    namespaces.path_of(router_ns).parent.mkdir(parents=True, exist_ok=True)
    namespaces.path_of(router_ns).touch()
    services = NetworkServices(fabric.listen, unused, unused, Starlette())
    try:
        assert NETWORK in fabric.network_ids()
        services.serve_existing([NETWORK])
    finally:
        services.close()
    # A kill -9 half-way through setting the router up: its loopback up, its bridge and
    # addresses not yet.
    namespaces.create(router_ns)
    subprocess.run(["ip", "netns", "exec", router_ns, "ip", "link", "set", "lo", "up"], check=True)
    services = NetworkServices(fabric.listen, unused, unused, Starlette())
    try:
        services.serve_existing([NETWORK])
        assert _listening(router_ns) == set()
        fabric.ensure_network(NETWORK, [US])
        services.serve(NETWORK)
        services.serve(NETWORK)  # served once
        assert _listening(router_ns) == {
            "169.254.169.254:80",
            "169.254.169.254:8080",
            "169.254.169.254:53",
        }
        # The router keeps no way to the host's sockets but its own.
        with pytest.raises(OSError):
            fabric.listen(NETWORK, "169.254.169.254", 80)
    finally:
        services.close()
