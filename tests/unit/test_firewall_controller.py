"""The firewall controller over a recording host, in process: what it applies after rules,
tags and instances change, and that it applies nothing when nothing changed."""

from __future__ import annotations

import threading
from collections.abc import Callable

from nimbus.controllers.firewalls import FirewallController
from nimbus.net.firewall import InstanceFirewall
from nimbus.services.cloud import Cloud
from nimbus.services.compute.done_operations import Target
from nimbus.services.compute.instance_requests import parse_instance
from nimbus.services.compute.instances import InstanceRef
from nimbus.services.operations import states
from nimbus.services.resourcemanager import hierarchy
from nimbus.services.resourcemanager.projects import ProjectSpec
from tests.unit.cloud_owner import owner_of

PROJECT = "fw-project"
ZONE = "us-central1-a"
LINK = f"http://nimbus/compute/v1/projects/{PROJECT}"


class RecordingHost:
    """Instances attached on a pretend host; every firewall set, counted."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.firewalls: dict[str, InstanceFirewall] = {}
        self.calls = 0
        self.changed = threading.Event()
        self.attach_hook: Callable[[str], None] | None = None

    def attached(self) -> list[str]:
        return list(self.keys)

    def set_firewall(self, instance_key: str, firewall: InstanceFirewall) -> None:
        self.calls += 1
        self.firewalls[instance_key] = firewall
        self.changed.set()

    def on_attach(self, apply: Callable[[str], None]) -> None:
        self.attach_hook = apply


def _instance(cloud: Cloud, name: str, tags: list[str]) -> str:
    owner = owner_of(cloud)
    with cloud.db.read() as session:
        exists = hierarchy.find_project(session, PROJECT) is not None
    if not exists:
        cloud.projects.create(owner, ProjectSpec(PROJECT))
    body = {
        "name": name,
        "machineType": "e2-micro",
        "tags": {"items": tags},
        "disks": [{"boot": True, "initializeParams": {
            "sourceImage": "projects/debian-cloud/global/images/family/debian-12"}}],
    }  # fmt: skip
    cloud.instances.insert(owner, PROJECT, ZONE, parse_instance(body, ZONE), LINK)
    return str(cloud.instances.get(owner, InstanceRef(PROJECT, ZONE, name))[1].id)


def _rule(cloud: Cloud, name: str, **fields: object) -> None:
    body = {"name": name, "allowed": [{"IPProtocol": "tcp", "ports": ["80"]}], **fields}
    target = Target(states.GLOBAL, "", f"{LINK}/global/firewalls/{name}")
    cloud.firewalls.insert(owner_of(cloud), PROJECT, body, target)


def _names(firewall: InstanceFirewall) -> list[str]:
    return sorted(entry.name for entry in firewall.entries)


def test_each_change_is_applied_once_and_only_where_it_matters(cloud: Cloud) -> None:
    host = RecordingHost()
    controller = FirewallController(cloud.db, host)
    web, db = _instance(cloud, "web", ["web"]), _instance(cloud, "db", ["db"])
    host.keys = [web, db]

    assert controller.reconcile() == 2
    assert "default-allow-ssh" in _names(host.firewalls[web])
    assert controller.reconcile() == 0  # nothing changed: no call at all

    _rule(cloud, "web-from-db", targetTags=["web"], sourceTags=["db"])
    assert controller.reconcile() == 1
    (entry,) = [e for e in host.firewalls[web].entries if e.name == "web-from-db"]
    assert [str(peer) for peer in entry.peers] == [f"{_address(cloud, 'db')}/32"]
    assert "web-from-db" not in _names(host.firewalls[db])

    # The db instance loses its tag: the web instance no longer hears from it.
    owner = owner_of(cloud)
    cloud.instances.set_tags(owner, InstanceRef(PROJECT, ZONE, "db"), [], None, LINK)
    assert controller.reconcile() == 1
    (entry,) = [e for e in host.firewalls[web].entries if e.name == "web-from-db"]
    assert entry.peers == ()
    assert controller.reconcile() == 0


def test_attach_applies_at_once_and_the_pass_then_has_nothing_to_do(cloud: Cloud) -> None:
    host = RecordingHost()
    controller = FirewallController(cloud.db, host)
    key = _instance(cloud, "fresh", [])
    assert host.attach_hook is not None
    host.attach_hook(key)  # what FabricNetworks.attach does before boot
    host.keys = [key]
    assert host.calls == 1 and "default-allow-icmp" in _names(host.firewalls[key])
    assert controller.reconcile() == 0


def test_a_new_rule_wakes_the_controller(cloud: Cloud) -> None:
    host = RecordingHost()
    # A safety pass that never comes during the test: only the wake can apply the rule.
    controller = FirewallController(cloud.db, host, safety_seconds=3600)
    cloud.firewalls.wake = controller.wake
    host.keys = [_instance(cloud, "woken", ["web"])]
    controller.start()
    try:
        assert host.changed.wait(30)
        host.changed.clear()
        _rule(cloud, "late", targetTags=["web"])
        assert host.changed.wait(30)
        assert "late" in _names(host.firewalls[host.keys[0]])
    finally:
        controller.stop()


def test_without_a_fabric_there_is_nothing_to_apply(cloud: Cloud) -> None:
    _instance(cloud, "lonely", [])
    assert cloud.firewall_controller.host is None
    assert cloud.firewall_controller.reconcile() == 0


def _address(cloud: Cloud, name: str) -> str:
    return cloud.instances.get(owner_of(cloud), InstanceRef(PROJECT, ZONE, name))[1].network_ip
