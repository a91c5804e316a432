"""Long-running operations, in Compute Engine's three scopes: global, regional, zonal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.store.base import Base, JsonValue, UtcDateTime


class Operation(Base):
    __tablename__ = "operations"
    __table_args__ = (UniqueConstraint("project_number", "scope", "location", "name"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    # "global", "region" or "zone".
    scope: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(String(64), default="")
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    operation_type: Mapped[str] = mapped_column(String(64))
    target_link: Mapped[str] = mapped_column(Text, default="")
    target_id: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    user: Mapped[str] = mapped_column(String(250), default="")
    error: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonValue, nullable=True)
    http_error_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    http_error_message: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # Resource Manager operations answer with the resource they made.
    response: Mapped[dict[str, Any] | None] = mapped_column(JsonValue, nullable=True)
    insert_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    start_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    end_time: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The caller's ``requestId``: the same request again answers with this operation.
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
