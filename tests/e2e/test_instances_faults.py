"""``kill -9`` of the server while real instances boot, run and stop: after a restart
every instance converges to what was asked, none duplicated, none lost."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import google.auth.transport.requests

from nimbus.runtime.container import ContainerDriver
from nimbus.runtime.driver import PowerState
from tests.conftest import unique_id
from tests.real_compute import container_args, owner_session, remove_leftovers
from tests.servers import NimbusServer, fresh_database

ZONE = "europe-west1-b"
Session = google.auth.transport.requests.AuthorizedSession


def _body(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "machineType": f"zones/{ZONE}/machineTypes/e2-micro",
        "disks": [{"boot": True, "initializeParams": {
            "sourceImage": "projects/debian-cloud/global/images/family/debian-12"}}],
        "networkInterfaces": [{"network": "global/networks/default",
                               "accessConfigs": [{"type": "ONE_TO_ONE_NAT"}]}],
    }  # fmt: skip


def _settle(session: Session, base: str, wanted: dict[str, str]) -> dict[str, str]:
    deadline = time.monotonic() + 120
    while True:
        items = session.get(f"{base}/zones/{ZONE}/instances").json().get("items", [])
        seen = {item["name"]: item["status"] for item in items}
        if seen == wanted or time.monotonic() > deadline:
            return seen
        time.sleep(0.3)


def _ids(session: Session, base: str) -> dict[str, str]:
    items = session.get(f"{base}/zones/{ZONE}/instances").json().get("items", [])
    return {item["name"]: item["id"] for item in items}


def test_instances_converge_after_kill_9(tmp_path: Path, image_cache: Path) -> None:
    data = tmp_path / "data"
    with fresh_database() as database_url:
        server = NimbusServer(data, database_url, container_args(image_cache)).start()
        try:
            with owner_session(server) as session:
                project = unique_id("faults")
                assert session.post(f"{server.url}/v1/projects",
                                    json={"projectId": project}).status_code == 200  # fmt: skip
                base = f"{server.url}/compute/v1/projects/{project}"
                # Killed while three instances boot.
                for name in ("a", "b", "c"):
                    answer = session.post(f"{base}/zones/{ZONE}/instances", json=_body(name))
                    assert answer.status_code == 200, answer.text
                server.kill()
                server.start()
                running = dict.fromkeys(("a", "b", "c"), "RUNNING")
                assert _settle(session, base, running) == running
                ids = _ids(session, base)
                # Killed while one stops, one boots, and the others run.
                assert session.post(f"{base}/zones/{ZONE}/instances/a/stop").status_code == 200
                assert session.post(f"{base}/zones/{ZONE}/instances",
                                    json=_body("d")).status_code == 200  # fmt: skip
                server.kill()
                server.start()
                wanted = {"a": "TERMINATED", "b": "RUNNING", "c": "RUNNING", "d": "RUNNING"}
                assert _settle(session, base, wanted) == wanted
                ids.update(_ids(session, base))
                driver = ContainerDriver(data / "runtime" / "container")
                assert sorted(driver.instance_ids()) == sorted(ids.values())
                powered = {
                    n for n, i in ids.items() if driver.status(i).power is PowerState.RUNNING
                }
                assert powered == {"b", "c", "d"}
                # Killed while they are deleted: they are gone after the restart.
                for name in ids:
                    session.delete(f"{base}/zones/{ZONE}/instances/{name}")
                server.kill()
                server.start()
                assert _settle(session, base, {}) == {}
                assert driver.instance_ids() == []
        finally:
            if server.process is not None and server.process.poll() is None:
                server.stop()
            remove_leftovers(data)
