"""Instance utilization from the driver's cumulative CPU counter, rolled up per hour.

Each reading closes the interval since the previous one (or since the boot, whose
counter started at zero): its CPU time is spread over the hours it covers, and the
whole interval counts as idle when its mean use is below Google's idle threshold. A
clock advanced between two readings therefore makes one long, quiet stretch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from nimbus.services.recommender.thresholds import IDLE_VM_VCPUS
from nimbus.store.models import UtilizationCursor, UtilizationHour

HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Reading:
    instance_id: int
    project_number: int
    at: dt.datetime
    # The driver's CPU time since the instance booted, and its memory in use now.
    cpu_seconds: float
    memory_bytes: int
    # When the instance last booted (its counter started then), if known.
    booted_at: dt.datetime | None = None


@dataclass(frozen=True)
class Utilization:
    observed_seconds: float = 0.0
    cpu_seconds: float = 0.0
    idle_seconds: float = 0.0
    peak_vcpus: float = 0.0
    peak_memory_bytes: int = 0

    @property
    def idle_share(self) -> float:
        return self.idle_seconds / self.observed_seconds if self.observed_seconds else 0.0

    @property
    def mean_vcpus(self) -> float:
        return self.cpu_seconds / self.observed_seconds if self.observed_seconds else 0.0

    def fraction_of(self, vcpus: float) -> float:
        """CPU time over (time by vCPUs): the share of the machine used."""
        return self.mean_vcpus / vcpus if vcpus else 0.0


def hour_of(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def record(session: Session, reading: Reading, keep_since: dt.datetime) -> None:
    """Add one reading; hours before ``keep_since`` are not written."""
    cursor = session.get(UtilizationCursor, reading.instance_id, with_for_update=True)
    start, base = (cursor.at, cursor.cpu_seconds) if cursor is not None else (None, 0.0)
    booted = reading.booted_at
    if booted is not None and booted <= reading.at and (start is None or booted > start):
        start, base = booted, 0.0
    if reading.cpu_seconds < base:  # the counter restarted: a boot not seen here
        base = 0.0
    if start is not None and reading.at > start:
        _spread(session, reading, max(start, keep_since), reading.cpu_seconds - base, start)
    _note_memory(session, reading)
    if cursor is None:
        session.add(
            UtilizationCursor(
                instance_id=reading.instance_id, at=reading.at, cpu_seconds=reading.cpu_seconds
            )
        )
    else:
        cursor.at, cursor.cpu_seconds = reading.at, reading.cpu_seconds


def _spread(
    session: Session, reading: Reading, start: dt.datetime, cpu: float, began: dt.datetime
) -> None:
    """Share an interval's CPU time among its hours (``began`` is its true start; the
    part before ``start`` is past retention)."""
    if reading.at <= start:
        return
    mean_vcpus = max(cpu, 0.0) / (reading.at - began).total_seconds()
    idle = mean_vcpus < IDLE_VM_VCPUS
    rows = _hours(session, reading, hour_of(start), hour_of(reading.at))
    hour = hour_of(start)
    while hour < reading.at:
        seconds = (min(hour + HOUR, reading.at) - max(hour, start)).total_seconds()
        row = rows[hour]
        row.observed_seconds += seconds
        row.cpu_seconds += mean_vcpus * seconds
        row.idle_seconds += seconds if idle else 0.0
        row.peak_vcpus = max(row.peak_vcpus, mean_vcpus)
        hour += HOUR


def _note_memory(session: Session, reading: Reading) -> None:
    hour = hour_of(reading.at)
    row = _hours(session, reading, hour, hour)[hour]
    row.peak_memory_bytes = max(row.peak_memory_bytes, reading.memory_bytes)


def _hours(
    session: Session, reading: Reading, first: dt.datetime, last: dt.datetime
) -> dict[dt.datetime, UtilizationHour]:
    """The instance's hour rows from ``first`` to ``last``, made where missing."""
    found = {
        row.hour: row
        for row in session.scalars(
            select(UtilizationHour).where(
                UtilizationHour.instance_id == reading.instance_id,
                UtilizationHour.hour >= first,
                UtilizationHour.hour <= last,
            )
        )
    }
    hour = first
    while hour <= last:
        if hour not in found:
            row = UtilizationHour(
                instance_id=reading.instance_id,
                hour=hour,
                project_number=reading.project_number,
                observed_seconds=0.0,
                cpu_seconds=0.0,
                idle_seconds=0.0,
                peak_vcpus=0.0,
                peak_memory_bytes=0,
            )
            session.add(row)
            found[hour] = row
        hour += HOUR
    session.flush()
    return found


def summarize(
    session: Session, instance_ids: Iterable[int], since: dt.datetime
) -> dict[int, Utilization]:
    """Each instance's utilization over the hours from ``since``'s hour on."""
    ids = list(instance_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(
            UtilizationHour.instance_id,
            func.sum(UtilizationHour.observed_seconds),
            func.sum(UtilizationHour.cpu_seconds),
            func.sum(UtilizationHour.idle_seconds),
            func.max(UtilizationHour.peak_vcpus),
            func.max(UtilizationHour.peak_memory_bytes),
        )
        .where(UtilizationHour.instance_id.in_(ids), UtilizationHour.hour >= hour_of(since))
        .group_by(UtilizationHour.instance_id)
    )
    return {
        instance_id: Utilization(
            float(observed or 0), float(cpu or 0), float(idle or 0), float(peak or 0), int(mem or 0)
        )
        for instance_id, observed, cpu, idle, peak, mem in rows
    }


def prune(session: Session, before: dt.datetime, live_instance_ids: set[int]) -> None:
    """Drop hours older than ``before`` and everything of instances that are gone."""
    session.execute(delete(UtilizationHour).where(UtilizationHour.hour < hour_of(before)))
    known = set(session.scalars(select(UtilizationCursor.instance_id)))
    gone = known - live_instance_ids
    if gone:
        session.execute(delete(UtilizationCursor).where(UtilizationCursor.instance_id.in_(gone)))
        session.execute(delete(UtilizationHour).where(UtilizationHour.instance_id.in_(gone)))
