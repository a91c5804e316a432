"""A ``firewalls`` body checked as Google checks it, and reduced to a ``FirewallRule``.

Insert and update check a whole body; patch merges the body into the rule as it is and
checks the result, so that nothing is written unless the whole rule is valid.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace
from typing import Any

from nimbus.core.errors import InvalidArgument, RequiredField
from nimbus.services.compute.names import check_name

INGRESS = "INGRESS"
EGRESS = "EGRESS"
DEFAULT_PRIORITY = 1000
MAX_PRIORITY = 65535
ANYWHERE = "0.0.0.0/0"
PROTOCOLS = ("tcp", "udp", "icmp", "esp", "ah", "sctp", "ipip", "all")
# Only these carry ports (by name or by number).
PORTED = ("tcp", "udp", "sctp", "6", "17", "132")
LOG_METADATA = ("INCLUDE_ALL_METADATA", "EXCLUDE_ALL_METADATA")
# Google's limits per rule.
LIMITS = {
    "sourceRanges": 5000,
    "destinationRanges": 5000,
    "sourceTags": 30,
    "targetTags": 70,
    "sourceServiceAccounts": 10,
    "targetServiceAccounts": 10,
}
_PORT = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class FirewallRule:
    name: str
    network: str  # the reference as given (URL, partial URL or name)
    description: str = ""
    priority: int = DEFAULT_PRIORITY
    direction: str = INGRESS
    allowed: list[dict[str, Any]] = field(default_factory=list)
    denied: list[dict[str, Any]] = field(default_factory=list)
    source_ranges: list[str] = field(default_factory=list)
    destination_ranges: list[str] = field(default_factory=list)
    source_tags: list[str] = field(default_factory=list)
    target_tags: list[str] = field(default_factory=list)
    source_service_accounts: list[str] = field(default_factory=list)
    target_service_accounts: list[str] = field(default_factory=list)
    disabled: bool = False
    log_config: dict[str, Any] = field(default_factory=lambda: {"enable": False})


def parse_rule(body: dict[str, Any]) -> FirewallRule:
    """A whole rule (insert and update)."""
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise RequiredField("Required field 'resource.name' not specified")
    check_name(name)
    direction = body.get("direction") or INGRESS
    if direction not in (INGRESS, EGRESS):
        raise InvalidArgument(
            f"Invalid value for field 'resource.direction': '{direction}'. "
            "Must be INGRESS or EGRESS."
        )
    allowed = _entries(body.get("allowed"), "allowed")
    denied = _entries(body.get("denied"), "denied")
    if allowed and denied:
        raise InvalidArgument(
            f"Invalid value for field 'resource.denied': '{body.get('denied')}'. A firewall "
            "rule has either allowed or denied entries, not both."
        )
    if not allowed and not denied:
        raise RequiredField(
            "Required field 'resource.allowed' not specified: a firewall rule needs allowed "
            "or denied entries."
        )
    rule = FirewallRule(
        name=name,
        network=_text(body.get("network") or "global/networks/default", "network"),
        description=_text(body.get("description") or "", "description"),
        priority=_priority(body.get("priority", DEFAULT_PRIORITY)),
        direction=direction,
        allowed=allowed,
        denied=denied,
        source_ranges=_ranges(body.get("sourceRanges"), "sourceRanges"),
        destination_ranges=_ranges(body.get("destinationRanges"), "destinationRanges"),
        source_tags=_tags(body.get("sourceTags"), "sourceTags"),
        target_tags=_tags(body.get("targetTags"), "targetTags"),
        source_service_accounts=_accounts(body.get("sourceServiceAccounts"), "source"),
        target_service_accounts=_accounts(body.get("targetServiceAccounts"), "target"),
        disabled=_flag(body.get("disabled", False), "disabled"),
        log_config=_log_config(body.get("logConfig")),
    )
    _check_sources(rule)
    return _with_default_ranges(rule)


def merged(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7386) of a rule's fields: a null removes a field, lists and
    scalars replace, objects merge."""
    result = dict(current)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise InvalidArgument(f"Invalid value for field 'resource.{name}': '{value}'.")
    return value


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgument(f"Invalid value for field 'resource.{name}': '{value}'.")
    return value


def _priority(value: object) -> int:
    try:
        priority = int(str(value))
    except ValueError:
        priority = -1
    if isinstance(value, bool) or not 0 <= priority <= MAX_PRIORITY:
        raise InvalidArgument(
            f"Invalid value for field 'resource.priority': '{value}'. "
            f"Must be between 0 and {MAX_PRIORITY}."
        )
    return priority


def _list(value: object, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidArgument(f"Invalid value for field 'resource.{name}': '{value}'.")
    if len(value) > LIMITS.get(name, len(value)):
        raise InvalidArgument(
            f"Invalid value for field 'resource.{name}': too many values "
            f"({len(value)}); the limit is {LIMITS[name]}."
        )
    return value


def _entries(value: object, kind: str) -> list[dict[str, Any]]:
    clean = []
    for index, entry in enumerate(_list(value, kind)):
        where = f"resource.{kind}[{index}]"
        if not isinstance(entry, dict):
            raise InvalidArgument(f"Invalid value for field '{where}': '{entry}'.")
        protocol = _protocol(entry.get("IPProtocol"), where)
        ports = [_port_range(p, f"{where}.ports[{i}]") for i, p in enumerate(_ports(entry, where))]
        if ports and protocol not in PORTED:
            raise InvalidArgument(
                f"Invalid value for field '{where}.ports[0]': '{ports[0]}'. Ports may be "
                "given only for the tcp, udp and sctp protocols."
            )
        clean.append({"IPProtocol": protocol, **({"ports": ports} if ports else {})})
    return clean


def _ports(entry: dict[str, Any], where: str) -> list[Any]:
    ports = entry.get("ports") or []
    if not isinstance(ports, list):
        raise InvalidArgument(f"Invalid value for field '{where}.ports': '{ports}'.")
    return ports


def _protocol(value: object, where: str) -> str:
    if value is None or value == "":
        raise RequiredField(f"Required field '{where}.IPProtocol' not specified")
    protocol = str(value).lower()
    if protocol in PROTOCOLS or (protocol.isdigit() and int(protocol) <= 255):
        return protocol
    raise InvalidArgument(
        f"Invalid value for field '{where}.IPProtocol': '{value}'. Must be one of "
        f"[{', '.join(PROTOCOLS)}] or an IP protocol number."
    )


def _port_range(value: object, where: str) -> str:
    match = _PORT.match(str(value))
    low = int(match[1]) if match else -1
    high = int(match[2] or match[1]) if match else -1
    if not match or not 0 <= low <= high <= 65535:
        raise InvalidArgument(
            f"Invalid value for field '{where}': '{value}'. Must be a port or a range of "
            "ports between 0 and 65535, e.g. '22' or '8000-8080'."
        )
    return str(value)


def _ranges(value: object, name: str) -> list[str]:
    clean = []
    for index, text in enumerate(_list(value, name)):
        try:
            ipaddress.ip_network(str(text), strict=False)
        except ValueError as error:
            raise InvalidArgument(
                f"Invalid value for field 'resource.{name}[{index}]': '{text}'. "
                "Must be a valid IPV4 or IPV6 CIDR address range."
            ) from error
        clean.append(str(text))
    return clean


def _tags(value: object, name: str) -> list[str]:
    tags = [str(tag) for tag in _list(value, name)]
    for index, tag in enumerate(tags):
        check_name(tag, f"resource.{name}[{index}]")
    return tags


def _accounts(value: object, side: str) -> list[str]:
    name = f"{side}ServiceAccounts"
    accounts = [str(account) for account in _list(value, name)]
    for index, account in enumerate(accounts):
        if not _EMAIL.match(account):
            raise InvalidArgument(
                f"Invalid value for field 'resource.{name}[{index}]': '{account}'. "
                "Must be the email address of a service account."
            )
    return accounts


def _log_config(value: object) -> dict[str, Any]:
    if value is None:
        return {"enable": False}
    if not isinstance(value, dict):
        raise InvalidArgument(f"Invalid value for field 'resource.logConfig': '{value}'.")
    enable = _flag(value.get("enable", False), "logConfig.enable")
    metadata = value.get("metadata")
    if metadata is not None and not enable:
        raise InvalidArgument(
            f"Invalid value for field 'resource.logConfig.metadata': '{metadata}'. "
            "Metadata can be set only when logging is enabled."
        )
    if metadata is not None and metadata not in LOG_METADATA:
        raise InvalidArgument(
            f"Invalid value for field 'resource.logConfig.metadata': '{metadata}'."
        )
    if not enable:
        return {"enable": False}
    return {"enable": True, "metadata": metadata or LOG_METADATA[0]}


def _check_sources(rule: FirewallRule) -> None:
    """Google's combinations: no source tags or accounts on EGRESS rules, and tags never
    mixed with service accounts."""
    if rule.direction == EGRESS:
        for name, values in (
            ("sourceTags", rule.source_tags),
            ("sourceServiceAccounts", rule.source_service_accounts),
        ):
            if values:
                raise InvalidArgument(
                    f"Invalid value for field 'resource.{name}[0]': '{values[0]}'. "
                    f"{name} cannot be used in EGRESS rules."
                )
    tags = rule.source_tags or rule.target_tags
    for name, values in (
        ("sourceServiceAccounts", rule.source_service_accounts),
        ("targetServiceAccounts", rule.target_service_accounts),
    ):
        if values and tags:
            raise InvalidArgument(
                f"Invalid value for field 'resource.{name}[0]': '{values[0]}'. {name} "
                "cannot be used at the same time as sourceTags or targetTags."
            )


def _with_default_ranges(rule: FirewallRule) -> FirewallRule:
    """An INGRESS rule without any source comes from anywhere; an EGRESS rule without
    destinations goes anywhere (Google stores 0.0.0.0/0 in both cases)."""
    sources = rule.source_ranges or rule.source_tags or rule.source_service_accounts
    if rule.direction == INGRESS and not sources:
        return replace(rule, source_ranges=[ANYWHERE])
    if rule.direction == EGRESS and not rule.destination_ranges:
        return replace(rule, destination_ranges=[ANYWHERE])
    return rule
