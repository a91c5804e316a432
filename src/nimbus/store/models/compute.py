"""Compute Engine state: per-project settings (common instance metadata)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from nimbus.store.base import Base, JsonValue


class ComputeProject(Base):
    """What Compute Engine keeps per project; made on first write."""

    __tablename__ = "compute_projects"

    project_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    metadata_items: Mapped[list[dict[str, Any]]] = mapped_column(JsonValue, default=list)
    metadata_fingerprint: Mapped[str] = mapped_column(String(20))
