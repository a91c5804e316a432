"""The hygiene test: an idle instance, an unattached disk and a forgotten bucket are each
recommended with the catalog's saving; applying each recommendation's own command
removes the waste and the recommendation leaves the ACTIVE list. States are marked with
Google's own client, as a user would, and guarded by etags.

Its own server: the test advances the world's clock by weeks.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import google.auth.transport.requests
import pytest
from google.api_core import exceptions
from google.cloud import recommender_v1
from google.oauth2 import service_account

from nimbus.services.billing.catalog import PriceCatalog
from nimbus.services.recommender.money import money, projected
from tests.conftest import CLOUD_PLATFORM, unique_id
from tests.real_compute import Cli
from tests.servers import NimbusServer, running_server

pytestmark = pytest.mark.integration

ZONE = "us-central1-a"
IDLE_VM = "google.compute.instance.IdleResourceRecommender"
IDLE_DISK = "google.compute.disk.IdleResourceRecommender"
COLDER = "nimbus.storage.bucket.StorageClassRecommender"
OBJECT_BYTES = 3 * 2**20
DAY = 86400


@pytest.fixture(scope="module")
def hygiene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NimbusServer]:
    data = tmp_path_factory.mktemp("hygiene") / "data"
    with running_server(data, ["--enable-test-controls"]) as server:
        yield server


@pytest.fixture(scope="module")
def owner(hygiene: NimbusServer) -> Iterator[google.auth.transport.requests.AuthorizedSession]:
    credentials = service_account.Credentials.from_service_account_file(
        str(hygiene.owner_key), scopes=[CLOUD_PLATFORM]
    )
    with google.auth.transport.requests.AuthorizedSession(credentials) as session:
        yield session


@pytest.fixture(scope="module")
def client(hygiene: NimbusServer) -> Iterator[recommender_v1.RecommenderClient]:
    credentials = service_account.Credentials.from_service_account_file(
        str(hygiene.owner_key), scopes=[CLOUD_PLATFORM]
    )
    made = recommender_v1.RecommenderClient(
        credentials=credentials, transport="rest", client_options={"api_endpoint": hygiene.url}
    )
    with made:
        yield made


def _ok(cli: Cli, *args: str) -> str:
    done = cli.run(*args)
    assert done.returncode == 0, f"nimbus {' '.join(args)}: {done.stderr}"
    return done.stdout


def _control(owner: Any, server: NimbusServer, path: str, body: dict[str, Any]) -> None:
    response = owner.post(f"{server.url}/_nimbus/test/v1/{path}", json=body)
    assert response.status_code == 200, response.text


def _apply(cli: Cli, command: str) -> None:
    """Run a recommendation's command line, one ``nimbus`` step after the other."""
    for step in command.split(" && "):
        argv = shlex.split(step)
        assert argv[0] == "nimbus"
        _ok(cli, *argv[1:])


def _saving(recommendation: recommender_v1.Recommendation) -> dict[str, Any]:
    cost = recommendation.primary_impact.cost_projection.cost
    return {"currencyCode": cost.currency_code, "units": str(cost.units), "nanos": cost.nanos}


def _expected(monthly: Decimal) -> dict[str, Any]:
    return money(-projected(monthly))


def _active(client: recommender_v1.RecommenderClient, project: str) -> dict[str, Any]:
    found = client.list_recommendations(
        parent=f"projects/{project}/locations/-/recommenders/-", filter="stateInfo.state = ACTIVE"
    )
    return {r.target_resources[0].rsplit("/", 1)[-1]: r for r in found}


def test_idle_instance_unattached_disk_and_forgotten_bucket(
    hygiene: NimbusServer,
    owner: Any,
    client: recommender_v1.RecommenderClient,
    tmp_path: Path,
) -> None:
    cli = Cli(hygiene, tmp_path / "home")
    project = unique_id("hyg")
    bucket = unique_id("forgotten")
    _ok(cli, "projects", "create", project)
    where = [f"--zone={ZONE}", f"--project={project}"]
    for name in ("idle-vm", "spare-vm"):
        _ok(cli, "compute", "instances", "create", name, "--machine-type=e2-standard-2", *where)
    _ok(cli, "compute", "disks", "create", "orphan", "--size=50GB", "--type=pd-balanced", *where)
    _ok(cli, "storage", "buckets", "create", f"gs://{bucket}", f"--project={project}")
    payload = tmp_path / "data.bin"
    payload.write_bytes(b"x" * OBJECT_BYTES)
    _ok(cli, "storage", "cp", str(payload), f"gs://{bucket}/data.bin")
    _control(owner, hygiene, "storage/usage:flush", {})
    _control(owner, hygiene, "recommender:sample", {})
    _control(owner, hygiene, "clock:advance", {"seconds": 40 * DAY})
    _control(owner, hygiene, "recommender:sample", {})

    catalog = PriceCatalog.load()
    active = _active(client, project)
    assert _saving(active["idle-vm"]) == _expected(
        catalog.monthly_instance_cost("e2-standard-2", 2, 8192, ZONE, "STANDARD")
    )
    assert _saving(active["orphan"]) == _expected(
        catalog.monthly_disk_cost("pd-balanced", 50, ZONE)
    )
    assert _saving(active[bucket]) == _expected(
        catalog.monthly_storage_cost("STANDARD", "US", OBJECT_BYTES)
        - catalog.monthly_storage_cost("NEARLINE", "US", OBJECT_BYTES)
    )
    listed = _ok(cli, "recommender", "recommendations", "list", f"--project={project}")
    assert IDLE_VM in listed and IDLE_DISK in listed and COLDER in listed
    assert "nimbus compute instances stop idle-vm" in listed

    # The idle instance: claimed with Google's client, stopped, marked succeeded.
    idle = active["idle-vm"]
    claimed = client.mark_recommendation_claimed(
        name=idle.name, etag=idle.etag, state_metadata={"by": "hygiene-test"}
    )
    assert claimed.state_info.state == recommender_v1.RecommendationStateInfo.State.CLAIMED
    with pytest.raises(exceptions.BadRequest):
        client.mark_recommendation_succeeded(name=idle.name, etag=idle.etag)  # stale etag
    _apply(cli, idle.content.overview["command"])
    rid = idle.name.rsplit("/", 1)[-1]
    _ok(cli, "recommender", "recommendations", "mark-succeeded", rid, f"--etag={claimed.etag}",
        f"--project={project}")  # fmt: skip
    assert client.get_recommendation(name=idle.name).state_info.state.name == "SUCCEEDED"

    # The disk and the bucket: their commands remove the waste, and they leave the list.
    _apply(cli, active["orphan"].content.overview["command"])
    _apply(cli, active[bucket].content.overview["command"])
    described = _ok(cli, "storage", "objects", "describe", f"gs://{bucket}/data.bin")
    assert "NEARLINE" in described
    remaining = _active(client, project)
    assert {"idle-vm", "orphan", bucket}.isdisjoint(remaining)

    # The other idle instance is dismissed; the dismissal outlives refreshes.
    spare = remaining["spare-vm"]
    _ok(cli, "recommender", "recommendations", "mark-dismissed", spare.name.rsplit("/", 1)[-1],
        f"--project={project}")  # fmt: skip
    _control(owner, hygiene, "recommender:sample", {})
    assert "spare-vm" not in _active(client, project)
    assert client.get_recommendation(name=spare.name).state_info.state.name == "DISMISSED"
    with pytest.raises(exceptions.BadRequest):
        client.mark_recommendation_claimed(name=spare.name, etag=spare.etag)


def test_bad_names_and_stale_etags_are_googles_errors(
    hygiene: NimbusServer, owner: Any, client: recommender_v1.RecommenderClient
) -> None:
    project = unique_id("hyg")
    created = owner.post(f"{hygiene.url}/v1/projects", json={"projectId": project})
    assert created.status_code == 200, created.text
    parent = f"projects/{project}/locations/{ZONE}/recommenders/{IDLE_VM}"
    assert list(client.list_recommendations(parent=parent)) == []
    with pytest.raises(exceptions.BadRequest):
        list(client.list_recommendations(parent=f"projects/{project}/locations/-/recommenders/x"))
    with pytest.raises(exceptions.NotFound):
        client.get_recommendation(name=f"{parent}/recommendations/nope")
    response = owner.post(
        f"{hygiene.url}/v1/{parent}/recommendations/nope:markClaimed", json={"etag": '"x"'}
    )
    assert response.status_code == 404
    assert response.json()["error"]["status"] == "NOT_FOUND"
