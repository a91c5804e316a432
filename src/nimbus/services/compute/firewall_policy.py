"""Firewall rules compiled for one instance: the enabled rules of its network that target
it, with source tags and service accounts resolved to the addresses of the instances that
carry them, in the network layer's terms (``nimbus.net.firewall``).

A network's ``digest`` covers everything that can change what its instances get (its
rules, and the tags, accounts and addresses of its instances), so a controller can tell
cheaply when there is something to apply.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from ipaddress import IPv4Address, IPv4Network, ip_network
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from nimbus.net.firewall import EGRESS, INGRESS, FirewallEntry, InstanceFirewall, PortMatch
from nimbus.services.compute import instance_states as st
from nimbus.store.models import Firewall, Instance


@dataclass(frozen=True)
class Member:
    """An instance as firewall rules see it."""

    id: int
    network_id: int
    address: IPv4Address
    tags: frozenset[str]
    account: str | None

    @classmethod
    def of(cls, instance: Instance) -> Member:
        return cls.from_columns(
            instance.id,
            instance.network_id,
            instance.network_ip,
            instance.tags,
            instance.service_accounts,
        )

    @classmethod
    def from_columns(
        cls,
        instance_id: int,
        network_id: int,
        network_ip: str,
        tags: list[str] | None,
        accounts: list[dict[str, Any]] | None,
    ) -> Member:
        return cls(
            id=instance_id,
            network_id=network_id,
            address=IPv4Address(network_ip),
            tags=frozenset(tags or ()),
            account=accounts[0]["email"] if accounts else None,
        )

    @property
    def host(self) -> IPv4Network:
        return IPv4Network(self.address)


# Only what Member needs: the rest of an instance row is never decoded here.
_MEMBER_COLUMNS = (
    Instance.id,
    Instance.network_id,
    Instance.network_ip,
    Instance.tags,
    Instance.service_accounts,
)


@dataclass(frozen=True)
class CompiledRule:
    """A rule with everything that does not depend on the instance worked out."""

    name: str
    direction: str
    priority: int
    allow: bool
    matches: tuple[PortMatch, ...]
    ranges: tuple[IPv4Network, ...]  # INGRESS: source ranges; EGRESS: destination ranges
    local: tuple[IPv4Network, ...]  # INGRESS: destination ranges; EGRESS: source ranges
    source_tags: frozenset[str]
    source_accounts: frozenset[str]
    target_tags: frozenset[str]
    target_accounts: frozenset[str]

    @classmethod
    def of(cls, row: Firewall) -> CompiledRule:
        ingress = row.direction == INGRESS
        peers, local = (
            (row.source_ranges, row.destination_ranges)
            if ingress
            else (row.destination_ranges, row.source_ranges)
        )
        return cls(
            name=row.name,
            direction=INGRESS if ingress else EGRESS,
            priority=row.priority,
            allow=bool(row.allowed),
            matches=_matches(row.allowed or row.denied),
            ranges=_ipv4(peers),
            local=_ipv4(local),
            source_tags=frozenset(row.source_tags),
            source_accounts=frozenset(row.source_service_accounts),
            target_tags=frozenset(row.target_tags),
            target_accounts=frozenset(row.target_service_accounts),
        )

    def targets(self, member: Member) -> bool:
        """No target means every instance of the network."""
        if self.target_tags:
            return bool(self.target_tags & member.tags)
        if self.target_accounts:
            return member.account in self.target_accounts
        return True

    def selects(self, member: Member) -> bool:
        """Whether the member's address is a source of this rule."""
        return bool(self.source_tags & member.tags) or member.account in self.source_accounts


class NetworkPolicy:
    """The rules and members of one network. Rules are compiled (each rule's peers worked
    out once) on first use: a pass that only compares digests never pays for it."""

    def __init__(self, rules: Iterable[Firewall], members: Iterable[Member]) -> None:
        self._rows = sorted(rules, key=lambda row: row.name)
        self.members = {member.id: member for member in members}
        self.digest = _digest(self._rows, self.members.values())

    @cached_property
    def _entries(self) -> list[tuple[CompiledRule, FirewallEntry]]:
        compiled = [CompiledRule.of(row) for row in self._rows if not row.disabled]
        everyone = list(self.members.values())
        return [(rule, self._entry(rule, everyone)) for rule in compiled]

    def firewall_for(self, member: Member) -> InstanceFirewall:
        entries = [entry for rule, entry in self._entries if rule.targets(member)]
        entries.sort(key=lambda e: (e.direction, e.priority, e.allow, e.name))
        return InstanceFirewall(entries=tuple(entries))

    @staticmethod
    def _entry(rule: CompiledRule, members: list[Member]) -> FirewallEntry:
        peers = set(rule.ranges)
        if rule.source_tags or rule.source_accounts:
            peers |= {member.host for member in members if rule.selects(member)}
        return FirewallEntry(
            direction=rule.direction,
            priority=rule.priority,
            allow=rule.allow,
            matches=rule.matches,
            peers=tuple(sorted(peers)),
            local=rule.local,
            name=rule.name,
        )


def load_policies(session: Session, network_ids: Iterable[int]) -> dict[int, NetworkPolicy]:
    """The policies of some networks, in two queries."""
    wanted = sorted(set(network_ids))
    rules = session.scalars(select(Firewall).where(Firewall.network_id.in_(wanted)))
    instances = session.execute(
        select(*_MEMBER_COLUMNS).where(
            Instance.network_id.in_(wanted), Instance.desired_status != st.WANT_DELETED
        )
    )
    rules_of: dict[int, list[Firewall]] = {network_id: [] for network_id in wanted}
    members_of: dict[int, list[Member]] = {network_id: [] for network_id in wanted}
    for rule in rules:
        rules_of[rule.network_id].append(rule)
    for columns in instances:
        member = Member.from_columns(*columns)
        members_of[member.network_id].append(member)
    return {
        network_id: NetworkPolicy(rules_of[network_id], members_of[network_id])
        for network_id in wanted
    }


def instance_firewall(session: Session, instance: Instance) -> InstanceFirewall:
    """What the network layer must enforce for ``instance``."""
    policy = load_policies(session, [instance.network_id])[instance.network_id]
    return policy.firewall_for(Member.of(instance))


def firewall_digest(session: Session, network_id: int) -> str:
    """Changes whenever anything that affects the firewall of the network's instances does."""
    return load_policies(session, [network_id])[network_id].digest


def _digest(rules: list[Firewall], members: Iterable[Member]) -> str:
    described: list[object] = [
        [
            [row.name, row.priority, row.direction, row.allowed, row.denied, row.disabled],
            [row.source_ranges, row.destination_ranges, row.source_tags, row.target_tags],
            [row.source_service_accounts, row.target_service_accounts],
        ]
        for row in rules
    ]
    described.append(
        sorted([m.id, str(m.address), sorted(m.tags), m.account or ""] for m in members)
    )
    return hashlib.sha256(orjson.dumps(described)).hexdigest()[:16]


def _matches(entries: list[dict[str, object]]) -> tuple[PortMatch, ...]:
    protocols = [str(entry["IPProtocol"]).lower() for entry in entries]
    if "all" in protocols:
        return ()
    return tuple(
        PortMatch(protocol=protocol, ports=tuple(_port_range(p) for p in _ports(entry)))
        for protocol, entry in zip(protocols, entries, strict=True)
    )


def _ports(entry: dict[str, object]) -> list[str]:
    ports = entry.get("ports") or []
    return [str(port) for port in ports] if isinstance(ports, list) else []


def _port_range(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    return int(low), int(high or low)


def _ipv4(ranges: Iterable[str]) -> tuple[IPv4Network, ...]:
    """IPv4 ranges only: instance networks carry no IPv6 (such ranges match nothing)."""
    networks = {ip_network(text, strict=False) for text in ranges}
    return tuple(sorted(n for n in networks if isinstance(n, IPv4Network)))
