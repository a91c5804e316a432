"""VPC firewall rules (compute/v1 ``firewalls``): one row per rule, in one network."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.store.base import Base, JsonValue, UtcDateTime


class Firewall(Base):
    __tablename__ = "firewalls"
    __table_args__ = (UniqueConstraint("project_number", "name"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    project_number: Mapped[int] = mapped_column(BigInteger, index=True)
    network_id: Mapped[int] = mapped_column(BigInteger, index=True)
    # Networks are never renamed: the name is kept here for rendering.
    network_name: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(63))
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[int] = mapped_column(Integer, default=1000)
    # INGRESS or EGRESS.
    direction: Mapped[str] = mapped_column(String(8))
    # Google's ``allowed`` or ``denied`` entries ([{"IPProtocol", "ports"}]); one is empty.
    allowed: Mapped[list[dict[str, Any]]] = mapped_column(JsonValue, default=list)
    denied: Mapped[list[dict[str, Any]]] = mapped_column(JsonValue, default=list)
    source_ranges: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    destination_ranges: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    source_tags: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    target_tags: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    source_service_accounts: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    target_service_accounts: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    log_config: Mapped[dict[str, Any]] = mapped_column(JsonValue, default=dict)
    creation_time: Mapped[dt.datetime] = mapped_column(UtcDateTime)
