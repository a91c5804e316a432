"""VPC networks on the real kernel: namespaces, bridges, veths and nftables.

Every packet these tests send goes to an address the fabric under test created (a
subnet of its networks, its external range or the metadata address), and each test
checks that before sending. Each test owns a Fabric and tears it down.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest

from nimbus.net import (
    AddressConflict,
    Fabric,
    FirewallEntry,
    InstanceFirewall,
    NetworkNotFound,
    Subnet,
)
from nimbus.net.external import choose_range
from nimbus.net.names import Names

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("nft") is None or shutil.which("ping") is None,
    reason="needs root, nft and ping",
)

US = Subnet("us-central1", IPv4Network("10.128.0.0/20"), IPv4Address("10.128.0.1"))
EU = Subnet("europe-west1", IPv4Network("10.132.0.0/20"), IPv4Address("10.132.0.1"))
METADATA = IPv4Address("169.254.169.254")
# Two projects' `default` networks: the same ranges, nothing shared.
NETWORK_A, NETWORK_B = "5100000000000000001", "5200000000000000002"
# These tests are about the plumbing: instances let anything in (test_net_firewall.py
# covers the firewall).
OPEN = InstanceFirewall(
    (FirewallEntry("INGRESS", 65534, True, peers=(IPv4Network("0.0.0.0/0"),), name="open"),)
)

LISTENER = """
import socket, sys
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("0.0.0.0", int(sys.argv[1])))
server.listen(1)
print("ready", flush=True)
connection, peer = server.accept()
connection.sendall(peer[0].encode() + b"\\n")
connection.close()
"""

CLIENT = """
import socket, sys
try:
    connection = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1.5)
except OSError as error:
    print("failed", error)
    sys.exit(1)
print("connected", connection.recv(100).decode().strip())
"""


Listen = Callable[[str, int], None]


@dataclass
class World:
    fabric: Fabric
    names: Names
    a1: str  # network A, us-central1, with an external IP
    a2: str  # network A, europe-west1
    b1: str  # network B (same ranges), us-central1
    nat_a1: IPv4Address
    nat_b1: IPv4Address


def leftovers(tag: str) -> list[str]:
    outputs = [
        run(["ip", "netns", "list"]).stdout,
        run(["ip", "-o", "link"]).stdout,
        run(["nft", "list", "tables"]).stdout,
    ]
    return [line for out in outputs for line in out.splitlines() if tag in line]


def run(args: list[str], timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)


def in_ns(netns: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run(["ip", "netns", "exec", netns, *args])


def assert_ours(fabric: Fabric, address: IPv4Address) -> None:
    """Refuse to send anything anywhere the fabric did not create."""
    inside = [US.cidr, EU.cidr, fabric.external_network, IPv4Network(METADATA)]
    assert any(address in network for network in inside), address


def assert_host_route_is_ours(fabric: Fabric, address: IPv4Address) -> None:
    assert address in fabric.external_network
    route = run(["ip", "-o", "route", "get", str(address)]).stdout
    assert f"dev {Names(fabric.tag).host_bridge} " in route, route


def ping(fabric: Fabric, netns: str, address: IPv4Address) -> bool:
    assert_ours(fabric, address)
    return in_ns(netns, "ping", "-c1", "-W1", str(address)).returncode == 0


def read_line(connection: socket.socket) -> str:
    with connection.makefile() as reader:
        return reader.readline().strip()


def connect_from(fabric: Fabric, netns: str, address: IPv4Address, port: int) -> str:
    """Connect from inside ``netns``; the listener's reply, or "" if it failed."""
    assert_ours(fabric, address)
    done = in_ns(netns, sys.executable, "-c", CLIENT, str(address), str(port))
    return done.stdout.removeprefix("connected").strip() if done.returncode == 0 else ""


@pytest.fixture
def listener_in() -> Iterator[Listen]:
    """Start a one-shot TCP listener inside a namespace; it answers with the peer's IP."""
    started: list[subprocess.Popen[str]] = []

    def start(netns: str, port: int) -> None:
        command = ["ip", "netns", "exec", netns, sys.executable, "-c", LISTENER, str(port)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        started.append(process)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"

    yield start
    for process in started:
        process.kill()
        process.wait()
        assert process.stdout is not None
        process.stdout.close()


@pytest.fixture
def world(fabric: Fabric) -> World:
    pool = fabric.external_pool()
    nat_a1, nat_b1 = next(pool), next(pool)
    fabric.ensure_network(NETWORK_A, [US, EU])
    fabric.ensure_network(NETWORK_B, [US, EU])
    fabric.attach(NETWORK_A, "7001", IPv4Address("10.128.0.2"), US, external=nat_a1)
    fabric.attach(NETWORK_A, "7002", IPv4Address("10.132.0.2"), EU)
    fabric.attach(NETWORK_B, "7003", IPv4Address("10.128.0.3"), US, external=nat_b1)
    for instance_id in ("7001", "7002", "7003"):
        fabric.set_firewall(instance_id, OPEN)
    names = Names(fabric.tag)
    return World(
        fabric,
        names,
        names.instance_ns("7001"),
        names.instance_ns("7002"),
        names.instance_ns("7003"),
        nat_a1,
        nat_b1,
    )


def test_instances_of_one_network_reach_each_other_across_subnets(world: World) -> None:
    fabric = world.fabric
    assert ping(fabric, world.a1, IPv4Address("10.132.0.2"))
    assert ping(fabric, world.a2, IPv4Address("10.128.0.2"))
    assert ping(fabric, world.a1, US.gateway)


def test_networks_with_the_same_ranges_are_isolated(world: World) -> None:
    fabric = world.fabric
    assert not ping(fabric, world.b1, IPv4Address("10.128.0.2"))
    assert not ping(fabric, world.b1, IPv4Address("10.132.0.2"))
    assert not ping(fabric, world.a1, IPv4Address("10.128.0.3"))
    # Nor through the other network's external address.
    assert not ping(fabric, world.b1, world.nat_a1)
    assert not ping(fabric, world.a1, world.nat_b1)


def test_host_reaches_an_instance_through_its_external_ip(
    world: World, listener_in: Listen
) -> None:
    listener_in(world.a1, 2222)
    assert_host_route_is_ours(world.fabric, world.nat_a1)
    with socket.create_connection((str(world.nat_a1), 2222), timeout=5) as connection:
        seen = read_line(connection)
    # One-to-one NAT rewrites the destination only: the instance sees the host.
    assert seen == str(world.fabric.host_address)


def test_instances_cannot_open_connections_to_the_host(world: World) -> None:
    fabric = world.fabric
    with socket.socket() as server:
        server.bind((str(fabric.host_address), 0))
        server.listen(1)
        port = server.getsockname()[1]
        assert connect_from(fabric, world.a1, fabric.host_address, port) == ""
    assert not ping(fabric, world.a1, fabric.host_address)


def test_instance_routes_are_its_subnet_and_the_gateway(world: World) -> None:
    routes = in_ns(world.a1, "ip", "route").stdout.splitlines()
    assert len(routes) == 2, routes
    assert routes[0].startswith("default via 10.128.0.1 dev eth0")
    assert routes[1].startswith("10.128.0.0/20 dev eth0")
    link = in_ns(world.a1, "ip", "-o", "link", "show", "eth0").stdout
    assert "mtu 1460" in link


def test_router_has_no_way_out(world: World) -> None:
    done = in_ns(world.names.router_ns(NETWORK_A), "ip", "route", "get", "1.1.1.1")
    assert done.returncode != 0
    assert "unreachable" in done.stderr
    assert in_ns(
        world.names.router_ns(NETWORK_A), "sysctl", "-n", "net.ipv4.ip_forward"
    ).stdout == ("1\n")
    assert run(["sysctl", "-n", "net.ipv4.ip_forward"]).stdout == "0\n"


def test_services_in_the_router_see_instances_by_internal_ip(world: World) -> None:
    fabric = world.fabric
    with fabric.listen(NETWORK_A, str(METADATA), 80) as server:
        server.settimeout(5)
        peers: list[str] = []

        def serve_twice() -> None:
            for _ in range(2):
                connection, peer = server.accept()
                with connection:
                    connection.sendall(b"metadata\n")
                peers.append(peer[0])

        thread = threading.Thread(target=serve_twice)
        thread.start()
        assert connect_from(fabric, world.a1, METADATA, 80) == "metadata"
        assert connect_from(fabric, world.a2, METADATA, 80) == "metadata"
        thread.join()
    assert peers == ["10.128.0.2", "10.132.0.2"]
    # The other network has its own metadata address, where nothing listens.
    assert connect_from(fabric, world.b1, METADATA, 80) == ""


def test_dns_over_udp_in_the_router(world: World) -> None:
    fabric = world.fabric
    with fabric.listen(NETWORK_A, str(METADATA), 53, socket.SOCK_DGRAM) as server:
        server.settimeout(5)
        assert_ours(fabric, METADATA)
        send = "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM)" + (
            ".sendto(b'query', ('169.254.169.254', 53))"
        )
        assert in_ns(world.a2, sys.executable, "-c", send).returncode == 0
        data, peer = server.recvfrom(100)
    assert (data, peer[0]) == (b"query", "10.132.0.2")


def test_router_accepts_only_the_service_ports(world: World) -> None:
    fabric = world.fabric
    with fabric.listen(NETWORK_A, str(METADATA), 9999):
        assert connect_from(fabric, world.a1, METADATA, 9999) == ""
    with fabric.listen(NETWORK_A, "0.0.0.0", 8080):
        # The gateway is the router too, but services answer on 169.254.169.254 only.
        assert connect_from(fabric, world.a1, US.gateway, 8080) == ""


def test_connect_from_the_router_to_an_instance(world: World, listener_in: Listen) -> None:
    listener_in(world.a2, 2200)
    address = IPv4Address("10.132.0.2")
    assert_ours(world.fabric, address)
    with world.fabric.connect(NETWORK_A, address, 2200, timeout=5) as connection:
        assert read_line(connection) == str(EU.gateway)


def test_every_call_is_idempotent_and_repairs_half_made_state(
    world: World, listener_in: Listen
) -> None:
    fabric, names = world.fabric, world.names
    router_ns = names.router_ns(NETWORK_A)
    # A crash half-way: the router lost its uplink and its rules, the host its bridge.
    assert in_ns(router_ns, "ip", "link", "del", "up0").returncode == 0
    assert in_ns(router_ns, "nft", "delete", "table", "inet", "nimbus").returncode == 0
    assert run(["ip", "link", "del", names.host_bridge]).returncode == 0
    fabric.ensure_network(NETWORK_A, [US, EU])
    fabric.ensure_network(NETWORK_A, [US, EU])
    fabric.attach(NETWORK_A, "7001", IPv4Address("10.128.0.2"), US, external=world.nat_a1)
    # An instance namespace left without its cable.
    assert in_ns(world.a2, "ip", "link", "del", "eth0").returncode == 0
    fabric.attach(NETWORK_A, "7002", IPv4Address("10.132.0.2"), EU)
    assert ping(fabric, world.a1, IPv4Address("10.132.0.2"))
    listener_in(world.a1, 2223)
    assert_host_route_is_ours(fabric, world.nat_a1)
    with socket.create_connection((str(world.nat_a1), 2223), timeout=5):
        pass
    fabric.detach("7002")
    fabric.detach("7002")
    fabric.delete_network(NETWORK_B)
    fabric.delete_network(NETWORK_B)
    assert fabric.network_ids() == [NETWORK_A]
    assert fabric.instance_ids() == ["7001"]


def test_external_ips_move_between_instances(world: World) -> None:
    fabric = world.fabric
    taken = IPv4Address("10.132.0.2")
    with pytest.raises(AddressConflict):
        fabric.attach(NETWORK_A, "7002", taken, EU, external=world.nat_a1)
    fabric.attach(NETWORK_A, "7001", IPv4Address("10.128.0.2"), US)  # drops its natIP
    fabric.attach(NETWORK_A, "7002", taken, EU, external=world.nat_a1)
    assert_host_route_is_ours(fabric, world.nat_a1)
    router = world.names.router_ns(NETWORK_A)
    assert (
        f"{world.nat_a1} : 10.132.0.2"
        in in_ns(router, "nft", "list", "map", "inet", "nimbus", "natmap").stdout
    )
    assert run(["ping", "-c1", "-W1", str(world.nat_a1)]).returncode == 0
    fabric.detach("7002")
    assert (
        "10.132.0.2" not in in_ns(router, "nft", "list", "map", "inet", "nimbus", "natmap").stdout
    )
    assert str(world.nat_a1) not in in_ns(router, "ip", "-o", "addr").stdout


def test_moving_an_instance_to_another_network(world: World) -> None:
    fabric = world.fabric
    fabric.attach(NETWORK_B, "7002", IPv4Address("10.132.0.9"), EU)
    assert not ping(fabric, world.a1, IPv4Address("10.132.0.2"))
    assert ping(fabric, world.b1, IPv4Address("10.132.0.9"))
    assert ping(fabric, world.a2, EU.gateway)


def test_attach_needs_the_network_and_its_subnet(fabric: Fabric) -> None:
    with pytest.raises(NetworkNotFound):
        fabric.attach("404", "7009", IPv4Address("10.128.0.9"), US)
    fabric.ensure_network(NETWORK_A, [US])
    with pytest.raises(NetworkNotFound):
        fabric.attach(NETWORK_A, "7009", IPv4Address("10.132.0.9"), EU)
    with pytest.raises(ValueError):
        fabric.attach(NETWORK_A, "7009", US.gateway, US)
    assert fabric.instance_ids() == []


def test_identity_is_kept_in_the_state_dir(fabric: Fabric, tmp_path: Path) -> None:
    again = Fabric(tmp_path / "net")
    assert (again.tag, again.external_network) == (fabric.tag, fabric.external_network)
    assert fabric.host_address == fabric.external_network.network_address + 1
    assert fabric.host_address not in set(fabric.external_pool())
    assert len(fabric.tag) == 6
    names = Names(fabric.tag)
    longest = [names.host_bridge, names.uplink_peer("9" * 19)]
    assert all(len(name) <= 15 for name in longest)


def test_two_fabrics_claim_different_ranges(fabric: Fabric, tmp_path: Path) -> None:
    other = Fabric(tmp_path / "other")
    try:
        assert other.tag != fabric.tag
        assert not other.external_network.overlaps(fabric.external_network)
    finally:
        other.teardown()
    assert leftovers(other.tag) == []


def test_external_range_avoids_what_the_host_uses() -> None:
    taken = [IPv4Network("0.0.0.0/0"), IPv4Network("100.64.0.0/23")]
    assert choose_range(taken, []) == IPv4Network("100.64.2.0/24")
