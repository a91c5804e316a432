"""Firewall rule bodies checked as Google checks them (``services.compute.firewall_rules``)."""

from __future__ import annotations

from typing import Any

import pytest

from nimbus.core.errors import InvalidArgument
from nimbus.services.compute.firewall_rules import merged, parse_rule

SSH = {"name": "ssh", "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}]}


def test_defaults_are_googles() -> None:
    rule = parse_rule(SSH)
    assert (rule.priority, rule.direction, rule.disabled) == (1000, "INGRESS", False)
    assert rule.network == "global/networks/default"
    assert rule.source_ranges == ["0.0.0.0/0"] and rule.log_config == {"enable": False}
    tagged = parse_rule({**SSH, "sourceTags": ["bastion"]})
    assert tagged.source_ranges == []  # a source was given: no default range
    egress = parse_rule({**SSH, "direction": "EGRESS"})
    assert egress.destination_ranges == ["0.0.0.0/0"] and egress.source_ranges == []


def test_protocols_by_name_or_number_and_ports_only_where_they_mean_something() -> None:
    rule = parse_rule({"name": "n", "allowed": [
        {"IPProtocol": "TCP", "ports": ["80", "8000-8080"]},
        {"IPProtocol": "17", "ports": ["53"]},
        {"IPProtocol": "esp"},
    ]})  # fmt: skip
    assert [e["IPProtocol"] for e in rule.allowed] == ["tcp", "17", "esp"]
    assert rule.allowed[0]["ports"] == ["80", "8000-8080"]
    logged = parse_rule({**SSH, "logConfig": {"enable": True}})
    assert logged.log_config == {"enable": True, "metadata": "INCLUDE_ALL_METADATA"}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"allowed": [{"IPProtocol": "all", "ports": ["1"]}]}, "Ports may be given only"),
        ({"allowed": [{"IPProtocol": "256"}]}, "IP protocol number"),
        ({"allowed": [{"ports": ["22"]}]}, "IPProtocol' not specified"),
        ({"allowed": [{"IPProtocol": "tcp", "ports": ["90-80"]}]}, "range of ports"),
        (
            {**SSH, "targetServiceAccounts": ["a@p.iam.gserviceaccount.com"], "sourceTags": ["x"]},
            "targetServiceAccounts cannot be used",
        ),
        ({**SSH, "targetServiceAccounts": ["not-an-email"]}, "email address"),
        ({**SSH, "direction": "EGRESS", "sourceServiceAccounts": ["a@b.c"]}, "EGRESS"),
        ({**SSH, "direction": "SIDEWAYS"}, "INGRESS or EGRESS"),
        ({**SSH, "priority": -1}, "between 0 and 65535"),
        ({**SSH, "disabled": "yes"}, "resource.disabled"),
        ({**SSH, "logConfig": {"enable": False, "metadata": "INCLUDE_ALL_METADATA"}}, "enabled"),
        ({**SSH, "sourceTags": ["x"] * 31}, "limit is 30"),
        ({**SSH, "destinationRanges": ["10.0.0.300/8"]}, "destinationRanges[0]"),
    ],
)
def test_bad_bodies(body: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidArgument, match=words.replace("[", r"\[").replace("]", r"\]")):
        parse_rule({"name": "bad", **body})


def test_a_patch_merges_objects_and_replaces_lists() -> None:
    current = {"name": "r", "sourceRanges": ["10.0.0.0/8"], "logConfig": {"enable": True}}
    patch = {"sourceRanges": ["192.168.0.0/16"], "logConfig": {"metadata": "X"}, "x": None}
    assert merged(current, patch) == {
        "name": "r",
        "sourceRanges": ["192.168.0.0/16"],
        "logConfig": {"enable": True, "metadata": "X"},
    }
