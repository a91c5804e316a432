"""Recommendations as stored: refreshed from the latest findings, and rendered in
Google's shape.

A refresh adds new findings as ACTIVE, updates the content of ACTIVE and DISMISSED
ones, leaves claimed, succeeded and failed ones as the user last saw them, and removes
ACTIVE ones whose waste is gone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from nimbus.core.clock import rfc3339
from nimbus.services.recommender import states
from nimbus.services.recommender.findings import Finding
from nimbus.services.recommender.thresholds import HISTORY_RETENTION
from nimbus.store.models import RecommendationRecord


def refresh(
    session: Session, project_number: int, found: Iterable[Finding], now: dt.datetime
) -> None:
    records = {
        record.id: record
        for record in session.scalars(
            select(RecommendationRecord)
            .where(RecommendationRecord.project_number == project_number)
            .with_for_update()
        )
    }
    new: list[dict[str, Any]] = []
    for finding in found:
        record = records.pop(finding.id, None)
        if record is None:
            new.append(_row(project_number, finding, now))
        elif record.state in states.CONTENT_REFRESHED:
            record.content = finding.content()
            record.fingerprint = finding.fingerprint()
            record.last_refresh_time = now
    for record in records.values():
        expired = record.state_time < now - HISTORY_RETENTION
        if record.state == states.ACTIVE or expired:
            session.delete(record)
    if new:
        _insert_new(session, new)


def _row(project_number: int, finding: Finding, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": finding.id,
        "project_number": project_number,
        "recommender": finding.recommender,
        "location": finding.location,
        "state": states.ACTIVE,
        "state_metadata": {},
        "content": finding.content(),
        "fingerprint": finding.fingerprint(),
        "target": finding.target,
        "last_refresh_time": now,
        "state_time": now,
    }


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> None:
    """Two readers refreshing at once both find the same new waste: one row wins."""
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    statement = insert(RecommendationRecord).on_conflict_do_nothing(index_elements=["id"])
    session.execute(statement, rows)


def etag(record: RecommendationRecord) -> str:
    metadata = ",".join(f"{k}={v}" for k, v in sorted(record.state_metadata.items()))
    text = f"{record.fingerprint}|{record.state}|{metadata}"
    return f'"{hashlib.sha256(text.encode()).hexdigest()[:16]}"'


def name_of(record: RecommendationRecord) -> str:
    return (
        f"projects/{record.project_number}/locations/{record.location}/recommenders/"
        f"{record.recommender}/recommendations/{record.id}"
    )


def render(record: RecommendationRecord) -> dict[str, Any]:
    """The Recommendation resource, as the Recommender API returns it."""
    return {
        "name": name_of(record),
        **record.content,
        "lastRefreshTime": rfc3339(record.last_refresh_time),
        "stateInfo": {"state": record.state, "stateMetadata": dict(record.state_metadata)},
        "etag": etag(record),
    }
