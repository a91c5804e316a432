"""A real instance (runc), sampled from its cgroup, left idle across an advanced clock:
the recommender names it idle, with what was observed and the catalog's saving.

Runs runc and network namespaces: needs root (as CI has).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nimbus.services.billing.catalog import PriceCatalog
from nimbus.services.recommender.money import money, projected
from tests.conftest import unique_id
from tests.real_compute import Cli, container_server, owner_session

pytestmark = pytest.mark.e2e

ZONE = "us-central1-a"
IDLE_VM = "google.compute.instance.IdleResourceRecommender"
DAY = 86400


def test_a_real_idle_instance_is_recommended_to_stop(tmp_path: Path, image_cache: Path) -> None:
    # A container server whose clock the test may advance.
    test_controls = ["--enable-test-controls"]
    with container_server(tmp_path / "data", image_cache, test_controls) as server:
        cli = Cli(server, tmp_path / "home")
        project = unique_id("idle")
        where = [f"--zone={ZONE}", f"--project={project}"]
        for args in (
            ["projects", "create", project],
            ["compute", "instances", "create", "napper", "--machine-type=e2-small", *where],
        ):
            done = cli.run(*args, timeout=900)
            assert done.returncode == 0, done.stderr
        try:
            with owner_session(server) as owner:
                control = f"{server.url}/_nimbus/test/v1"
                first = owner.post(f"{control}/recommender:sample", json={})
                assert first.json()["sampled"] >= 1
                owner.post(f"{control}/clock:advance", json={"seconds": 3 * DAY})
                owner.post(f"{control}/recommender:sample", json={})
                listed = owner.get(
                    f"{server.url}/v1/projects/{project}/locations/{ZONE}/recommenders/"
                    f"{IDLE_VM}/recommendations"
                )
            assert listed.status_code == 200, listed.text
            [idle] = listed.json()["recommendations"]
            _check(idle, project)
        finally:
            cli.run("compute", "instances", "delete", "napper", *where, "--quiet")


def _check(idle: dict[str, Any], project: str) -> None:
    assert idle["recommenderSubtype"] == "STOP_VM"
    assert idle["targetResources"] == [
        f"//compute.googleapis.com/projects/{project}/zones/{ZONE}/instances/napper"
    ]
    overview = idle["content"]["overview"]
    # Measured from the cgroup: memory in use, and three quiet days of running time.
    assert overview["peakMemoryBytes"] > 0
    assert overview["observedSeconds"] >= 3 * DAY
    assert overview["idleShare"] >= 0.97
    monthly = PriceCatalog.load().monthly_instance_cost("e2-small", 2, 2048, ZONE, "STANDARD")
    assert idle["primaryImpact"]["costProjection"]["cost"] == money(-projected(monthly))
