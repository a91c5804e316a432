"""The server is down while a real instance runs: the instance ran, so it costs. After a
``kill -9`` and a restart, the bill counts every second from its start, down time
included, exactly as if the server had never stopped."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from nimbus.runtime.container import ContainerDriver
from nimbus.runtime.driver import PowerState
from tests.conftest import unique_id
from tests.real_compute import container_args, owner_session, remove_leftovers
from tests.servers import NimbusServer, fresh_database

ZONE = "europe-west1-b"
DOWN_SECONDS = 5.0


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _wait_running(session: object, url: str) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while True:
        found = session.get(url).json()  # type: ignore[attr-defined]
        if found.get("status") == "RUNNING" or time.monotonic() > deadline:
            return dict(found)
        time.sleep(0.3)


def test_cost_counts_while_the_server_is_down(tmp_path: Path, image_cache: Path) -> None:
    data = tmp_path / "data"
    with fresh_database() as database_url:
        args = [*container_args(image_cache), "--enable-test-controls"]
        server = NimbusServer(data, database_url, args).start()
        try:
            with owner_session(server) as session:
                project = unique_id("down")
                created = session.post(f"{server.url}/v1/projects", json={"projectId": project})
                assert created.status_code == 200, created.text
                base = f"{server.url}/compute/v1/projects/{project}/zones/{ZONE}/instances"
                body = {
                    "name": "runner",
                    "machineType": f"zones/{ZONE}/machineTypes/e2-micro",
                    "disks": [{"boot": True, "initializeParams": {
                        "sourceImage": "projects/debian-cloud/global/images/family/debian-12"}}],
                }  # fmt: skip
                assert session.post(base, json=body).status_code == 200
                running = _wait_running(session, f"{base}/runner")
                assert running["status"] == "RUNNING", running
                started = _time(str(running["lastStartTimestamp"]))
                # Past Google's one-minute minimum, so every second shows.
                clock = f"{server.url}/_nimbus/test/v1/clock"
                advanced = session.post(f"{clock}:advance", json={"seconds": 120})
                assert advanced.status_code == 200, advanced.text

                server.kill()
                driver = ContainerDriver(data / "runtime" / "container")
                (instance_id,) = driver.instance_ids()
                time.sleep(DOWN_SECONDS)
                # Nobody watched it, and it ran on.
                assert driver.status(instance_id).power == PowerState.RUNNING
                server.start()

                after = session.get(f"{base}/runner").json()
                assert after["status"] == "RUNNING"
                end = _time(session.get(clock).json()["now"])
                lines = session.get(
                    f"{server.url}/nimbus/billing/v1/projects/{project}/costLines",
                    params={"endTime": end.isoformat()},
                ).json()["costLines"]
        finally:
            if server.process is not None and server.process.poll() is None:
                server.stop()
            remove_leftovers(data)

    # e2-micro has 1 GiB: its RAM line's GiB-hours are the hours it ran.
    ram_hours = sum(
        line["usage"]["amount_in_pricing_units"]
        for line in lines
        if "Ram" in line["sku"]["description"]
    )
    ran = (end - started).total_seconds()
    assert ran > 120 + DOWN_SECONDS
    assert abs(ram_hours * 3600 - ran) < 1.0, (ram_hours * 3600, ran)
    cores = [line for line in lines if "Core" in line["sku"]["description"]]
    assert cores and all(line["cost"] > 0 for line in cores)
