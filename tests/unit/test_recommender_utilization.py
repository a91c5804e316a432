"""Utilization rolled up per hour from cumulative CPU readings: a long quiet stretch
across an advanced clock, a reboot between readings, retention, and money."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from nimbus.services.recommender.money import amount_of, cost_projection, money, projected
from nimbus.services.recommender.utilization import (
    Reading,
    Utilization,
    prune,
    record,
    summarize,
)
from nimbus.store.db import Database
from nimbus.store.models import UtilizationCursor, UtilizationHour

T0 = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)
LONG_AGO = T0 - dt.timedelta(days=365)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'nimbus.db'}")
    database.migrate()
    return database


def _read(
    db: Database,
    at: dt.datetime,
    cpu: float,
    memory: int = 0,
    booted_at: dt.datetime | None = None,
) -> None:
    reading = Reading(
        instance_id=7,
        project_number=1,
        at=at,
        cpu_seconds=cpu,
        memory_bytes=memory,
        booted_at=booted_at,
    )
    with db.write() as session:
        record(session, reading, LONG_AGO)


def _used(db: Database, since: dt.datetime = LONG_AGO) -> Utilization:
    with db.read() as session:
        return summarize(session, [7], since)[7]


def test_a_quiet_stretch_across_an_advanced_clock_is_idle(db: Database) -> None:
    _read(db, T0, 100.0, booted_at=T0 - dt.timedelta(seconds=100))
    # One vCPU busy for the first 100 s: not idle, and its hour holds the CPU time.
    _read(db, T0 + dt.timedelta(days=3), 100.5, memory=512 * 2**20)
    used = _used(db)
    assert used.observed_seconds == pytest.approx(100 + 3 * 86400)
    assert used.cpu_seconds == pytest.approx(100.5)
    assert used.idle_seconds == pytest.approx(3 * 86400)
    assert used.peak_vcpus == pytest.approx(1.0)
    assert used.peak_memory_bytes == 512 * 2**20
    # The stretch was spread over its hours: a window of the last day sees one day.
    last_day = _used(db, T0 + dt.timedelta(days=2))
    assert last_day.observed_seconds == pytest.approx(86400 + 1800)
    assert last_day.idle_share == 1.0


def test_a_reboot_between_readings_starts_from_the_boot(db: Database) -> None:
    _read(db, T0, 50.0, booted_at=T0 - dt.timedelta(seconds=50))
    # Stopped, then booted again an hour later: the counter began at zero then.
    booted = T0 + dt.timedelta(hours=2)
    _read(db, booted + dt.timedelta(seconds=10), 10.0, booted_at=booted)
    used = _used(db)
    assert used.observed_seconds == pytest.approx(60)
    assert used.cpu_seconds == pytest.approx(60)
    # A counter that went back without a boot the store knows of restarts from zero.
    _read(db, booted + dt.timedelta(seconds=20), 1.0, booted_at=booted)
    assert _used(db).cpu_seconds == pytest.approx(61)


def test_retention_and_gone_instances_are_pruned(db: Database) -> None:
    _read(db, T0, 1.0, booted_at=T0 - dt.timedelta(seconds=1))
    _read(db, T0 + dt.timedelta(hours=5), 1.0)
    with db.write() as session:
        prune(session, T0 + dt.timedelta(hours=3), {7})
    with db.read() as session:
        hours = session.query(UtilizationHour).count()
        assert hours == 3  # 15:00, 16:00 and 17:00 are kept
    with db.write() as session:
        prune(session, T0, set())
    with db.read() as session:
        assert session.query(UtilizationHour).count() == 0
        assert session.get(UtilizationCursor, 7) is None


def test_money_is_googles_shape() -> None:
    assert money(Decimal("-12.3456789012")) == {
        "currencyCode": "USD",
        "units": "-12",
        "nanos": -345678901,
    }
    assert amount_of(money(Decimal("4.5"))) == Decimal("4.5")
    # A 730-hour month's cost over the projection's 720 hours.
    assert projected(Decimal(73)) == Decimal(72)
    assert cost_projection(Decimal("7.3")) == {
        "cost": {"currencyCode": "USD", "units": "-7", "nanos": -200000000},
        "duration": "2592000s",
    }
