"""Cloud Storage's charges: bytes stored per class over time, operations by class, and
the rest of the minimum duration for objects of cold classes removed early."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import func, select

from nimbus.services.billing.charges import Metered
from nimbus.services.billing.hours import SECONDS_PER_MONTH, hour_of
from nimbus.services.storage.usage import CLASS_A, CLASS_B
from nimbus.store.models import StorageByteChange, StorageOperationCount, StorageRemoval

GIB = 2**30
DAY_SECONDS = 86400

# (project number, bucket, location, storage class)
_Stock = tuple[int, str, str, str]


def meter_storage(metered: Metered) -> None:
    _stored_bytes(metered)
    _operations(metered)
    _early_removals(metered)


def _stored_bytes(metered: Metered) -> None:
    """Integrate each stock of bytes (bucket and class) over the window, hour by hour."""
    start, end = metered.window
    stock_of = (
        StorageByteChange.project_number,
        StorageByteChange.bucket,
        StorageByteChange.location,
        StorageByteChange.storage_class,
    )
    opening = metered.of_projects(
        select(*stock_of, func.sum(StorageByteChange.delta_bytes)).where(
            StorageByteChange.at < start
        ),
        StorageByteChange.project_number,
    )
    changes = metered.of_projects(
        select(*stock_of, StorageByteChange.at, StorageByteChange.delta_bytes).where(
            StorageByteChange.at >= start, StorageByteChange.at < end
        ),
        StorageByteChange.project_number,
    )
    level: dict[_Stock, int] = {}
    for project, bucket, location, storage_class, total in metered.session.execute(
        opening.group_by(*stock_of)
    ):
        level[(project, bucket, location, storage_class)] = int(total or 0)
    moves: defaultdict[_Stock, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for project, bucket, location, storage_class, at, delta in metered.session.execute(
        changes.order_by(StorageByteChange.at, StorageByteChange.id)
    ):
        moves[(project, bucket, location, storage_class)].append((at, delta))
    for stock in set(level) | set(moves):
        bytes_now, since = level.get(stock, 0), start
        for at, delta in moves.get(stock, []):
            _hold(metered, stock, bytes_now, since, at)
            bytes_now, since = bytes_now + delta, at
        _hold(metered, stock, bytes_now, since, end)


def _hold(metered: Metered, stock: _Stock, size: int, start: dt.datetime, end: dt.datetime) -> None:
    if size <= 0 or end <= start:
        return
    project, _bucket, location, storage_class = stock
    sku = metered.catalog.storage_sku(storage_class, location)
    for hour, seconds in metered.pieces(start, end):
        amount = size / GIB * seconds / SECONDS_PER_MONTH
        metered.charges.add(project, sku, location.lower(), hour, amount)


def _operations(metered: Metered) -> None:
    start, end = metered.window
    query = metered.of_projects(
        select(StorageOperationCount).where(
            StorageOperationCount.hour >= hour_of(start), StorageOperationCount.hour < end
        ),
        StorageOperationCount.project_number,
    )
    for row in metered.session.scalars(query):
        for operation_class, count in ((CLASS_A, row.class_a), (CLASS_B, row.class_b)):
            if count:
                sku = metered.catalog.operation_sku(
                    row.storage_class, operation_class, row.location
                )
                metered.charges.add(row.project_number, sku, row.location.lower(), row.hour, count)


def _early_removals(metered: Metered) -> None:
    """An object removed before its class's minimum duration pays for the rest of it,
    at that class's storage price, when it is removed."""
    start, end = metered.window
    query = metered.of_projects(
        select(StorageRemoval).where(
            StorageRemoval.removed_at >= start, StorageRemoval.removed_at < end
        ),
        StorageRemoval.project_number,
    )
    for row in metered.session.scalars(query):
        minimum = metered.catalog.minimum_storage_days(row.storage_class) * DAY_SECONDS
        remaining = minimum - (row.removed_at - row.stored_since).total_seconds()
        if remaining <= 0:
            continue
        sku = metered.catalog.early_delete_sku(row.storage_class, row.location)
        amount = row.size_bytes / GIB * remaining / SECONDS_PER_MONTH
        hour = hour_of(row.removed_at)
        metered.charges.add(row.project_number, sku, row.location.lower(), hour, amount)
