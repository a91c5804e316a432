"""The firewall's values and the nft rule set they make (no kernel needed)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest

from nimbus.net.firewall import FirewallEntry, InstanceFirewall, PortMatch
from nimbus.net.instance_filter import ruleset

ANYWHERE = IPv4Network("0.0.0.0/0")


def chain(script: str, name: str) -> list[str]:
    body = script.split(f"chain {name} {{\n")[1].split("\n    }")[0]
    return [line.strip() for line in body.strip().splitlines()]


def test_protocols_by_name_or_number() -> None:
    assert PortMatch("tcp").number == 6
    assert PortMatch("ICMP").number == 1
    assert PortMatch("47").number == 47
    assert PortMatch("all").number is None
    assert PortMatch("sctp", ((9, 9),)).ports == ((9, 9),)


@pytest.mark.parametrize(
    "protocol, ports",
    [
        ("gre", ()),
        ("256", ()),
        ("-1", ()),
        ("icmp", ((1, 1),)),
        ("all", ((22, 22),)),
        ("tcp", ((0, 65536),)),
        ("tcp", ((90, 80),)),
    ],
)
def test_bad_port_matches_are_refused(protocol: str, ports: tuple[tuple[int, int], ...]) -> None:
    with pytest.raises(ValueError):
        PortMatch(protocol, ports)


def test_bad_entries_are_refused() -> None:
    with pytest.raises(ValueError):
        FirewallEntry("SIDEWAYS", 1000, True)
    with pytest.raises(ValueError):
        FirewallEntry("INGRESS", 65536, True)
    with pytest.raises(ValueError):
        FirewallEntry("INGRESS", 1000, True, name='x" accept')
    with pytest.raises(TypeError):
        FirewallEntry("INGRESS", 1000, True, peers=("0.0.0.0/0",))  # type: ignore[arg-type]


def test_no_entries_is_the_implied_rules() -> None:
    script, _ = ruleset(InstanceFirewall())
    assert chain(script, "ingress") == ["drop"]
    assert chain(script, "egress") == ["accept"]
    assert "meta nfproto ipv6 drop" in chain(script, "input")
    assert "ip daddr 169.254.169.254 udp dport { 53 } accept" in chain(script, "output")


def test_entries_are_ordered_by_priority_then_deny_first() -> None:
    allow = FirewallEntry("INGRESS", 1000, True, peers=(ANYWHERE,), name="allow")
    deny = FirewallEntry("INGRESS", 1000, False, peers=(ANYWHERE,), name="deny")
    first = FirewallEntry("INGRESS", 10, True, peers=(ANYWHERE,), name="first")
    script, digest = ruleset(InstanceFirewall((allow, deny, first)))
    names = [line.split('comment "')[1] for line in chain(script, "ingress")[:-1]]
    assert names == ['first"', 'deny"', 'allow"']
    assert ruleset(InstanceFirewall((first, deny, allow)))[1] == digest


def test_an_entry_becomes_one_rule_per_match() -> None:
    entry = FirewallEntry(
        "EGRESS",
        100,
        False,
        matches=(PortMatch("tcp", ((22, 22), (80, 90), (85, 100), (101, 101))), PortMatch("esp")),
        peers=(IPv4Network("10.0.0.0/8"), IPv4Network("10.128.0.0/9")),
        local=(IPv4Network(IPv4Address("10.128.0.2")),),
    )
    script, _ = ruleset(InstanceFirewall((entry,)))
    head = "ip daddr { 10.0.0.0/8 } ip saddr { 10.128.0.2/32 }"
    assert chain(script, "egress") == [
        f"{head} meta l4proto 6 th dport {{ 22, 80-101 }} drop",
        f"{head} meta l4proto 50 drop",
        "accept",
    ]


def test_an_entry_without_peers_matches_nothing() -> None:
    entry = FirewallEntry("INGRESS", 0, True, name="nobody")
    script, _ = ruleset(InstanceFirewall((entry,)))
    assert chain(script, "ingress") == ["drop"]
