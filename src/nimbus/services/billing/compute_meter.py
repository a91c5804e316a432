"""Compute Engine's charges, from the usage intervals the compute services keep.

Instances pay per second while they run, with Google's one-minute minimum for each run;
cores and memory are separate SKUs. Disks and snapshots pay per GiB-month while they
exist, whatever their instance is doing: that is what a stopped instance costs.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select

from nimbus.services.billing.catalog import Sku
from nimbus.services.billing.charges import Metered
from nimbus.services.billing.hours import SECONDS_PER_MONTH, clip, hour_of
from nimbus.services.compute import usage
from nimbus.services.locations.catalog import region_of
from nimbus.store.models import UsageInterval

MINIMUM_RUN_SECONDS = 60.0


def meter_compute(metered: Metered) -> None:
    start, end = metered.window
    query = select(UsageInterval).where(
        UsageInterval.started < end,
        or_(UsageInterval.ended.is_(None), UsageInterval.ended > start),
    )
    query = metered.of_projects(query, UsageInterval.project_number)
    catalog = metered.catalog
    for row in metered.session.scalars(query.order_by(UsageInterval.id)):
        span = clip(row.started, row.ended, metered.window)
        if span is None:
            continue
        if row.resource_kind == usage.INSTANCE:
            _instance(metered, row, span)
        elif row.resource_kind == usage.DISK:
            sku = catalog.disk_sku(row.sku, row.location)
            _per_month(metered, row, sku, span, region_of(row.location))
        elif row.resource_kind == usage.SNAPSHOT:
            _per_month(metered, row, catalog.snapshot_sku(row.location), span, row.location)


def _instance(metered: Metered, row: UsageInterval, span: tuple[dt.datetime, dt.datetime]) -> None:
    core, ram = metered.catalog.instance_skus(row.sku, row.location, row.provisioning_model)
    cores = metered.catalog.billed_vcpus(row.sku, row.vcpus)
    memory_gib = row.memory_mb / 1024
    region = region_of(row.location)
    charges = metered.charges

    def charge(hour: dt.datetime, seconds: float) -> None:
        charges.add(row.project_number, core, region, hour, cores * seconds / 3600)
        charges.add(row.project_number, ram, region, hour, memory_gib * seconds / 3600)

    for hour, seconds in metered.pieces(*span):
        charge(hour, seconds)
    # A run shorter than a minute is billed as a minute, in the hour it began.
    start, end = metered.window
    if start <= row.started < end:
        ran = ((row.ended or end) - row.started).total_seconds()
        if ran < MINIMUM_RUN_SECONDS:
            charge(hour_of(row.started), MINIMUM_RUN_SECONDS - ran)


def _per_month(
    metered: Metered,
    row: UsageInterval,
    sku: Sku,
    span: tuple[dt.datetime, dt.datetime],
    location: str,
) -> None:
    """GiB-months of a disk or snapshot at its size over the span."""
    for hour, seconds in metered.pieces(*span):
        amount = row.size_gb * seconds / SECONDS_PER_MONTH
        metered.charges.add(row.project_number, sku, location, hour, amount)
