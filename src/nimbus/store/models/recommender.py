"""What the recommender keeps: instance utilization, rolled up per hour, and the state
of each recommendation a user has seen (findings themselves are recomputed from the
store on every read)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.store.base import Base, JsonValue, UtcDateTime


class UtilizationCursor(Base):
    """An instance's last reading: where the next sample's interval starts."""

    __tablename__ = "utilization_cursors"

    instance_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # The driver's cumulative CPU time at ``at`` (it restarts from 0 at each boot).
    cpu_seconds: Mapped[float] = mapped_column(Float)


class UtilizationHour(Base):
    """One hour of one instance's observed running time (world clock)."""

    __tablename__ = "utilization_hours"

    instance_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hour: Mapped[dt.datetime] = mapped_column(UtcDateTime, primary_key=True, index=True)
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    observed_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    cpu_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # Seconds during which the instance used less than Google's idle threshold.
    idle_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # The busiest interval's mean use, in vCPUs.
    peak_vcpus: Mapped[float] = mapped_column(Float, default=0.0)
    peak_memory_bytes: Mapped[int] = mapped_column(BigInteger, default=0)


class RecommendationRecord(Base):
    """A recommendation and its state. Its id is derived from what it recommends, so
    the same waste keeps its id (and state) from one refresh to the next."""

    __tablename__ = "recommendations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    recommender: Mapped[str] = mapped_column(String(100))
    location: Mapped[str] = mapped_column(String(64))
    # ACTIVE, CLAIMED, SUCCEEDED, FAILED or DISMISSED.
    state: Mapped[str] = mapped_column(String(16))
    state_metadata: Mapped[dict[str, str]] = mapped_column(JsonValue, default=dict)
    # The recommendation's fields as last computed (frozen once claimed).
    content: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    # A hash of the fields whose change gives the recommendation a new etag.
    fingerprint: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(Text)
    last_refresh_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    state_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
