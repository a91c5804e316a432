"""The VPC firewall, enforced in each instance's namespace, on the real kernel.

Three instances share network A (two on one subnet, so their traffic stays on the
router's bridge at layer 2; one on another subnet, routed) and one sits on network B
with the same ranges. Every address a test sends to is checked to belong to the fabric
it created (``assert_ours``), and every fabric is torn down.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

import pytest

from nimbus.net import (
    Fabric,
    FirewallEntry,
    InstanceFirewall,
    InstanceNotFound,
    PortMatch,
    namespaces,
    rules,
    sockets,
)
from nimbus.net.names import Names
from tests.integration.test_net_fabric import (
    EU,
    METADATA,
    NETWORK_A,
    NETWORK_B,
    US,
    assert_host_route_is_ours,
    assert_ours,
    in_ns,
    ping,
    read_line,
)

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("nft") is None or shutil.which("ping") is None,
    reason="needs root, nft and ping",
)

ANYWHERE = IPv4Network("0.0.0.0/0")
A1, A3, A2, B1 = "7101", "7103", "7102", "7201"
A1_IP, A3_IP = IPv4Address("10.128.0.2"), IPv4Address("10.128.0.4")
A2_IP, B1_IP = IPv4Address("10.132.0.2"), IPv4Address("10.128.0.3")
PORT, OTHER_PORT = 8000, 8001
# A blocked connection is dropped silently: this is how long a test waits for it.
REFUSED_AFTER = 1.0


@dataclass
class World:
    fabric: Fabric
    names: Names
    nat_a1: IPv4Address

    def ns(self, instance_id: str) -> str:
        return self.names.instance_ns(instance_id)

    def firewall(self, instance_id: str, *entries: FirewallEntry) -> None:
        self.fabric.set_firewall(instance_id, InstanceFirewall(entries))


def ingress(
    priority: int,
    *peers: IPv4Network | IPv4Address,
    allow: bool = True,
    protocol: str | None = "tcp",
    ports: tuple[tuple[int, int], ...] = ((PORT, PORT),),
    local: tuple[IPv4Network, ...] = (),
) -> FirewallEntry:
    return _entry("INGRESS", priority, peers, allow, protocol, ports, local)


def egress(
    priority: int,
    *peers: IPv4Network | IPv4Address,
    allow: bool = False,
    protocol: str | None = None,
    ports: tuple[tuple[int, int], ...] = (),
) -> FirewallEntry:
    return _entry("EGRESS", priority, peers, allow, protocol, ports, ())


def _entry(
    direction: str,
    priority: int,
    peers: tuple[IPv4Network | IPv4Address, ...],
    allow: bool,
    protocol: str | None,
    ports: tuple[tuple[int, int], ...],
    local: tuple[IPv4Network, ...],
) -> FirewallEntry:
    # Ports only for the protocols that have them; None for every protocol.
    with_ports = ports if protocol in ("tcp", "udp", "sctp") else ()
    matches = () if protocol is None else (PortMatch(protocol, with_ports),)
    return FirewallEntry(
        direction,
        priority,
        allow,
        matches,
        tuple(IPv4Network(peer) for peer in peers),
        local,
        name=f"{direction.lower()}-{priority}",
    )


@pytest.fixture
def world(fabric: Fabric) -> World:
    nat_a1 = next(fabric.external_pool())
    fabric.ensure_network(NETWORK_A, [US, EU])
    fabric.ensure_network(NETWORK_B, [US, EU])
    fabric.attach(NETWORK_A, A1, A1_IP, US, external=nat_a1)
    fabric.attach(NETWORK_A, A3, A3_IP, US)
    fabric.attach(NETWORK_A, A2, A2_IP, EU)
    fabric.attach(NETWORK_B, B1, B1_IP, US)
    return World(fabric, Names(fabric.tag), nat_a1)


@contextlib.contextmanager
def serving(netns: str, *ports: int) -> Iterator[None]:
    """TCP servers inside ``netns``: each connection first hears the peer's address,
    then gets its lines echoed."""
    servers = [sockets.listen(netns, "0.0.0.0", port, socket.SOCK_STREAM) for port in ports]
    stop = threading.Event()

    def echo(connection: socket.socket, peer: str) -> None:
        # The client may leave at any time; that ends the echo.
        with connection, connection.makefile("rwb") as stream, contextlib.suppress(OSError):
            stream.write(peer.encode() + b"\n")
            stream.flush()
            for line in stream:
                stream.write(line)
                stream.flush()

    def accept(server: socket.socket) -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, peer = server.accept()
            except TimeoutError:
                continue
            connection.settimeout(5)
            threading.Thread(target=echo, args=(connection, peer[0]), daemon=True).start()

    threads = [threading.Thread(target=accept, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        for server in servers:
            server.close()


def open_from(fabric: Fabric, netns: str, address: IPv4Address, port: int) -> socket.socket:
    assert_ours(fabric, address)
    return sockets.connect(netns, str(address), port, timeout=REFUSED_AFTER)


def seen_by(fabric: Fabric, netns: str, address: IPv4Address, port: int = PORT) -> str:
    """Connect from inside ``netns``: the address the server saw, or "" if blocked."""
    try:
        with open_from(fabric, netns, address, port) as connection:
            return read_line(connection)
    except OSError:
        return ""


def test_a_new_instance_is_closed_but_reaches_out(world: World) -> None:
    fabric = world.fabric
    with serving(world.ns(A1), PORT):
        assert seen_by(fabric, world.ns(A3), A1_IP) == ""
        assert seen_by(fabric, world.ns(A2), A1_IP) == ""
    assert not ping(fabric, world.ns(A3), A1_IP)
    # Its own connections go out, and their replies come back.
    world.firewall(A2, ingress(1000, ANYWHERE))
    with serving(world.ns(A2), PORT):
        assert seen_by(fabric, world.ns(A1), A2_IP) == str(A1_IP)


def test_an_allow_opens_its_ports_to_its_sources_only(world: World) -> None:
    fabric = world.fabric
    world.firewall(A1, ingress(1000, A3_IP, ports=((PORT - 5, PORT),)))
    with serving(world.ns(A1), PORT, OTHER_PORT):
        assert seen_by(fabric, world.ns(A3), A1_IP) == str(A3_IP)
        assert seen_by(fabric, world.ns(A2), A1_IP) == ""
        assert seen_by(fabric, world.ns(A3), A1_IP, OTHER_PORT) == ""
        # A destination filter that is not the instance's address matches nothing.
        elsewhere = (IPv4Network("10.128.0.99/32"),)
        world.firewall(A1, ingress(1000, A3_IP, local=elsewhere))
        assert seen_by(fabric, world.ns(A3), A1_IP) == ""
        world.firewall(A1, ingress(1000, A3_IP, local=(IPv4Network(A1_IP),)))
        assert seen_by(fabric, world.ns(A3), A1_IP) == str(A3_IP)
    # Not a ping either: the entry is for tcp.
    assert not ping(fabric, world.ns(A3), A1_IP)


def test_priority_decides_and_a_deny_wins_a_tie(world: World) -> None:
    fabric, a1 = world.fabric, world.ns(A1)
    vpc = IPv4Network("10.128.0.0/9")
    allow = ingress(1000, vpc)
    with serving(a1, PORT):
        world.firewall(A1, allow, ingress(900, A3_IP, allow=False))
        assert seen_by(fabric, world.ns(A3), A1_IP) == ""
        assert seen_by(fabric, world.ns(A2), A1_IP) == str(A2_IP)
        world.firewall(A1, allow, ingress(1100, A3_IP, allow=False))
        assert seen_by(fabric, world.ns(A3), A1_IP) == str(A3_IP)
        world.firewall(A1, allow, ingress(1000, A3_IP, allow=False))
        assert seen_by(fabric, world.ns(A3), A1_IP) == ""
        assert seen_by(fabric, world.ns(A2), A1_IP) == str(A2_IP)


def test_removing_an_entry_closes_new_connections_only(world: World) -> None:
    fabric, a1 = world.fabric, world.ns(A1)
    world.firewall(A1, ingress(1000, ANYWHERE))
    with serving(a1, PORT), open_from(fabric, world.ns(A3), A1_IP, PORT) as kept:
        world.firewall(A1)
        assert seen_by(fabric, world.ns(A3), A1_IP) == ""
        with kept.makefile("rwb") as stream:
            assert stream.readline() == f"{A3_IP}\n".encode()
            stream.write(b"still here\n")
            stream.flush()
            assert stream.readline() == b"still here\n"


def test_icmp_is_allowed_and_denied(world: World) -> None:
    fabric = world.fabric
    world.firewall(A1, ingress(1000, A3_IP, protocol="icmp"))
    assert ping(fabric, world.ns(A3), A1_IP)
    assert not ping(fabric, world.ns(A2), A1_IP)
    world.firewall(
        A1, ingress(1000, A3_IP, protocol="icmp"), ingress(10, ANYWHERE, allow=False, protocol="1")
    )
    assert not ping(fabric, world.ns(A3), A1_IP)


def test_an_egress_deny_blocks_its_destinations(world: World) -> None:
    fabric = world.fabric
    world.firewall(A2, ingress(1000, ANYWHERE, protocol="all"))
    world.firewall(A1, egress(1000, EU.cidr))
    with serving(world.ns(A2), PORT, OTHER_PORT):
        assert seen_by(fabric, world.ns(A1), A2_IP) == ""
        assert not ping(fabric, world.ns(A1), A2_IP)
        # Someone else's rules, not A2's: others still get in.
        assert seen_by(fabric, world.ns(A3), A2_IP) == str(A3_IP)
        # An egress deny for one port leaves the others.
        world.firewall(A1, egress(1000, EU.cidr, protocol="tcp", ports=((PORT, PORT),)))
        assert seen_by(fabric, world.ns(A1), A2_IP) == ""
        assert seen_by(fabric, world.ns(A1), A2_IP, OTHER_PORT) == str(A1_IP)
        assert ping(fabric, world.ns(A1), A2_IP)


def test_the_metadata_server_is_always_reachable(world: World) -> None:
    fabric, a1 = world.fabric, world.ns(A1)
    world.firewall(A1, egress(0, ANYWHERE), ingress(0, ANYWHERE, allow=False, protocol=None))
    assert_ours(fabric, METADATA)
    with fabric.listen(NETWORK_A, str(METADATA), 80) as server:
        server.settimeout(5)

        def answer() -> None:
            connection, _ = server.accept()
            with connection:
                connection.sendall(b"metadata\n")

        thread = threading.Thread(target=answer)
        thread.start()
        with open_from(fabric, a1, METADATA, 80) as connection:
            assert read_line(connection) == "metadata"
        thread.join()
    with fabric.listen(NETWORK_A, str(METADATA), 53, socket.SOCK_DGRAM) as dns:
        dns.settimeout(5)
        client = namespaces.run_in(a1, lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        with client:
            client.settimeout(5)
            client.sendto(b"query", (str(METADATA), 53))
            query, peer = dns.recvfrom(100)
            dns.sendto(b"answer", peer)
            assert (query, client.recv(100)) == (b"query", b"answer")
    # The deny is real for anything else.
    world.firewall(A2, ingress(1000, ANYWHERE, protocol="all"))
    assert not ping(fabric, a1, A2_IP)


def test_the_same_firewall_commits_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    commits: list[str] = []
    original = rules.apply

    def counting(script: str) -> None:
        commits.append(script)
        original(script)

    monkeypatch.setattr(rules, "apply", counting)
    first = (
        ingress(1000, A3_IP),
        egress(900, EU.cidr),
        ingress(900, A3_IP, allow=False, ports=((OTHER_PORT, OTHER_PORT),)),
        ingress(1000, A2_IP),
    )
    world.firewall(A1, *first)
    assert len(commits) == 1
    world.firewall(A1, *first)
    world.firewall(A1, *reversed(first))
    assert len(commits) == 1
    # Attaching again (a restart) keeps the rules: nothing to commit, and still open.
    world.fabric.attach(NETWORK_A, A1, A1_IP, US, external=world.nat_a1)
    world.firewall(A1, *first)
    assert len(commits) == 1
    with serving(world.ns(A1), PORT):
        assert seen_by(world.fabric, world.ns(A2), A1_IP) == str(A2_IP)
    world.firewall(A1, *first[1:])
    assert len(commits) == 2


def test_networks_stay_apart_whatever_the_rules(world: World) -> None:
    fabric = world.fabric
    everything = (ingress(0, ANYWHERE, protocol=None), egress(0, ANYWHERE, allow=True))
    for instance_id in (A1, A2, A3, B1):
        world.firewall(instance_id, *everything)
    with serving(world.ns(A1), PORT), serving(world.ns(B1), PORT):
        assert seen_by(fabric, world.ns(A3), A1_IP) == str(A3_IP)
        # 10.128.0.3 is B1 in network B; in network A nobody holds it.
        assert seen_by(fabric, world.ns(A1), B1_IP) == ""
        assert seen_by(fabric, world.ns(B1), A1_IP) == ""
        assert seen_by(fabric, world.ns(B1), world.nat_a1) == ""
    assert not ping(fabric, world.ns(A1), B1_IP)
    assert not ping(fabric, world.ns(B1), A1_IP)


def test_the_control_plane_meets_the_rules_like_any_source(world: World) -> None:
    fabric = world.fabric
    assert_ours(fabric, A1_IP)
    assert_host_route_is_ours(fabric, world.nat_a1)
    with serving(world.ns(A1), PORT):
        with pytest.raises(OSError):
            fabric.connect(NETWORK_A, A1_IP, PORT, timeout=REFUSED_AFTER)
        with pytest.raises(OSError):
            socket.create_connection((str(world.nat_a1), PORT), timeout=REFUSED_AFTER)
        world.firewall(A1, ingress(1000, US.gateway, fabric.host_address))
        with fabric.connect(NETWORK_A, A1_IP, PORT, timeout=5) as connection:
            assert read_line(connection) == str(US.gateway)
        with socket.create_connection((str(world.nat_a1), PORT), timeout=5) as connection:
            assert read_line(connection) == str(fabric.host_address)


def test_ipv6_cannot_go_around_the_filter(world: World) -> None:
    fabric = world.fabric
    a1, a3 = world.ns(A1), world.ns(A3)
    world.firewall(A1, ingress(0, ANYWHERE, protocol=None))
    world.firewall(A3, egress(0, ANYWHERE, allow=True))
    link_local = in_ns(a1, "ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link")
    assert "inet6 fe80:" in link_local.stdout, link_local.stdout
    # An address of the instance's own eth0, on the bridge this test's fabric made.
    target = link_local.stdout.split("inet6 ")[1].split("/")[0] + "%eth0"

    def ping6() -> bool:
        return in_ns(a3, "ping", "-6", "-c1", "-W1", target).returncode == 0

    assert not ping6()
    # Without the filters it would pass: remove them (as a crash might) and see.
    for netns in (a1, a3):
        assert in_ns(netns, "nft", "delete", "table", "inet", "nimbus").returncode == 0
    # Addresses may still be tentative: a few tries, each bounded by ping's own wait.
    assert any(ping6() for _ in range(5))
    # set_firewall finds the table gone and puts it back.
    world.firewall(A1, ingress(0, ANYWHERE, protocol=None))
    world.firewall(A3, egress(0, ANYWHERE, allow=True))
    assert not ping6()
    assert ping(fabric, a3, A1_IP)


def test_set_firewall_needs_an_attached_instance(world: World) -> None:
    with pytest.raises(InstanceNotFound):
        world.fabric.set_firewall("7999", InstanceFirewall())
    world.fabric.detach(A1)
    with pytest.raises(InstanceNotFound):
        world.fabric.set_firewall(A1, InstanceFirewall())
