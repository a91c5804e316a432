"""Quota preferences (Cloud Quotas API ``quotaPreferences``): the limits an
administrator set for a project, one row per quota and set of dimensions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.store.base import Base, JsonValue, UtcDateTime


class QuotaPreference(Base):
    __tablename__ = "quota_preferences"
    __table_args__ = (
        UniqueConstraint("project_number", "preference_id"),
        # Google keeps one preference per quota and set of dimensions.
        UniqueConstraint("project_number", "service", "quota_id", "dimension_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    preference_id: Mapped[str] = mapped_column(String(128))
    service: Mapped[str] = mapped_column(String(128))
    quota_id: Mapped[str] = mapped_column(String(128))
    dimensions: Mapped[dict[str, str]] = mapped_column(JsonValue, default=dict)
    # The dimensions in one comparable string ("region=us-central1", "" for none).
    dimension_key: Mapped[str] = mapped_column(String(256))
    preferred_value: Mapped[int] = mapped_column(BigInteger)
    granted_value: Mapped[int] = mapped_column(BigInteger)
    annotations: Mapped[dict[str, str]] = mapped_column(JsonValue, default=dict)
    justification: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str] = mapped_column(String(256), default="")
    # Set for increases only, as Google does.
    trace_id: Mapped[str] = mapped_column(String(64), default="")
    etag: Mapped[str] = mapped_column(String(40))
    create_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    update_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
