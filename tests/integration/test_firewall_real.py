"""VPC firewall rules on real instances (runc, network namespaces, nftables): two projects,
each with a custom network on the same range; a rule opens a port between two instances
of one network and closing it shuts the port again, while the other project's instance
never gets through. Needs root and the built debian-12 image (never built here).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import unique_id
from tests.real_compute import Cli, container_server, owner_session
from tests.servers import NimbusServer

ZONE = "us-central1-a"
REGION = "us-central1"
RANGE = "10.20.0.0/24"
SERVER_IP = "10.20.0.10"
PORT = 8080
STARTUP = f"""#!/bin/bash
mkdir -p /srv/www && echo "served from $(hostname)" > /srv/www/index.html
cd /srv/www && nohup python3 -m http.server {PORT} >/dev/null 2>&1 &
"""
# A probe that runs inside an instance until the state flips, then notes the time.
WATCH = (
    "nohup sh -c 'while {test}; do sleep 0.05; done; date +%s.%N > /tmp/{mark}' >/dev/null 2>&1 &"
)
REACHES = f"curl -s -o /dev/null --connect-timeout 0.3 -m 1 http://{SERVER_IP}:{PORT}/"


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory, image_cache: Path) -> Iterator[NimbusServer]:
    from nimbus.images.debian import image_recipe_digest

    if not (image_cache / f"debian-12-{image_recipe_digest()[:12]}").exists():
        pytest.skip("the debian-12 image is not built in the image cache")
    with container_server(tmp_path_factory.mktemp("firewall") / "data", image_cache) as server:
        yield server


class Project:
    """One project of the test, driven through the API as its owner."""

    def __init__(self, server: NimbusServer) -> None:
        self.server = server
        self.id = unique_id("fw")
        self.session = owner_session(server)
        assert self.call("POST", "/v1/projects", {"projectId": self.id}).get("done")
        self.base = f"/compute/v1/projects/{self.id}"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.session.request(method, f"{self.server.url}{path}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def done(self, method: str, path: str, body: dict[str, Any] | None = None) -> None:
        operation = self.call(method, f"{self.base}/{path}", body)
        scope = path.split("/")[0] if path.startswith("global") else "/".join(path.split("/")[:2])
        while operation["status"] != "DONE":
            operation = self.call(
                "POST", f"{self.base}/{scope}/operations/{operation['name']}/wait"
            )
        assert "error" not in operation, operation

    def network_with_ssh(self, name: str) -> None:
        self.done("POST", "global/networks", {"name": name, "autoCreateSubnetworks": False})
        subnet = {"name": f"{name}-subnet", "network": f"global/networks/{name}",
                  "ipCidrRange": RANGE}  # fmt: skip
        self.done("POST", f"regions/{REGION}/subnetworks", subnet)
        ssh = {"name": f"{name}-ssh", "network": f"global/networks/{name}",
               "allowed": [{"IPProtocol": "tcp", "ports": ["22"]}]}  # fmt: skip
        self.done("POST", "global/firewalls", ssh)

    def instance(self, name: str, network: str, address: str, **extra: Any) -> None:
        body = {
            "name": name,
            "machineType": f"zones/{ZONE}/machineTypes/e2-small",
            "disks": [{"boot": True, "initializeParams": {
                "sourceImage": "projects/debian-cloud/global/images/family/debian-12"}}],
            "networkInterfaces": [{
                "subnetwork": f"regions/{REGION}/subnetworks/{network}-subnet",
                "networkIP": address,
                "accessConfigs": [{"type": "ONE_TO_ONE_NAT"}],
            }],
            **extra,
        }  # fmt: skip
        self.done("POST", f"zones/{ZONE}/instances", body)


def ssh(user: Cli, project: Project, name: str, command: str) -> str:
    done = user.run("compute", "ssh", name, f"--zone={ZONE}", f"--project={project.id}",
                    "--command", command)  # fmt: skip
    return done.stdout if done.returncode == 0 else f"FAILED {done.returncode}: {done.stderr}"


def until(check: Any, deadline: float = 60) -> None:
    end = time.monotonic() + deadline
    while not check():
        assert time.monotonic() < end, "the state never came"
        time.sleep(0.2)


def noted(user: Cli, project: Project, name: str, mark: str) -> float:
    """The time an instance's watch noted, once it has."""
    found: list[float] = []

    def read() -> bool:
        text = ssh(user, project, name, f"cat /tmp/{mark} 2>/dev/null || true").strip()
        if text and not text.startswith("FAILED"):
            found.append(float(text))
        return bool(found)

    until(read)
    return found[0]


def test_a_rule_opens_a_port_in_one_network_only_and_closing_shuts_it(
    real: NimbusServer, tmp_path: Path
) -> None:
    user = Cli(real, tmp_path / "home")
    alpha, beta = Project(real), Project(real)
    alpha.network_with_ssh("alpha")
    beta.network_with_ssh("beta")
    server_metadata = {"items": [{"key": "startup-script", "value": STARTUP}]}
    alpha.instance("server", "alpha", SERVER_IP, tags={"items": ["web"]},
                   metadata=server_metadata)  # fmt: skip
    alpha.instance("client", "alpha", "10.20.0.11")
    # Another project's network on the same range, with its own instance beside .10.
    beta.instance("stranger", "beta", "10.20.0.12")

    until(lambda: ssh(user, alpha, "server", f"{REACHES.replace(SERVER_IP, '127.0.0.1')} "
                                              "&& echo up").strip() == "up")  # fmt: skip
    closed = f"{REACHES} && echo open || echo closed"
    assert ssh(user, alpha, "client", closed).strip() == "closed"  # implied ingress deny

    ssh(user, alpha, "client", WATCH.format(test=f"! {REACHES}", mark="opened"))
    asked = time.time()
    web = {"name": "alpha-web", "network": "global/networks/alpha", "targetTags": ["web"],
           "allowed": [{"IPProtocol": "tcp", "ports": [str(PORT)]}]}  # fmt: skip
    alpha.done("POST", "global/firewalls", web)
    opened = noted(user, alpha, "client", "opened") - asked
    assert ssh(user, alpha, "client", closed).strip() == "open"
    # From anywhere means from anywhere in the network: not from another project's.
    assert ssh(user, beta, "stranger", closed).strip() == "closed"

    ssh(user, alpha, "client", WATCH.format(test=REACHES, mark="shut"))
    asked = time.time()
    alpha.done("DELETE", "global/firewalls/alpha-web")
    shut = noted(user, alpha, "client", "shut") - asked
    assert ssh(user, alpha, "client", closed).strip() == "closed"
    print(f"\nrule to effect: opened after {opened:.2f} s, shut after {shut:.2f} s")

    for project, names in ((alpha, ("server", "client")), (beta, ("stranger",))):
        for name in names:
            project.done("DELETE", f"zones/{ZONE}/instances/{name}")
