"""VPC networks, subnetworks and firewall rules through the official google-cloud-compute
clients (REST), on the fake runtime: the happy paths, and bad input that is a clear 4xx
and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import compute_v1
from google.oauth2 import service_account

from tests.servers import NimbusServer

REGION = "us-central1"
ZONE = "us-central1-a"
DEBIAN_12 = "projects/debian-cloud/global/images/family/debian-12"


class Clients:
    def __init__(self, server: NimbusServer, credentials: service_account.Credentials) -> None:
        options = {"api_endpoint": server.url}

        def make(kind: Any) -> Any:
            return kind(credentials=credentials, transport="rest", client_options=options)

        self.networks: compute_v1.NetworksClient = make(compute_v1.NetworksClient)
        self.subnets: compute_v1.SubnetworksClient = make(compute_v1.SubnetworksClient)
        self.firewalls: compute_v1.FirewallsClient = make(compute_v1.FirewallsClient)
        self.instances: compute_v1.InstancesClient = make(compute_v1.InstancesClient)
        self.zone_operations: compute_v1.ZoneOperationsClient = make(
            compute_v1.ZoneOperationsClient
        )


@pytest.fixture
def clients(server: NimbusServer, owner_credentials: service_account.Credentials) -> Clients:
    return Clients(server, owner_credentials)


def custom_network(clients: Clients, project: str, name: str = "vpc") -> None:
    network = compute_v1.Network(name=name, auto_create_subnetworks=False, mtu=1500)
    done(clients.networks.insert_unary(project=project, network_resource=network))


def add_subnet(clients: Clients, project: str, name: str, cidr: str, network: str = "vpc") -> None:
    subnet = compute_v1.Subnetwork(
        name=name, network=f"global/networks/{network}", ip_cidr_range=cidr
    )
    done(clients.subnets.insert_unary(project=project, region=REGION, subnetwork_resource=subnet))


def add_firewall(clients: Clients, project: str, **fields: Any) -> None:
    rule = compute_v1.Firewall(**fields)
    done(clients.firewalls.insert_unary(project=project, firewall_resource=rule))


def instance_body(name: str, interface: compute_v1.NetworkInterface) -> compute_v1.Instance:
    return compute_v1.Instance(
        name=name,
        machine_type=f"zones/{ZONE}/machineTypes/e2-small",
        disks=[
            compute_v1.AttachedDisk(
                boot=True,
                auto_delete=True,
                initialize_params=compute_v1.AttachedDiskInitializeParams(source_image=DEBIAN_12),
            )
        ],
        network_interfaces=[interface],
    )


def done(operation: compute_v1.Operation) -> None:
    """Networks, subnetworks and firewall rules change at once: born DONE."""
    assert operation.status == compute_v1.Operation.Status.DONE, operation


def names(listed: Any) -> list[str]:
    return [item.name for item in listed]


# -- networks and subnetworks ----------------------------------------------------------------


def test_a_custom_network_with_its_subnetworks(clients: Clients, project: str) -> None:
    custom_network(clients, project)
    vpc = clients.networks.get(project=project, network="vpc")
    assert not vpc.auto_create_subnetworks and vpc.mtu == 1500 and not vpc.subnetworks
    assert vpc.routing_config.routing_mode == "REGIONAL"
    assert names(clients.networks.list(project=project)) == ["default", "vpc"]

    add_subnet(clients, project, "web", "10.0.0.0/24")
    add_subnet(clients, project, "db", "10.0.1.0/24")
    web = clients.subnets.get(project=project, region=REGION, subnetwork="web")
    assert (web.ip_cidr_range, web.gateway_address) == ("10.0.0.0/24", "10.0.0.1")
    assert web.network.endswith(f"/projects/{project}/global/networks/vpc")
    assert web.self_link.endswith(f"/regions/{REGION}/subnetworks/web")
    listed = names(clients.subnets.list(project=project, region=REGION))
    assert listed == ["db", "default", "web"]
    vpc = clients.networks.get(project=project, network="vpc")
    assert sorted(link.rsplit("/", 1)[-1] for link in vpc.subnetworks) == ["db", "web"]
    aggregated = dict(clients.subnets.aggregated_list(project=project))
    assert names(aggregated[f"regions/{REGION}"].subnetworks) == ["db", "default", "web"]
    assert len(aggregated) == 17

    patch = compute_v1.Subnetwork(description="frontends", fingerprint=web.fingerprint)
    done(
        clients.subnets.patch_unary(
            project=project, region=REGION, subnetwork="web", subnetwork_resource=patch
        )
    )
    assert clients.subnets.get(project=project, region=REGION, subnetwork="web").description
    with pytest.raises(exceptions.PreconditionFailed):  # the fingerprint is stale now
        clients.subnets.patch_unary(
            project=project, region=REGION, subnetwork="web", subnetwork_resource=patch
        )

    routing = compute_v1.Network(
        description="mine", routing_config=compute_v1.NetworkRoutingConfig(routing_mode="GLOBAL")
    )
    done(clients.networks.patch_unary(project=project, network="vpc", network_resource=routing))
    vpc = clients.networks.get(project=project, network="vpc")
    assert vpc.description == "mine" and vpc.routing_config.routing_mode == "GLOBAL"

    with pytest.raises(exceptions.BadRequest, match="already being used by"):
        clients.networks.delete_unary(project=project, network="vpc")
    for subnet in ("web", "db"):
        done(clients.subnets.delete_unary(project=project, region=REGION, subnetwork=subnet))
    done(clients.networks.delete_unary(project=project, network="vpc"))
    assert names(clients.networks.list(project=project)) == ["default"]


def test_an_auto_mode_network_has_a_subnet_in_every_region(clients: Clients, project: str) -> None:
    auto = compute_v1.Network(name="auto", auto_create_subnetworks=True)
    done(clients.networks.insert_unary(project=project, network_resource=auto))
    found = clients.networks.get(project=project, network="auto")
    assert found.auto_create_subnetworks and len(found.subnetworks) == 17
    central = clients.subnets.get(project=project, region=REGION, subnetwork="auto")
    assert central.ip_cidr_range == "10.128.0.0/20"
    # Its block is its own; other ranges may join it, and must leave before it goes.
    with pytest.raises(exceptions.BadRequest, match=r"10\.128\.0\.0/9"):
        add_subnet(clients, project, "inside", "10.200.8.0/24", network="auto")
    add_subnet(clients, project, "extra", "192.168.5.0/24", network="auto")
    with pytest.raises(exceptions.BadRequest, match="Cannot delete auto subnetwork"):
        clients.subnets.delete_unary(project=project, region=REGION, subnetwork="auto")
    with pytest.raises(exceptions.BadRequest, match="subnetworks/extra"):
        clients.networks.delete_unary(project=project, network="auto")
    done(clients.subnets.delete_unary(project=project, region=REGION, subnetwork="extra"))
    done(clients.networks.delete_unary(project=project, network="auto"))
    assert "auto" not in names(clients.subnets.list(project=project, region=REGION))


def test_the_default_network_can_go_for_good(clients: Clients, project: str) -> None:
    for rule in clients.firewalls.list(project=project):
        done(clients.firewalls.delete_unary(project=project, firewall=rule.name))
    done(clients.networks.delete_unary(project=project, network="default"))
    assert names(clients.networks.list(project=project)) == []
    assert names(clients.firewalls.list(project=project)) == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"name": "legacy", "I_pv4_range": "10.0.0.0/16"}, "Legacy networks"),
        ({"name": "legacy"}, "autoCreateSubnetworks"),
        ({"name": "Bad_Name", "auto_create_subnetworks": False}, "Must be a match of regex"),
        ({"name": "tiny", "auto_create_subnetworks": False, "mtu": 9000}, "between 1300"),
    ],
)
def test_bad_networks_change_nothing(
    clients: Clients, project: str, body: dict[str, Any], words: str
) -> None:
    before = names(clients.networks.list(project=project))
    with pytest.raises(exceptions.BadRequest, match=words):
        clients.networks.insert_unary(project=project, network_resource=compute_v1.Network(**body))
    assert names(clients.networks.list(project=project)) == before


@pytest.mark.parametrize(
    ("cidr", "words"),
    [
        ("10.0.0.0/33", "Must be a valid IPv4 CIDR range"),
        ("10.0.0.0/30", "between /8 and /29"),
        ("10.0.0.5/24", "network address"),
        ("8.8.8.0/24", "private range"),
        ("10.0.0.128/25", "conflicts with existing subnetwork 'web'"),
    ],
)
def test_bad_subnetworks_change_nothing(
    clients: Clients, project: str, cidr: str, words: str
) -> None:
    custom_network(clients, project)
    add_subnet(clients, project, "web", "10.0.0.0/24")
    before = names(clients.subnets.list(project=project, region=REGION))
    with pytest.raises(exceptions.BadRequest, match=words):
        add_subnet(clients, project, "other", cidr)
    assert names(clients.subnets.list(project=project, region=REGION)) == before


def test_a_subnet_may_reuse_a_range_of_another_network(clients: Clients, project: str) -> None:
    custom_network(clients, project, "one")
    custom_network(clients, project, "two")
    add_subnet(clients, project, "a", "10.0.0.0/24", network="one")
    add_subnet(clients, project, "b", "10.0.0.0/24", network="two")
    with pytest.raises(exceptions.BadRequest, match="cannot be found"):
        add_subnet(clients, project, "c", "10.9.0.0/24", network="nowhere")


# -- firewall rules ------------------------------------------------------------------------


def test_the_default_network_has_googles_four_rules(clients: Clients, project: str) -> None:
    rules = {rule.name: rule for rule in clients.firewalls.list(project=project)}
    assert sorted(rules) == [
        "default-allow-icmp", "default-allow-internal", "default-allow-rdp", "default-allow-ssh"
    ]  # fmt: skip
    internal = rules["default-allow-internal"]
    assert list(internal.source_ranges) == ["10.128.0.0/9"] and internal.priority == 65534
    assert [(a.I_p_protocol, list(a.ports)) for a in internal.allowed] == [
        ("tcp", ["0-65535"]), ("udp", ["0-65535"]), ("icmp", [])
    ]  # fmt: skip
    ssh = rules["default-allow-ssh"]
    assert list(ssh.source_ranges) == ["0.0.0.0/0"] and ssh.direction == "INGRESS"
    assert ssh.network.endswith(f"/projects/{project}/global/networks/default")


def test_a_firewall_rule_from_insert_to_delete(clients: Clients, project: str) -> None:
    add_firewall(
        clients,
        project,
        name="allow-web",
        network="global/networks/default",
        allowed=[compute_v1.Allowed(I_p_protocol="tcp", ports=["80", "8000-8080"])],
        target_tags=["web"],
        description="web servers",
    )
    rule = clients.firewalls.get(project=project, firewall="allow-web")
    assert rule.priority == 1000 and rule.direction == "INGRESS" and not rule.disabled
    assert list(rule.source_ranges) == ["0.0.0.0/0"]  # Google's default source
    assert list(rule.target_tags) == ["web"] and not rule.log_config.enable
    assert rule.self_link.endswith(f"/projects/{project}/global/firewalls/allow-web")

    patch = compute_v1.Firewall(source_ranges=["10.0.0.0/8"], priority=900, disabled=True)
    done(
        clients.firewalls.patch_unary(
            project=project, firewall="allow-web", firewall_resource=patch
        )
    )
    rule = clients.firewalls.get(project=project, firewall="allow-web")
    assert list(rule.source_ranges) == ["10.0.0.0/8"] and rule.priority == 900 and rule.disabled
    assert list(rule.target_tags) == ["web"]  # a patch keeps what it does not name

    whole = compute_v1.Firewall(
        name="allow-web",
        network="global/networks/default",
        denied=[compute_v1.Denied(I_p_protocol="udp")],
        source_tags=["batch"],
    )
    done(
        clients.firewalls.update_unary(
            project=project, firewall="allow-web", firewall_resource=whole
        )
    )
    rule = clients.firewalls.get(project=project, firewall="allow-web")
    assert not rule.allowed and [d.I_p_protocol for d in rule.denied] == ["udp"]
    assert not rule.target_tags and list(rule.source_tags) == ["batch"]
    assert not rule.source_ranges and rule.priority == 1000  # an update replaces everything

    egress = compute_v1.Firewall(
        name="no-smtp",
        direction="EGRESS",
        denied=[compute_v1.Denied(I_p_protocol="tcp", ports=["25"])],
        target_service_accounts=["app@demo.iam.gserviceaccount.com"],
    )
    done(clients.firewalls.insert_unary(project=project, firewall_resource=egress))
    assert list(clients.firewalls.get(project=project, firewall="no-smtp").destination_ranges) == [
        "0.0.0.0/0"
    ]
    with pytest.raises(exceptions.BadRequest, match="global/firewalls/allow-web"):
        clients.networks.delete_unary(project=project, network="default")
    for name in ("allow-web", "no-smtp"):
        done(clients.firewalls.delete_unary(project=project, firewall=name))
    with pytest.raises(exceptions.NotFound):
        clients.firewalls.get(project=project, firewall="allow-web")


TCP_22 = {"allowed": [{"I_p_protocol": "tcp", "ports": ["22"]}]}


@pytest.mark.parametrize(
    ("fields", "error", "words"),
    [
        ({**TCP_22, "source_ranges": ["10.0.0.0/33"]}, exceptions.BadRequest, "CIDR"),
        (
            {**TCP_22, "denied": [{"I_p_protocol": "udp"}]},
            exceptions.BadRequest,
            "not both",
        ),
        (
            {**TCP_22, "direction": "EGRESS", "source_tags": ["web"]},
            exceptions.BadRequest,
            "EGRESS",
        ),
        (
            {**TCP_22, "target_tags": ["web"], "source_service_accounts": ["a@b.iam.com"]},
            exceptions.BadRequest,
            "cannot be used at the same time",
        ),
        ({**TCP_22, "priority": 70000}, exceptions.BadRequest, "between 0 and 65535"),
        ({"allowed": [{"I_p_protocol": "tcpx"}]}, exceptions.BadRequest, "protocol number"),
        ({"allowed": [{"I_p_protocol": "icmp", "ports": ["1"]}]}, exceptions.BadRequest, "Ports"),
        ({"allowed": [{"I_p_protocol": "tcp", "ports": ["70000"]}]}, exceptions.BadRequest, "port"),
        ({}, exceptions.BadRequest, "allowed or denied"),
        (
            {**TCP_22, "network": "global/networks/nowhere"},
            exceptions.BadRequest,
            "cannot be found",
        ),
        ({**TCP_22, "name": "default-allow-ssh"}, exceptions.Conflict, "already exists"),
    ],
)
def test_bad_firewall_rules_change_nothing(
    clients: Clients, project: str, fields: dict[str, Any], error: type[Exception], words: str
) -> None:
    before = [(r.name, r.priority) for r in clients.firewalls.list(project=project)]
    rule = compute_v1.Firewall(**{"name": "bad", **fields})
    with pytest.raises(error, match=words):
        clients.firewalls.insert_unary(project=project, firewall_resource=rule)
    assert [(r.name, r.priority) for r in clients.firewalls.list(project=project)] == before


def test_a_bad_patch_changes_nothing(clients: Clients, project: str) -> None:
    before = clients.firewalls.get(project=project, firewall="default-allow-ssh")
    for patch in (
        compute_v1.Firewall(source_ranges=["300.0.0.0/8"]),
        compute_v1.Firewall(direction="EGRESS"),
        compute_v1.Firewall(network="global/networks/elsewhere"),
    ):
        with pytest.raises(exceptions.BadRequest):
            clients.firewalls.patch_unary(
                project=project, firewall="default-allow-ssh", firewall_resource=patch
            )
    assert clients.firewalls.get(project=project, firewall="default-allow-ssh") == before


def test_request_id_makes_a_firewall_insert_idempotent(clients: Clients, project: str) -> None:
    request = compute_v1.InsertFirewallRequest(
        project=project,
        firewall_resource=compute_v1.Firewall(name="once", **TCP_22),
        request_id="4d1f7a52-2f8c-4b6e-9d1e-2b1f0c3a9e77",
    )
    first = clients.firewalls.insert_unary(request=request)
    again = clients.firewalls.insert_unary(request=request)
    assert first.name == again.name


# -- instances on networks of their own ----------------------------------------------------


def interface(**fields: str) -> compute_v1.NetworkInterface:
    return compute_v1.NetworkInterface(**fields)


def create(clients: Clients, project: str, name: str, nic: compute_v1.NetworkInterface) -> Any:
    operation = clients.instances.insert_unary(
        project=project, zone=ZONE, instance_resource=instance_body(name, nic)
    )
    while operation.status != compute_v1.Operation.Status.DONE:
        operation = clients.zone_operations.wait(
            project=project, zone=ZONE, operation=operation.name
        )
    assert not operation.error.errors, operation.error
    return clients.instances.get(project=project, zone=ZONE, instance=name)


def test_instances_on_a_custom_subnet_with_static_addresses(clients: Clients, project: str) -> None:
    custom_network(clients, project)
    add_subnet(clients, project, "web", "10.0.0.0/24")
    fixed = create(clients, project, "fixed", interface(subnetwork="web", network_i_p="10.0.0.10"))
    nic = fixed.network_interfaces[0]
    assert nic.network_i_p == "10.0.0.10"
    assert nic.network.endswith(f"/projects/{project}/global/networks/vpc")
    assert nic.subnetwork.endswith(f"/projects/{project}/regions/{REGION}/subnetworks/web")
    chosen = create(
        clients,
        project,
        "chosen",
        interface(network="global/networks/vpc", subnetwork=f"regions/{REGION}/subnetworks/web"),
    )
    assert chosen.network_interfaces[0].network_i_p == "10.0.0.2"

    with pytest.raises(exceptions.BadRequest, match="already being used by"):
        clients.subnets.delete_unary(project=project, region=REGION, subnetwork="web")
    with pytest.raises(exceptions.BadRequest, match="instances/chosen"):
        clients.networks.delete_unary(project=project, network="vpc")


@pytest.mark.parametrize(
    ("nic", "words"),
    [
        ({"network": "global/networks/vpc"}, "Subnetwork should be specified"),
        ({"subnetwork": "web", "network_i_p": "10.0.0.10"}, "already being used"),
        ({"subnetwork": "web", "network_i_p": "10.0.0.1"}, "reserved"),
        ({"subnetwork": "web", "network_i_p": "10.0.0.255"}, "reserved"),
        ({"subnetwork": "web", "network_i_p": "10.0.9.9"}, "outside the subnetwork"),
        ({"subnetwork": "web", "network": "global/networks/default"}, "does not belong"),
        ({"subnetwork": "regions/europe-west1/subnetworks/web"}, "region"),
        ({"subnetwork": "nothing"}, "cannot be found"),
        ({"network": "global/networks/nothing"}, "cannot be found"),
    ],
)
def test_bad_interfaces_change_nothing(
    clients: Clients, project: str, nic: dict[str, str], words: str
) -> None:
    custom_network(clients, project)
    add_subnet(clients, project, "web", "10.0.0.0/24")
    create(clients, project, "holder", interface(subnetwork="web", network_i_p="10.0.0.10"))
    with pytest.raises(exceptions.BadRequest, match=words):
        clients.instances.insert_unary(
            project=project, zone=ZONE, instance_resource=instance_body("other", interface(**nic))
        )
    assert names(clients.instances.list(project=project, zone=ZONE)) == ["holder"]
