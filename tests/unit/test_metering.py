"""Metering from usage records seeded in a real store: hours cut at clock boundaries,
Google's one-minute minimum, Spot prices, disks while they exist, bytes integrated over
time, and the rest of a cold class's minimum duration when an object leaves early."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from nimbus.services.billing.charges import CostLine
from nimbus.services.billing.hours import split_hours
from nimbus.services.cloud import Cloud
from nimbus.settings import ServerSettings
from nimbus.store.models import (
    StorageByteChange,
    StorageOperationCount,
    StorageRemoval,
    UsageInterval,
)

T0 = dt.datetime(2026, 3, 1, 10, 30, tzinfo=dt.UTC)
MONTH = 730 * 3600
PROJECT = 4242


class FixedClock:
    def now(self) -> dt.datetime:
        return T0 + dt.timedelta(days=40)


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    made = Cloud.assemble(ServerSettings(data_dir=tmp_path, runtime="fake"), clock=FixedClock())
    made.db.migrate()
    yield made
    made.db.dispose()


def _interval(**fields: object) -> UsageInterval:
    base: dict[str, object] = {
        "project_number": PROJECT,
        "resource_id": 1,
        "resource_name": "vm",
        "location": "us-central1-a",
        "provisioning_model": "",
        "vcpus": 0.0,
        "memory_mb": 0,
        "size_gb": 0.0,
    }
    base.update(fields)
    return UsageInterval(**base)


def _by_sku(lines: list[CostLine]) -> dict[str, float]:
    amounts: defaultdict[str, float] = defaultdict(float)
    for line in lines:
        amounts[line.sku_description] += line.amount_in_pricing_units
    return dict(amounts)


def test_hours_are_cut_at_clock_boundaries() -> None:
    pieces = list(split_hours(T0, T0 + dt.timedelta(hours=2)))
    assert [seconds for _, seconds in pieces] == [1800.0, 3600.0, 1800.0]
    assert pieces[0][0] == T0.replace(minute=0)


def test_instance_runs_with_one_minute_minimum_and_spot_price(cloud: Cloud) -> None:
    with cloud.db.write() as session:
        session.add(
            _interval(
                resource_kind="instance",
                sku="e2-standard-2",
                provisioning_model="STANDARD",
                vcpus=2.0,
                memory_mb=8192,
                started=T0,
                ended=T0 + dt.timedelta(seconds=20),
            )
        )
        session.add(
            _interval(
                resource_kind="instance",
                resource_id=2,
                sku="e2-micro",
                provisioning_model="SPOT",
                vcpus=2.0,
                memory_mb=1024,
                started=T0,
                ended=T0 + dt.timedelta(hours=3),
            )
        )
    lines = cloud.metering.cost_lines([PROJECT], T0, T0 + dt.timedelta(days=1))
    amounts = _by_sku(lines)
    # 20 s billed as 60 s: 2 vCPUs x 1 minute, 8 GiB x 1 minute.
    assert amounts["E2 Instance Core running in Americas"] == pytest.approx(2 / 60)
    assert amounts["E2 Instance Ram running in Americas"] == pytest.approx(8 / 60)
    # The Spot e2-micro: a quarter of a vCPU for three hours, at the Spot SKU.
    spot_core = amounts["Spot Preemptible E2 Instance Core running in Americas"]
    assert spot_core == pytest.approx(0.25 * 3)
    spot_price = cloud.prices.instance_skus("e2-micro", "us-central1-a", "SPOT")[0].unit_price
    on_demand = cloud.prices.instance_skus("e2-micro", "us-central1-a", "STANDARD")[0].unit_price
    assert spot_price == on_demand * (1 - Decimal(str(cloud.prices.spot_discount)))
    # Four hourly lines for a three-hour run that starts at half past.
    spot_lines = [
        line
        for line in lines
        if line.sku_description.startswith("Spot Preemptible E2 Instance Core")
    ]
    assert len(spot_lines) == 4
    for line in lines:
        assert (
            line.cost
            == Decimal(repr(line.amount_in_pricing_units))
            * cloud.prices.sku(line.sku_id).unit_price
        )


def test_a_window_inside_a_run_has_no_minimum(cloud: Cloud) -> None:
    with cloud.db.write() as session:
        session.add(
            _interval(
                resource_kind="instance",
                sku="n1-standard-1",
                provisioning_model="STANDARD",
                vcpus=1.0,
                memory_mb=3840,
                started=T0,
                ended=None,
            )
        )
    start = T0 + dt.timedelta(hours=1)
    lines = cloud.metering.cost_lines([PROJECT], start, start + dt.timedelta(seconds=10))
    assert _by_sku(lines)["N1 Predefined Instance Core running in Americas"] == pytest.approx(
        10 / 3600
    )


def test_disks_and_snapshots_cost_while_they_exist(cloud: Cloud) -> None:
    with cloud.db.write() as session:
        session.add(
            _interval(
                resource_kind="disk",
                sku="pd-ssd",
                size_gb=100.0,
                started=T0,
                ended=T0 + dt.timedelta(days=3),
            )
        )
        session.add(
            _interval(
                resource_kind="snapshot",
                resource_id=3,
                location="global",
                sku="snapshot",
                size_gb=2.0,
                started=T0,
                ended=None,
            )
        )
    amounts = _by_sku(cloud.metering.cost_lines([PROJECT], T0, T0 + dt.timedelta(days=10)))
    assert amounts["SSD backed PD Capacity"] == pytest.approx(100 * 3 * 86400 / MONTH)
    assert amounts["Regional Standard Snapshot Storage"] == pytest.approx(2 * 10 * 86400 / MONTH)


def test_stored_bytes_operations_and_early_deletion(cloud: Cloud) -> None:
    mib = 2**20
    with cloud.db.write() as session:
        for at, storage_class, delta in (
            (T0, "STANDARD", 4 * mib),
            (T0 + dt.timedelta(days=1), "STANDARD", -mib),
            (T0, "NEARLINE", 8 * mib),
            (T0 + dt.timedelta(days=10), "NEARLINE", -8 * mib),
        ):
            session.add(
                StorageByteChange(
                    bucket="b",
                    project_number=PROJECT,
                    storage_class=storage_class,
                    location="US-CENTRAL1",
                    delta_bytes=delta,
                    at=at,
                )
            )
        session.add(
            StorageRemoval(
                project_number=PROJECT,
                bucket="b",
                location="US-CENTRAL1",
                storage_class="NEARLINE",
                size_bytes=8 * mib,
                stored_since=T0,
                removed_at=T0 + dt.timedelta(days=10),
            )
        )
        session.add(
            StorageOperationCount(
                bucket="b",
                hour=T0.replace(minute=0),
                project_number=PROJECT,
                location="US-CENTRAL1",
                storage_class="STANDARD",
                class_a=1000,
                class_b=10,
            )
        )
    end = T0 + dt.timedelta(days=20)
    amounts = _by_sku(cloud.metering.cost_lines([PROJECT], T0, end))
    gib_month = 86400 / 2**30 / MONTH
    standard = (4 * mib * 1 + 3 * mib * 19) * gib_month
    assert amounts["Standard Storage US Regional"] == pytest.approx(standard)
    assert amounts["Nearline Storage US Regional"] == pytest.approx(8 * mib * 10 * gib_month)
    early = amounts["Nearline Storage Early Delete US Regional"]
    assert early == pytest.approx(8 * mib * 20 * gib_month)
    assert amounts["Regional Standard Class A Operations"] == 1000
    assert amounts["Regional Standard Class B Operations"] == 10
    # A window that starts later opens with the bytes already there.
    later = _by_sku(cloud.metering.cost_lines([PROJECT], T0 + dt.timedelta(days=15), end))
    assert later["Standard Storage US Regional"] == pytest.approx(3 * mib * 5 * gib_month)


def test_total_cost_by_service(cloud: Cloud) -> None:
    with cloud.db.write() as session:
        session.add(
            _interval(
                resource_kind="disk",
                sku="pd-standard",
                size_gb=730.0,
                started=T0,
                ended=T0 + dt.timedelta(hours=1),
            )
        )
    window = (T0, T0 + dt.timedelta(days=1))
    total = cloud.metering.total_cost([PROJECT], None, *window)
    # 730 GB for one hour of a 730-hour month: one GB-month at $0.04.
    assert total == pytest.approx(Decimal("0.04"))
    assert cloud.metering.total_cost([PROJECT], ["95FF-2EF5-5EA1"], *window) == 0
    assert cloud.metering.total_cost([PROJECT + 1], None, *window) == 0


def test_totals_match_the_hourly_lines(cloud: Cloud) -> None:
    with cloud.db.write() as session:
        session.add(
            _interval(
                resource_kind="instance",
                sku="n2-standard-2",
                provisioning_model="STANDARD",
                vcpus=2.0,
                memory_mb=8192,
                started=T0,
                ended=T0 + dt.timedelta(days=2, minutes=7),
            )
        )
        session.add(
            _interval(resource_kind="disk", resource_id=2, sku="pd-balanced", size_gb=37.0,
                      started=T0 + dt.timedelta(minutes=13), ended=None)
        )  # fmt: skip
    window = (T0 - dt.timedelta(hours=5), T0 + dt.timedelta(days=3))
    hourly = sum((line.cost for line in cloud.metering.cost_lines([PROJECT], *window)), Decimal(0))
    total = cloud.metering.total_cost([PROJECT], None, *window)
    assert abs(total - hourly) < Decimal("1e-9")
