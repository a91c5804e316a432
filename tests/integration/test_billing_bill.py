"""The bill, line by line: an e2-standard-2 runs for a measured time and stops, its disk
is kept a day more (the world clock advanced), objects are stored in two classes and
the cold one is deleted early. Every cost line is checked against a hand computation
from the prices the Catalog API serves."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from google.cloud import compute_v1, storage
from google.oauth2 import service_account

from tests.compute_ops import ok
from tests.conftest import CLOUD_PLATFORM, unique_id
from tests.integration.test_compute_instances import DEBIAN_12, ZONE
from tests.real_compute import owner_session
from tests.servers import NimbusServer, running_server

COMPUTE = "6F81-5844-456A"
STORAGE = "95FF-2EF5-5EA1"
MONTH_SECONDS = 730 * 3600
GIB = 2**30
HOUR = 3600.0
DAY = 86400.0


@pytest.fixture(scope="module")
def billed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NimbusServer]:
    data = tmp_path_factory.mktemp("bill") / "data"
    with running_server(data, ["--enable-test-controls"]) as server:
        yield server


class World:
    """The server's advanceable clock, seen from the test."""

    def __init__(self, server: NimbusServer, session: Any) -> None:
        self.url = f"{server.url}/_nimbus/test/v1/clock"
        self.session = session

    def now(self) -> dt.datetime:
        response = self.session.get(self.url)
        assert response.status_code == 200, response.text
        return _time(response.json()["now"])

    def advance(self, seconds: float) -> None:
        response = self.session.post(f"{self.url}:advance", json={"seconds": seconds})
        assert response.status_code == 200, response.text


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _prices(session: Any, url: str) -> dict[str, tuple[str, Decimal]]:
    """SKU id -> (description, unit price in USD) for both services, from the Catalog API."""
    found: dict[str, tuple[str, Decimal]] = {}
    for service in (COMPUTE, STORAGE):
        response = session.get(f"{url}/v1/services/{service}/skus")
        assert response.status_code == 200, response.text
        for sku in response.json()["skus"]:
            rate = sku["pricingInfo"][0]["pricingExpression"]["tieredRates"][-1]["unitPrice"]
            price = Decimal(rate["units"]) + Decimal(rate["nanos"]) / Decimal(10**9)
            found[sku["skuId"]] = (sku["description"], price)
    return found


def test_bill_line_by_line(billed: NimbusServer) -> None:
    session = owner_session(billed)
    world = World(billed, session)
    credentials = service_account.Credentials.from_service_account_file(
        str(billed.owner_key), scopes=[CLOUD_PLATFORM]
    )
    options = {"api_endpoint": billed.url}

    def make(kind: type) -> Any:
        return kind(credentials=credentials, transport="rest", client_options=options)

    project = unique_id("bill")
    response = session.post(f"{billed.url}/v1/projects", json={"projectId": project})
    assert response.status_code == 200, response.text
    instances = make(compute_v1.InstancesClient)

    # An e2-standard-2 with a 10 GB pd-balanced boot disk runs 2.5 hours, then stops.
    instance = compute_v1.Instance(
        name="worker",
        machine_type=f"zones/{ZONE}/machineTypes/e2-standard-2",
        disks=[
            compute_v1.AttachedDisk(
                boot=True,
                auto_delete=True,
                initialize_params=compute_v1.AttachedDiskInitializeParams(
                    source_image=DEBIAN_12, disk_size_gb=10, disk_type="pd-balanced"
                ),
            )
        ],
    )
    ok(
        make,
        project,
        instances.insert_unary(project=project, zone=ZONE, instance_resource=instance),
    )
    world.advance(2.5 * HOUR)
    ok(make, project, instances.stop_unary(project=project, zone=ZONE, instance="worker"))
    ran = instances.get(project=project, zone=ZONE, instance="worker")
    run_seconds = (_time(ran.last_stop_timestamp) - _time(ran.last_start_timestamp)).total_seconds()
    assert run_seconds >= 2.5 * HOUR
    disk = make(compute_v1.DisksClient).get(project=project, zone=ZONE, disk="worker")

    # Its disk stays a day, stopped.
    world.advance(DAY)

    # Objects in two classes; the Nearline one is deleted after 10 of its 30 days.
    client = storage.Client(project=project, credentials=credentials, client_options=options)
    bucket = client.bucket(f"{project}-data")
    bucket.soft_delete_policy.retention_duration_seconds = 0  # a delete is for good
    bucket = client.create_bucket(bucket, location="us-central1")
    hot = bucket.blob("hot.bin")
    hot.upload_from_string(b"h" * (3 * 2**20))
    cold = bucket.blob("cold.bin")
    cold.storage_class = "NEARLINE"
    cold.upload_from_string(b"c" * (5 * 2**20))
    hot.reload()
    cold.reload()
    world.advance(10 * DAY)
    before_delete = world.now()
    cold.delete()  # removed between before_delete and a few milliseconds later
    world.advance(HOUR)
    session.post(f"{billed.url}/_nimbus/test/v1/storage/usage:flush")
    end = world.now()

    response = session.get(
        f"{billed.url}/nimbus/billing/v1/projects/{project}/costLines",
        params={"endTime": end.isoformat()},
    )
    assert response.status_code == 200, response.text
    lines = response.json()["costLines"]
    info = session.get(f"{billed.url}/v1/projects/{project}/billingInfo").json()
    account = info["billingAccountName"].removeprefix("billingAccounts/")
    prices = _prices(session, billed.url)

    # Line by line: whole clock hours, the project, and cost = usage x the SKU's price.
    per_sku: defaultdict[str, Decimal] = defaultdict(Decimal)
    amounts: defaultdict[str, float] = defaultdict(float)
    for line in lines:
        start, stop = _time(line["usage_start_time"]), _time(line["usage_end_time"])
        assert (start.minute, start.second, stop - start) == (0, 0, dt.timedelta(hours=1))
        assert line["project"]["id"] == project and line["currency"] == "USD"
        assert line["billing_account_id"] == account
        description, price = prices[line["sku"]["id"]]
        assert line["sku"]["description"] == description
        expected = Decimal(repr(line["usage"]["amount_in_pricing_units"])) * price
        assert abs(Decimal(repr(line["cost"])) - expected) < Decimal("1e-9")
        per_sku[description] += Decimal(repr(line["cost"]))
        amounts[description] += line["usage"]["amount_in_pricing_units"]

    disk_seconds = (end - _time(disk.creation_timestamp)).total_seconds()
    hot_seconds = (end - _time(hot.time_created.isoformat())).total_seconds()
    cold_seconds = (before_delete - _time(cold.time_created.isoformat())).total_seconds()
    expected_usage: dict[str, float] = {}
    core = "E2 Instance Core running in Americas"
    ram = "E2 Instance Ram running in Americas"
    expected_usage[core] = 2 * run_seconds / HOUR  # vCPU-hours
    expected_usage[ram] = 8 * run_seconds / HOUR  # GiB-hours
    balanced = "Balanced PD Capacity"
    expected_usage[balanced] = 10 * disk_seconds / MONTH_SECONDS
    standard = "Standard Storage US Regional"
    expected_usage[standard] = 3 * 2**20 / GIB * hot_seconds / MONTH_SECONDS
    nearline = "Nearline Storage US Regional"
    expected_usage[nearline] = 5 * 2**20 / GIB * cold_seconds / MONTH_SECONDS
    early = "Nearline Storage Early Delete US Regional"
    expected_usage[early] = 5 * 2**20 / GIB * (30 * DAY - cold_seconds) / MONTH_SECONDS
    class_a = "Regional Standard Class A Operations"
    expected_usage[class_a] = 2  # the two uploads

    assert set(amounts) >= set(expected_usage), sorted(amounts)
    for description, amount in expected_usage.items():
        # Timestamps in the API are milliseconds; the records are microseconds.
        assert amount == pytest.approx(amounts[description], rel=1e-4), description
        expected_cost = Decimal(repr(amount)) * prices_by_description(prices)[description]
        assert abs(per_sku[description] - expected_cost) <= expected_cost * Decimal("1e-4")
    # Nothing is billed that the test did not do.
    unexpected = set(amounts) - set(expected_usage)
    assert all(
        "Class B" in description or "Operations" in description for description in unexpected
    ), unexpected

    # The instance cost only in the hours it ran.
    core_hours = {line["usage_start_time"] for line in lines if line["sku"]["description"] == core}
    assert len(core_hours) in (3, 4)


def prices_by_description(prices: dict[str, tuple[str, Decimal]]) -> dict[str, Decimal]:
    return dict(prices.values())
