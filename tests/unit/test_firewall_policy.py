"""Firewall rules compiled for one instance (``services.compute.firewall_policy``):
targets, sources resolved from tags and service accounts, priorities, disabled rules."""

from __future__ import annotations

import datetime as dt
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from nimbus.net.firewall import FirewallEntry, PortMatch
from nimbus.services.compute.firewall_policy import Member, NetworkPolicy
from nimbus.services.compute.firewall_rows import new_row
from nimbus.services.compute.firewall_rules import parse_rule
from nimbus.store.models import Firewall, Network

NETWORK = Network(id=7, name="vpc")
WEB = Member(7, 7, IPv4Address("10.0.0.2"), frozenset({"web"}), "web@p.iam.gserviceaccount.com")
DB = Member(8, 7, IPv4Address("10.0.0.3"), frozenset({"db"}), "db@p.iam.gserviceaccount.com")
BARE = Member(9, 7, IPv4Address("10.0.0.4"), frozenset(), None)


def rule(name: str, **body: Any) -> Firewall:
    fields = {"name": name, "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}], **body}
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return new_row(1, NETWORK, parse_rule(fields), now)


def entries(rules: list[Firewall], member: Member) -> tuple[FirewallEntry, ...]:
    return NetworkPolicy(rules, [WEB, DB, BARE]).firewall_for(member).entries


def test_a_rule_without_targets_applies_to_every_instance() -> None:
    rules = [rule("ssh", sourceRanges=["0.0.0.0/0"])]
    for member in (WEB, DB, BARE):
        (entry,) = entries(rules, member)
        assert entry == FirewallEntry(
            direction="INGRESS",
            priority=1000,
            allow=True,
            matches=(PortMatch("tcp", ((22, 22),)),),
            peers=(IPv4Network("0.0.0.0/0"),),
            name="ssh",
        )


def test_target_tags_and_target_service_accounts_pick_instances() -> None:
    rules = [
        rule("to-web", targetTags=["web"]),
        rule("to-db", targetServiceAccounts=["db@p.iam.gserviceaccount.com"]),
    ]
    assert [e.name for e in entries(rules, WEB)] == ["to-web"]
    assert [e.name for e in entries(rules, DB)] == ["to-db"]
    assert entries(rules, BARE) == ()


def test_source_tags_and_accounts_become_the_addresses_of_their_instances() -> None:
    rules = [
        rule("from-web", sourceTags=["web"], sourceRanges=["192.168.0.0/16"]),
        rule("from-db-account", sourceServiceAccounts=["db@p.iam.gserviceaccount.com"]),
        rule("from-nobody", sourceTags=["nobody"]),
    ]
    found = {e.name: e.peers for e in entries(rules, BARE)}
    assert found["from-web"] == (IPv4Network("10.0.0.2/32"), IPv4Network("192.168.0.0/16"))
    assert found["from-db-account"] == (IPv4Network("10.0.0.3/32"),)
    assert found["from-nobody"] == ()  # matches no one, as on Google


def test_disabled_rules_are_left_out_and_priorities_kept() -> None:
    rules = [
        rule("off", disabled=True),
        rule("deny-all", priority=100, allowed=None, denied=[{"IPProtocol": "all"}]),
        rule("web", priority=50, allowed=[{"IPProtocol": "tcp", "ports": ["8000-8080"]}]),
    ]
    found = entries(rules, WEB)
    assert [(e.name, e.priority, e.allow) for e in found] == [
        ("web", 50, True),
        ("deny-all", 100, False),
    ]
    assert found[0].matches == (PortMatch("tcp", ((8000, 8080),)),)
    assert found[1].matches == ()  # "all": every protocol


def test_egress_rules_match_destinations_and_local_sources() -> None:
    rules = [
        rule(
            "no-smtp",
            direction="EGRESS",
            allowed=None,
            denied=[{"IPProtocol": "tcp", "ports": ["25"]}, {"IPProtocol": "17"}],
            destinationRanges=["203.0.113.0/24", "2001:db8::/32"],
            sourceRanges=["10.0.0.0/24"],
        )
    ]
    (entry,) = entries(rules, DB)
    assert entry.direction == "EGRESS" and not entry.allow
    assert entry.peers == (IPv4Network("203.0.113.0/24"),)  # IPv6 matches nothing here
    assert entry.local == (IPv4Network("10.0.0.0/24"),)
    assert entry.matches == (PortMatch("tcp", ((25, 25),)), PortMatch("17"))


def test_the_digest_moves_with_rules_and_members_only() -> None:
    rules = [rule("ssh", targetTags=["web"])]
    first = NetworkPolicy(rules, [WEB, DB]).digest
    assert NetworkPolicy(list(rules), [DB, WEB]).digest == first
    retagged = Member(DB.id, 7, DB.address, frozenset({"web"}), DB.account)
    assert NetworkPolicy(rules, [WEB, retagged]).digest != first
    assert NetworkPolicy(rules, [WEB, DB, BARE]).digest != first
    assert NetworkPolicy([rule("ssh", targetTags=["db"])], [WEB, DB]).digest != first
    assert NetworkPolicy([rule("ssh", targetTags=["web"], disabled=True)], [WEB, DB]).digest != (
        first
    )
