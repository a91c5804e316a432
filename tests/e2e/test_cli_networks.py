"""``nimbus compute networks``, ``networks subnets`` and ``firewall-rules`` as a student types
them from a course (fake runtime), and an instance on a subnet with a fixed address."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.conftest import CliResult
from tests.e2e.expect import failed_in_one_line, nimbus, ok

Cli = Callable[..., CliResult]
REGION = "us-central1"
ZONE = "us-central1-a"


def test_a_custom_network_its_subnet_and_its_firewall_rules(cli: Cli, project: str) -> None:
    p = f"--project={project}"
    created = ok(cli, f"compute networks create lab-net --subnet-mode=custom {p} "
                      "--bgp-routing-mode=global --mtu=1500")  # fmt: skip
    assert "Created [" in created.stderr and "firewall-rules create" in created.stderr
    header, row = created.stdout.splitlines()
    assert header.split() == ["NAME", "SUBNET_MODE", "BGP_ROUTING_MODE", "IPV4_RANGE",
                              "GATEWAY_IPV4"]  # fmt: skip
    assert row.split() == ["lab-net", "CUSTOM", "GLOBAL"]

    subnet = ok(cli, f"compute networks subnets create lab-subnet --network=lab-net "
                     f"--range=10.10.0.0/24 --region={REGION} {p}")  # fmt: skip
    assert subnet.stdout.splitlines()[1].split() == [
        "lab-subnet", REGION, "lab-net", "10.10.0.0/24", "IPV4_ONLY"
    ]  # fmt: skip
    listed = ok(cli, f"compute networks subnets list --network=lab-net {p} "
                     "--format=value(name,ipCidrRange)")  # fmt: skip
    assert listed.stdout.split() == ["lab-subnet", "10.10.0.0/24"]
    ok(cli, f"compute networks subnets update lab-subnet --region={REGION} "
            f"--description=students {p}")  # fmt: skip
    described = ok(cli, f"compute networks subnets describe lab-subnet --region={REGION} {p} "
                        "--format=json")  # fmt: skip
    assert json.loads(described.stdout)["description"] == "students"

    rule = ok(cli, f"compute firewall-rules create lab-allow-ssh --network=lab-net "
                   f"--allow=tcp:22,tcp:80-81,icmp --source-ranges=0.0.0.0/0 "
                   f"--target-tags=ssh {p}")  # fmt: skip
    header, row = rule.stdout.splitlines()
    assert header.split() == ["NAME", "NETWORK", "DIRECTION", "PRIORITY", "ALLOW", "DENY",
                              "DISABLED"]  # fmt: skip
    assert row.split() == ["lab-allow-ssh", "lab-net", "INGRESS", "1000",
                           "tcp:22,tcp:80-81,icmp", "False"]  # fmt: skip
    ok(cli, f"compute firewall-rules create lab-deny-out --network=lab-net --direction=OUT "
            f"--action=DENY --rules=udp:53 --destination-ranges=192.0.2.53/32 "
            f"--priority=10 {p}")  # fmt: skip
    ok(cli, f"compute firewall-rules update lab-allow-ssh --priority=900 --disabled "
            f"--source-ranges=10.0.0.0/8 {p}")  # fmt: skip
    shown = json.loads(ok(cli, f"compute firewall-rules describe lab-allow-ssh {p} "
                               "--format=json").stdout)  # fmt: skip
    assert (shown["priority"], shown["disabled"], shown["sourceRanges"]) == (
        900,
        True,
        ["10.0.0.0/8"],
    )
    assert shown["targetTags"] == ["ssh"]
    rules = ok(cli, f"compute firewall-rules list {p} --filter=network:lab-net "
                    "--format=value(name,direction,priority)")  # fmt: skip
    assert rules.stdout.splitlines() == [
        "lab-allow-ssh\tINGRESS\t900", "lab-deny-out\tEGRESS\t10"
    ]  # fmt: skip

    vm = ok(cli, f"compute instances create lab-vm --zone={ZONE} --subnet=lab-subnet "
                 f"--private-network-ip=10.10.0.20 --tags=ssh {p}")  # fmt: skip
    assert "10.10.0.20" in vm.stdout
    nic = json.loads(ok(cli, f"compute instances describe lab-vm --zone={ZONE} {p} "
                             "--format=json").stdout)["networkInterfaces"][0]  # fmt: skip
    assert nic["network"].endswith("/global/networks/lab-net")
    assert nic["subnetwork"].endswith(f"/regions/{REGION}/subnetworks/lab-subnet")

    in_use = nimbus(cli, f"compute networks subnets delete lab-subnet --region={REGION} "
                         f"--quiet {p}")  # fmt: skip
    assert "already being used by" in failed_in_one_line(in_use, "compute.networks.subnets.delete")
    ok(cli, f"compute instances delete lab-vm --zone={ZONE} --quiet {p}")
    ok(cli, f"compute firewall-rules delete lab-allow-ssh lab-deny-out --quiet {p}")
    ok(cli, f"compute networks subnets delete lab-subnet --region={REGION} --quiet {p}")
    ok(cli, f"compute networks delete lab-net --quiet {p}")
    networks = ok(cli, f"compute networks list {p} --format=value(name,x_gcloud_subnet_mode)")
    assert networks.stdout.split() == ["default", "AUTO"]


def test_the_default_rules_are_listed_like_gclouds(cli: Cli, project: str) -> None:
    listed = ok(cli, f"compute firewall-rules list --project={project}")
    rows = [line.split() for line in listed.stdout.splitlines()[1:]]
    assert rows == [
        ["default-allow-icmp", "default", "INGRESS", "65534", "icmp", "False"],
        ["default-allow-internal", "default", "INGRESS", "65534", "tcp:0-65535,udp:0-65535,icmp",
         "False"],
        ["default-allow-rdp", "default", "INGRESS", "65534", "tcp:3389", "False"],
        ["default-allow-ssh", "default", "INGRESS", "65534", "tcp:22", "False"],
    ]  # fmt: skip
    assert "--format=json" in listed.stderr


def test_bad_input_is_one_line(cli: Cli, project: str) -> None:
    p = f"--project={project}"
    cases = [
        (f"compute networks create bad --subnet-mode=legacy {p}", "compute.networks.create",
         "legacy"),
        (f"compute networks subnets create s --network=default --range=10.0.0.0/33 "
         f"--region={REGION} {p}", "compute.networks.subnets.create", "10.0.0.0/33"),
        (f"compute networks subnets create s --network=default --range=10.128.0.0/24 "
         f"--region={REGION} {p}", "compute.networks.subnets.create", "conflicts"),
        (f"compute firewall-rules create r --allow=tcp:22 --action=ALLOW --rules=tcp:22 {p}",
         "compute.firewall-rules.create", "--rules and --allow"),
        (f"compute firewall-rules create r {p}", "compute.firewall-rules.create",
         "--action or --allow"),
        (f"compute firewall-rules create r --allow=tcp:22 --source-ranges=10.0.0.0/33 {p}",
         "compute.firewall-rules.create", "CIDR"),
        (f"compute firewall-rules create r --allow=tcp:22 --direction=OUT --source-tags=web {p}",
         "compute.firewall-rules.create", "EGRESS"),
        (f"compute networks delete default --quiet {p}", "compute.networks.delete",
         "already being used by"),
    ]  # fmt: skip
    for command, name, words in cases:
        line = failed_in_one_line(nimbus(cli, command), name)
        assert words in line, line
    rules = ok(cli, f"compute firewall-rules list {p} --format=value(name)")
    assert len(rules.stdout.split()) == 4  # nothing was made
